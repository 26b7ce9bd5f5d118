"""The marginal abatement cost curve of a run: ``abatement_curve.csv``, its summary fields and its chart.

The per-step sums are taken in the same pass as the maps (:mod:`scsmap.layers.abatement`);
the curve is :func:`scsmap.rules.abatement.abatement_curve` (docs/methods/ghg.md).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np

from ..io.tables import climate_zone_ids, load_practice_rules
from ..io.write import write_columns_csv
from ..layers.ghg import GhgTables
from ..rules.abatement import CURVE_COLUMNS, abatement_curve, curve_at_price

#: file name of the curve in a run's output directory
CURVE_CSV = "abatement_curve.csv"


def write_curve(terms: dict[str, Any], gt: GhgTables, directory: Path) -> dict[str, Any]:
    """Write ``abatement_curve.csv`` into ``directory``; return the manifest summary fields.

    Parameters
    ----------
    terms : dict
        The computed ``mac_sums`` and ``mac_at_price`` of :func:`scsmap.layers.abatement.curve_terms`.
    gt : GhgTables
        The run's GHG tables (practice codes, currency, price).
    directory : Path

    Returns
    -------
    dict
        The curve's file name, currency, price, total and reading at the price [Mt CO₂e yr-1]
        and the pixel-wise total reachable at the price.
    """
    names = {r.code: r.practice for r in gt.practices.rules}
    curve = abatement_curve(terms["mac_sums"], names, climate_zone_ids())
    write_columns_csv(Path(directory) / CURVE_CSV, curve, CURVE_COLUMNS, float_format="%.6g")
    price = gt.settings.price
    return {
        "abatement_curve": CURVE_CSV,
        "currency": gt.currency,
        "carbon_price": price,
        "abatement_curve_total_Mt_CO2e_yr": float(np.sum(curve["abatement_Mt_CO2e_yr"])),
        "abatement_curve_at_price_Mt_CO2e_yr": curve_at_price(curve, price),
        "abatement_at_price_total_Mt_CO2e_yr": float(terms["mac_at_price"]) / 1e6,
    }


def curve_png(curve: dict[str, np.ndarray], price: float, currency: str, title: str) -> bytes:
    """PNG of the curve (800 × 450 px): step widths = abatement, heights = cost per t, the price as a line.

    Parameters
    ----------
    curve : dict of str to numpy.ndarray
        Columns of :func:`scsmap.rules.abatement.abatement_curve` (as read back from the CSV).
    price : float
        Carbon price [currency t-1 CO₂e], drawn as a dashed line.
    currency, title : str
        Axis label and title.

    Returns
    -------
    bytes
        The PNG file's content.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = {r.practice: r.color for r in load_practice_rules()}
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    left = 0.0
    for practice, cost, width in zip(curve["practice"], curve["cost_per_tco2e"], curve["abatement_Mt_CO2e_yr"]):
        ax.bar(
            left,
            cost,
            width=width,
            align="edge",
            color=colors.get(practice, "#999999"),
            edgecolor="white",
            linewidth=0.3,
        )
        left += width
    ax.axhline(price, color="black", linestyle="--", linewidth=1)
    ax.text(left, price, f" price {price:g}", va="bottom", ha="right", fontsize=8)
    ax.axhline(0, color="grey", linewidth=0.5)
    ax.set_xlim(0, max(left, 1e-9))
    ax.set_xlabel("cumulative net abatement (Mt CO2e yr-1)")
    ax.set_ylabel(f"cost ({currency} t-1 CO2e)")
    ax.set_title(title, fontsize=10)
    seen = list(dict.fromkeys(curve["practice"]))
    ax.legend(
        handles=[plt.Rectangle((0, 0), 1, 1, color=colors.get(n, "#999999")) for n in seen],
        labels=seen,
        fontsize=7,
        loc="upper left",
        frameon=False,
    )
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()
