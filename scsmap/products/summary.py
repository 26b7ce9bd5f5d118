"""The run summary: the region's headline numbers, named by each product's summary role.

The area-weighted figures of the region (valid area, mean, total, share of the 4 per 1000
target, class areas) come from the zonal engine (:mod:`scsmap.outputs.zonal`), the same that
computes ``stats.csv``; this module only names them, by the :class:`~scsmap.products.Summary`
role of each product, and converts totals to Mt (and t C to t CO2, × 44/12).

Keys (``<id>`` a product id, ``<p>`` a practice):

=====================  =========================================================================
role                   keys
=====================  =========================================================================
``SOC_STOCK``          ``valid_area_ha``, ``soc_stock_mean_t_ha``, ``soc_stock_total_Mt``
``MEAN``               ``<id>_mean_<units>`` (``percent``, ``t_ha``)
``RATE``               ``<id>_mean_t_ha_yr``, ``<id>_total_Mt_yr``, ``<id>_total_Mt_CO2_yr``
``RATE_LOW``/``_HIGH``  ``<rate>_total_Mt_yr_low`` / ``_high``, ``<rate>_total_Mt_CO2_yr_low`` / ``_high``: the
                       95 % range of the total of the rate ``<rate>`` it bounds (``Product.bound_of``), the
                       factor errors taken as fully correlated across pixels (one factor value per zone)
``CO2E``               ``<id>_mean_t_CO2e_ha_yr``, ``<id>_total_Mt_CO2e_yr``
``SUITABLE_AREA``      ``<p>_conditional_ha``, ``<p>_suitable_ha``
``CLASS_SHARES``       ``<id>_share_percent``: class name → % of the classified area
=====================  =========================================================================

plus ``region_area_ha`` and, with ``rate_best``, ``share_4p1000_national_percent``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..rules.ghg import CO2_PER_C
from .registry import PRODUCTS, Summary
from .styles import legend_for

#: unit suffix of MEAN keys
_UNIT_KEYS = {"%": "percent", "t ha-1": "t_ha", "t ha-1 yr-1": "t_ha_yr"}


def _mean(figures: Mapping[str, float]) -> float | None:
    return figures["total"] / figures["valid_area"] if figures["valid_area"] else None


def summarize(
    region_area: float, figures: Mapping[str, Mapping[str, float]], class_areas: Mapping[str, Sequence[float]]
) -> dict[str, Any]:
    """The summary of a run from the region's area-weighted figures.

    Parameters
    ----------
    region_area : float
        Σ coverage × cell area of the region [ha].
    figures : mapping of product id to mapping
        ``valid_area`` [ha], ``total`` (Σ w v) and ``share_percent`` [%] of each product with a
        summary role, in the product's canonical units (rates in t C, before ``ghg.rate_units``).
    class_areas : mapping of product id to sequence of float
        Class maps with the ``CLASS_SHARES`` or ``SUITABLE_AREA`` role: area [ha] per class code.

    Returns
    -------
    dict
        The keys of the module docstring.
    """
    s: dict[str, Any] = {"region_area_ha": float(region_area)}
    for pid, f in figures.items():
        role = PRODUCTS[pid].summary
        if role is Summary.SOC_STOCK:
            s["valid_area_ha"] = f["valid_area"]
            s["soc_stock_mean_t_ha"] = _mean(f)
            s["soc_stock_total_Mt"] = f["total"] / 1e6
        elif role is Summary.MEAN:
            s[f"{pid}_mean_{_UNIT_KEYS[PRODUCTS[pid].units]}"] = _mean(f)
        elif role is Summary.RATE:
            s[f"{pid}_mean_t_ha_yr"] = _mean(f)
            s[f"{pid}_total_Mt_yr"] = f["total"] / 1e6
            s[f"{pid}_total_Mt_CO2_yr"] = f["total"] * CO2_PER_C / 1e6
        elif role in (Summary.RATE_LOW, Summary.RATE_HIGH):
            end = "low" if role is Summary.RATE_LOW else "high"
            base = PRODUCTS[pid].bound_of or pid
            s[f"{base}_total_Mt_yr_{end}"] = f["total"] / 1e6
            s[f"{base}_total_Mt_CO2_yr_{end}"] = f["total"] * CO2_PER_C / 1e6
        elif role is Summary.CO2E:
            s[f"{pid}_mean_t_CO2e_ha_yr"] = _mean(f)
            s[f"{pid}_total_Mt_CO2e_yr"] = f["total"] / 1e6
    for pid, areas in class_areas.items():
        p = PRODUCTS[pid]
        if p.summary is Summary.SUITABLE_AREA:
            practice = p.practice or pid
            s[f"{practice}_conditional_ha"], s[f"{practice}_suitable_ha"] = float(areas[1]), float(areas[2])
        elif p.summary is Summary.CLASS_SHARES:
            names = legend_for(p).labels()
            total = sum(float(areas[c]) for c in names)
            s[f"{pid}_share_percent"] = (
                {names[c]: 100 * float(areas[c]) / total for c in names if areas[c]} if total else {}
            )
    if "rate_best" in figures and figures["rate_best"].get("share_percent") is not None:
        share = figures["rate_best"]["share_percent"]
        if share == share:  # not NaN: the target's area-weighted sum is positive
            s["share_4p1000_national_percent"] = share
    return s


def headline(summary: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The summary's headline numbers as (label, text) lines, in the order a reader wants them.

    Parameters
    ----------
    summary : mapping
        A manifest's summary (:func:`summarize` plus the abatement-curve fields).

    Returns
    -------
    list of (str, str)
        Lines for the console (``scsmap run``, ``scsmap summary``); lines whose numbers the run did
        not make are left out.
    """
    s = summary

    def fmt(key: str, unit: str, spec: str = ",.0f") -> str:
        v = s.get(key)
        return "n/a" if v is None else f"{format(v, spec)} {unit}"

    lines = [
        ("region area", fmt("region_area_ha", "ha")),
        ("valid area", fmt("valid_area_ha", "ha")),
        ("SOC stock mean", fmt("soc_stock_mean_t_ha", "t C ha-1", ".2f")),
        ("SOC stock total", fmt("soc_stock_total_Mt", "Mt C", ",.2f")),
        (
            "4p1000 target mean",
            f"{fmt('target_4p1000_mean_t_ha_yr', 't C ha-1 yr-1', '.3f')}"
            f"  (total {fmt('target_4p1000_total_Mt_yr', 'Mt C yr-1', '.3f')})",
        ),
    ]
    if s.get("saturation_ratio_mean_percent") is not None:
        lines.append(("saturation ratio", f"{fmt('saturation_ratio_mean_percent', '%', '.1f')} (area-weighted mean)"))
    if s.get("rate_best_total_Mt_yr") is not None:
        lines.append(
            (
                "best practice rate",
                f"{fmt('rate_best_mean_t_ha_yr', 't C ha-1 yr-1', '.3f')} (mean over "
                f"valid area; total {fmt('rate_best_total_Mt_yr', 'Mt C yr-1', '.3f')})",
            )
        )
        if s.get("share_4p1000_national_percent") is not None:
            lines.append(
                ("share of 4p1000", f"{fmt('share_4p1000_national_percent', '%', '.1f')} (national, area-weighted)")
            )
        shares = sorted(s.get("best_practice_share_percent", {}).items(), key=lambda kv: -kv[1])[:4]
        if shares:
            lines.append(("best practice", ", ".join(f"{k} {v:.1f} %" for k, v in shares)))
        if s.get("rate_best_total_Mt_CO2_yr") is not None:
            lines.append(("in CO2", f"{fmt('rate_best_total_Mt_CO2_yr', 'Mt CO2 yr-1', '.3f')} (x 44/12)"))
    if s.get("net_ghg_best_total_Mt_CO2e_yr") is not None:
        lines.append(
            (
                "net GHG, best",
                f"{fmt('net_ghg_best_total_Mt_CO2e_yr', 'Mt CO2e yr-1', '.3f')} "
                "(sequestration - N2O, practice with the largest net balance)",
            )
        )
    if s.get("abatement_curve_total_Mt_CO2e_yr") is not None:
        price = f"{s['carbon_price']:g} {s.get('currency', '')} t-1 CO2e"
        lines.append(
            (
                "at carbon price",
                f"{fmt('abatement_at_price_total_Mt_CO2e_yr', 'Mt CO2e yr-1', '.3f')} "
                f"reachable at {price} ({s['abatement_curve']})",
            )
        )
    return lines
