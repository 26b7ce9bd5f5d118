"""The national SOC trajectory of a run: ``trajectory.csv`` and its chart.

Cumulative sequestration [Mt C and Mt CO2] by year, 0 to ``outputs.trajectory_years``, for every
practice, the best practice (with its 95 % range from the IPCC factor errors) and every RothC scenario
(SOC change since T0, recorded every ``outputs.trajectory_rothc_step`` forward years). The sums are
taken in the run's one pass over the grid (:func:`trajectory_terms`, area weights of the zonal engine)
and written by :func:`write_trajectory`; :func:`trajectory_png` draws the chart for the report.
Per pixel: :mod:`scsmap.rules.trajectory` (docs/methods/practices.md §6.5).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np
import xarray as xr

from ..errors import Unavailable
from ..io.write import write_columns_csv
from ..layers.block_sums import BlockSum
from ..layers.keys import Select, Stack
from ..layers.model import Model
from ..rules.ghg import CO2_PER_C
from ..rules.trajectory import practice_paths_sums, weighted_sums

#: the file a run writes
TRAJECTORY_CSV = "trajectory.csv"
#: its columns
TRAJECTORY_COLUMNS = ("year", "pathway", "kind", "cumulative_Mt_C", "cumulative_Mt_CO2")
SCENARIOS = ("bau", "ssm1", "ssm2", "ssm3")


def trajectory_practice_outputs(model: Model) -> list[str]:
    """The outputs of the practice stack the trajectory reads: each practice's rate, the best rate and its range.

    Parameters
    ----------
    model : Model

    Returns
    -------
    list of str
        Empty when the run makes no trajectory (``outputs.trajectory_years`` 0).
    """
    if model.cfg.outputs.trajectory_years <= 0:
        return []
    names = [f"rate_{r.practice}" for r in model.practice_tables.rules]
    return names + ["rate_best", "rate_best_low", "rate_best_high"]


def trajectory_layers(
    model: Model, mask: xr.DataArray | None, practices_on: bool = True, rothc_on: bool = True
) -> dict[str, Any]:
    """The lazy layers the trajectory is summed from; empty when the run makes none.

    Parameters
    ----------
    model : Model
    mask : xarray.DataArray or None
        The region mask; None for a region without a boundary (every cell is inside: nothing is masked).
    practices_on, rothc_on : bool
        The run computes the practice stack / the GSOCseq stack anyway (the trajectory adds no stack of its own).

    Returns
    -------
    dict
        ``practices``: pathway → rate layer [t C ha-1 yr-1]; ``room``: saturation deficit + POC allowance
        [t C ha-1] (these two not masked: :func:`trajectory_terms` weighs the cells outside ``mask`` 0);
        ``rothc``: (y, x, k) SOC change since T0 per scenario and recorded year, with ``rothc_names`` its
        (scenario, year) pairs; ``mask``; ``years``, ``duration``.
    """
    cfg = model.cfg
    years = cfg.outputs.trajectory_years
    if years <= 0:
        return {}
    out: dict[str, Any] = {"years": list(range(years + 1)), "duration": cfg.practices.transition_years, "mask": mask}
    practices: dict[str, xr.DataArray] = {}
    try:
        if not practices_on:
            raise Unavailable("no practice product")
        for name in trajectory_practice_outputs(model):
            practices[name.removeprefix("rate_")] = model.layer(Select(Stack.PRACTICES, name))
        out["room"] = model.get("saturation_deficit").clip(min=0) + cfg.practices.poc_allowance
    except Unavailable:
        practices = {}
    out["practices"] = practices
    try:
        if not rothc_on:
            raise Unavailable("no RothC product")
        stack = model.get(Stack.GSOCSEQ.value)
        recorded = model.trajectory_years()
        pairs = [(s, y) for s in SCENARIOS for y in recorded]
        if pairs:
            rothc = stack.sel(gsocseq_output=[f"dsoc_{s}_y{y}" for s, y in pairs])
            out["rothc"] = rothc if mask is None else rothc.where(mask)
            out["rothc_names"] = pairs
    except Unavailable:
        pass
    return out if (practices or "rothc" in out) else {}


def trajectory_terms(layers: dict[str, Any], weight: Any) -> dict[str, Any]:
    """Lazy per-block sums of the trajectory, group ``"trajectory"`` (:mod:`scsmap.layers.block_sums`).

    Parameters
    ----------
    layers : dict
        :func:`trajectory_layers`.
    weight : dask.array.Array
        (y, x) cell weights [ha] of the region (the zonal engine's).

    Returns
    -------
    dict
        ``practices`` → (pathways, years) sums [t C], the pathways in the order of ``layers["practices"]``;
        ``rothc`` → (k,) sums [t C]; each a :class:`~scsmap.layers.block_sums.BlockSum`.

    Notes
    -----
    The cells outside the region mask weigh 0, so that the sums leave them out as they leave out NaN rates
    (:func:`scsmap.rules.trajectory.practice_path_sums` skips cells of weight 0): the same cells, in the same
    order, as masking every pathway's rate, with one masking task per block instead of one per pathway.
    """
    if not layers:
        return {}
    years, duration = layers["years"], layers["duration"]
    if layers["mask"] is not None:
        weight = da.where(layers["mask"].data, weight, 0.0)
    out: dict[str, Any] = {}
    practices = layers["practices"]
    if practices:  # every pathway in one pass over a block's cells (pathway x year sums)
        out["practices"] = BlockSum(
            lambda w, c, *rates: practice_paths_sums(w, rates, c, duration, years),
            (
                weight,
                layers["room"].data.rechunk(weight.chunks),
                *[r.data.rechunk(weight.chunks) for r in practices.values()],
            ),
            "trajectory",
        )
    if "rothc" in layers:
        k = len(layers["rothc_names"])
        data = layers["rothc"].data  # (y, x, k)
        out["rothc"] = BlockSum(
            lambda w, *v: weighted_sums(w, np.stack(v)),
            (weight, *[data[..., i].rechunk(weight.chunks) for i in range(k)]),
            "trajectory",
        )
    return out


def trajectory_table(sums: dict[str, Any], layers: dict[str, Any]) -> dict[str, list[Any]]:
    """The rows of ``trajectory.csv`` from the computed sums.

    Returns
    -------
    dict of str to list
        Columns :data:`TRAJECTORY_COLUMNS`; ``kind`` is ``practice`` (Tier 1 / Tier 2 rate, linear over D, capped
        by the saturation deficit), ``practice_range`` (the best practice's 95 % range) or ``rothc`` (the
        scenario's simulated SOC change since T0; years not recorded are absent).
    """
    cols: dict[str, list[Any]] = {c: [] for c in TRAJECTORY_COLUMNS}

    def add(year: int, pathway: str, kind: str, t_c: float) -> None:
        cols["year"].append(int(year))
        cols["pathway"].append(pathway)
        cols["kind"].append(kind)
        cols["cumulative_Mt_C"].append(t_c / 1e6)
        cols["cumulative_Mt_CO2"].append(t_c * CO2_PER_C / 1e6)

    practices = zip(layers["practices"], sums["practices"], strict=True) if "practices" in sums else ()
    for name, values in practices:
        kind = "practice_range" if name in ("best_low", "best_high") else "practice"
        pathway = name.replace("best", "best_practice") if name.startswith("best") else name
        for year, v in zip(layers["years"], np.ravel(values)):
            add(year, pathway, kind, float(v))
    if "rothc" in sums:
        for s in SCENARIOS:
            add(0, f"rothc_{s}", "rothc", 0.0)
        for (s, y), v in zip(layers["rothc_names"], np.ravel(sums["rothc"])):
            add(y, f"rothc_{s}", "rothc", float(v))
    return cols


def write_trajectory(sums: dict[str, Any], layers: dict[str, Any], directory: Path) -> dict[str, Any]:
    """Write ``trajectory.csv`` into ``directory``; return the manifest summary fields.

    Parameters
    ----------
    sums : dict
        The computed :func:`trajectory_terms`.
    layers : dict
        :func:`trajectory_layers`.
    directory : Path

    Returns
    -------
    dict
        ``trajectory`` (file name), ``trajectory_years`` and, for the best practice and each RothC scenario,
        the first (year 1 or the first recorded year) and last values [Mt C].
    """
    cols = trajectory_table(sums, layers)
    write_columns_csv(Path(directory) / TRAJECTORY_CSV, cols, TRAJECTORY_COLUMNS, float_format="%.6g")
    out: dict[str, Any] = {"trajectory": TRAJECTORY_CSV, "trajectory_years": max(layers["years"])}
    for pathway in ("best_practice", "best_practice_low", "best_practice_high", *(f"rothc_{s}" for s in SCENARIOS)):
        rows = [
            (y, v) for y, p, v in zip(cols["year"], cols["pathway"], cols["cumulative_Mt_C"]) if p == pathway and y > 0
        ]
        if rows:
            out[f"trajectory_{pathway}_first"] = {"year": rows[0][0], "Mt_C": rows[0][1]}
            out[f"trajectory_{pathway}_last"] = {"year": rows[-1][0], "Mt_C": rows[-1][1]}
    return out


def trajectory_png(cols: dict[str, list[Any]], title: str = "") -> bytes:
    """The trajectory chart as PNG bytes (matplotlib, 800 x 450 px).

    Parameters
    ----------
    cols : dict of str to list
        The columns of ``trajectory.csv`` (:func:`trajectory_table`, or the file read back).
    title : str

    Returns
    -------
    bytes
        Cumulative Mt C by year: every practice (thin), the best practice with its 95 % range (band) and the
        RothC scenarios (dashed, markers at the recorded years).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    year = np.asarray(cols["year"], dtype="f8")
    value = np.asarray(cols["cumulative_Mt_C"], dtype="f8")
    pathway = np.asarray(cols["pathway"], dtype=object)
    kind = np.asarray(cols["kind"], dtype=object)
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    for p in dict.fromkeys(pathway[kind == "practice"]):
        sel = pathway == p
        if p == "best_practice":
            ax.plot(year[sel], value[sel], color="#e31a1c", lw=2.2, label="best practice", zorder=3)
        else:
            ax.plot(year[sel], value[sel], lw=0.8, alpha=0.6, label=str(p))
    lo, hi = pathway == "best_practice_low", pathway == "best_practice_high"
    if lo.any() and hi.any():
        ax.fill_between(year[lo], value[lo], value[hi], color="#e31a1c", alpha=0.15, label="best practice, 95 % range")
    for p in dict.fromkeys(pathway[kind == "rothc"]):
        sel = pathway == p
        ax.plot(year[sel], value[sel], ls="--", marker="o", ms=3, lw=1.2, label=f"RothC {str(p)[6:].upper()}")
    ax.axhline(0, color="0.5", lw=0.6)
    ax.set_xlabel("years after adoption")
    ax.set_ylabel("cumulative SOC change [Mt C]")
    if title:
        ax.set_title(title)
    ax.legend(fontsize=7, ncol=2, loc="upper left", frameon=False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()
