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
``MEAN``               ``<id>_mean_<units>`` (``percent``, ``t_ha``), ``<id>_valid_area_ha``
``RATE``               ``<id>_mean_t_ha_yr``, ``<id>_total_Mt_yr``, ``<id>_total_Mt_CO2_yr``, ``<id>_valid_area_ha``
``RATE_LOW``/``_HIGH``  ``<rate>_total_Mt_yr_low`` / ``_high``, ``<rate>_total_Mt_CO2_yr_low`` / ``_high``: the
                       95 % range of the total of the rate ``<rate>`` it bounds (``Product.bound_of``), the
                       factor errors taken as fully correlated across pixels (one factor value per zone)
``CO2E``               ``<id>_mean_t_CO2e_ha_yr``, ``<id>_total_Mt_CO2e_yr``, ``<id>_valid_area_ha``
``SUITABLE_AREA``      ``<p>_conditional_ha``, ``<p>_suitable_ha``, ``<p>_unknown_ha``
``CLASS_SHARES``       ``<id>_share_percent``: class name → % of the classified area
=====================  =========================================================================

plus ``region_area_ha`` and, with ``rate_best``, ``share_4p1000_national_percent`` (over the region,
whether or not it is a nation; the key keeps its name for the manifests already written).

Each mean is over the product's own valid area (``<id>_valid_area_ha``: where it is known), which is
printed with it. :func:`brief` turns a summary into the figures the console (:func:`headline`) and the
report's first screen show, formatted once, so that both print the same digits and units (units as
shown to people: ``t C ha-1``, ``Mt C yr-1``, :mod:`scsmap.products.units`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..io.tables import load_practice_rules
from ..rules.ghg import CO2_PER_C
from ..rules.practices import UNKNOWN
from .registry import PRODUCTS, Summary
from .styles import legend_for
from .units import format_value

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
            s[f"{pid}_valid_area_ha"] = f["valid_area"]
        elif role is Summary.RATE:
            s[f"{pid}_mean_t_ha_yr"] = _mean(f)
            s[f"{pid}_total_Mt_yr"] = f["total"] / 1e6
            s[f"{pid}_total_Mt_CO2_yr"] = f["total"] * CO2_PER_C / 1e6
            s[f"{pid}_valid_area_ha"] = f["valid_area"]
        elif role in (Summary.RATE_LOW, Summary.RATE_HIGH):
            end = "low" if role is Summary.RATE_LOW else "high"
            base = PRODUCTS[pid].bound_of or pid
            s[f"{base}_total_Mt_yr_{end}"] = f["total"] / 1e6
            s[f"{base}_total_Mt_CO2_yr_{end}"] = f["total"] * CO2_PER_C / 1e6
        elif role is Summary.CO2E:
            s[f"{pid}_mean_t_CO2e_ha_yr"] = _mean(f)
            s[f"{pid}_total_Mt_CO2e_yr"] = f["total"] / 1e6
            s[f"{pid}_valid_area_ha"] = f["valid_area"]
    for pid, areas in class_areas.items():
        p = PRODUCTS[pid]
        if p.summary is Summary.SUITABLE_AREA:
            practice = p.practice or pid
            s[f"{practice}_conditional_ha"], s[f"{practice}_suitable_ha"] = float(areas[1]), float(areas[2])
            s[f"{practice}_unknown_ha"] = float(areas[UNKNOWN])
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


@dataclass(frozen=True)
class Figure:
    """One headline figure, formatted once for the console and the report.

    Attributes
    ----------
    key : str
        What it is (``soc_stock_total`` ...).
    label : str
        Short label (console column, report card title).
    text : str
        The number with its units, as printed (``153.08 Mt C``).
    note : str
        A short qualifier printed with it (the area of a mean, the uncertainty, the price).
    detail : str
        A sentence on what it is and how it was computed (the report).
    """

    key: str
    label: str
    text: str
    note: str = ""
    detail: str = ""


def _num(v: Any, units: str) -> str:
    """``v`` in ``units`` as shown everywhere (:func:`scsmap.products.units.format_value`), "n/a" if missing."""
    text = format_value(v, units)
    return "n/a" if text == "–" else text


#: how the two readings at the carbon price differ (console, report, docs/products.md)
PRICE_READINGS = (
    "The two readings at the carbon price differ: per pixel, abatement_at_price takes the largest net balance "
    "among the practices that cost at most the price; the abatement curve counts a step (best-net practice x "
    "climate zone) whole, at its average cost, when that average is at most the price."
)


def brief(summary: Mapping[str, Any]) -> list[Figure]:
    """The headline figures of a run summary, in the order a reader wants them.

    Parameters
    ----------
    summary : mapping
        A manifest's summary (:func:`summarize` plus the abatement-curve fields).

    Returns
    -------
    list of Figure
        Region area, SOC stock (total, mean, with the GSOCseq T0 uncertainty when the run mapped it),
        the 4 per 1000 target, saturation, the best-practice potential in Mt C and Mt CO2 yr-1 and its
        share of the target, the best practices by area, the net balance after N2O, and the abatement at
        the carbon price per pixel and read on the abatement curve; figures the run did not make are left
        out. Means are over each product's own valid area, which is given.
    """
    s = summary
    out = [
        Figure(
            "region_area",
            "region area",
            f"{_num(s.get('region_area_ha'), 'ha')} ha",
            detail="geodesic area of the region on the grid (cells weighted by their share inside the boundary)",
        )
    ]
    if s.get("valid_area_ha") is not None:
        out.append(Figure("valid_area", "valid area", f"{_num(s['valid_area_ha'], 'ha')} ha", "SOC stock known"))
        unc = s.get("uncertainty_t0_mean_percent")
        out.append(
            Figure(
                "soc_stock_total",
                "SOC stock total",
                f"{_num(s.get('soc_stock_total_Mt'), 'Mt C')} Mt C",
                "0-30 cm" + (f", ± {unc:.0f} % T0 uncertainty" if unc is not None else ""),
                "SOC stock 0-30 cm at T0 summed over the valid area"
                + (
                    f"; ± {unc:.0f} % is the area-weighted mean of the GSOCseq uncertainty of T0, "
                    "100 (max - min) / (2 mean)"
                    if unc is not None
                    else ""
                ),
            )
        )
        out.append(
            Figure(
                "soc_stock_mean",
                "SOC stock mean",
                f"{_num(s.get('soc_stock_mean_t_ha'), 't C ha-1')} t C ha-1",
                "over the valid area",
            )
        )
    if s.get("target_4p1000_total_Mt_yr") is not None:
        out.append(
            Figure(
                "target_4p1000",
                "4p1000 target",
                f"{_num(s['target_4p1000_total_Mt_yr'], 'Mt C yr-1')} Mt C yr-1",
                f"mean {_num(s.get('target_4p1000_mean_t_ha_yr'), 't C ha-1 yr-1')} t C ha-1 yr-1",
                "0.4 % of the SOC stock a year (Minasny et al. 2017)",
            )
        )
    if s.get("saturation_ratio_mean_percent") is not None:
        out.append(
            Figure(
                "saturation_ratio",
                "saturation ratio",
                f"{_num(s['saturation_ratio_mean_percent'], '%')} %",
                "area-weighted mean",
                "share of the mineral-associated OC capacity already filled",
            )
        )
    if s.get("rate_best_total_Mt_yr") is not None:
        area = s.get("rate_best_valid_area_ha")
        out.append(
            Figure(
                "rate_best",
                "best practice rate",
                f"{_num(s['rate_best_total_Mt_yr'], 'Mt C yr-1')} Mt C yr-1",
                f"= {_num(s.get('rate_best_total_Mt_CO2_yr'), 'Mt CO2 yr-1')} Mt CO2 yr-1; mean "
                f"{_num(s.get('rate_best_mean_t_ha_yr'), 't C ha-1 yr-1')} t C ha-1 yr-1"
                + (f" over {_num(area, 'ha')} ha" if area is not None else ""),
                "the suitable practice with the highest rate on every pixel, capped by saturation; Mt CO2 = 44/12 "
                "Mt C; the mean is over the area where the rate is known; uncertainty not quantified in this run "
                "(IPCC Tier 1 or table rates)",
            )
        )
        if s.get("share_4p1000_national_percent") is not None:
            out.append(
                Figure(
                    "share_4p1000",
                    "share of 4p1000",
                    f"{_num(s['share_4p1000_national_percent'], '%')} %",
                    "of the target, over the region",
                    "Σ(rate × area) / Σ(0.004 × T0 × area), never a mean of per-pixel ratios",
                )
            )
        shares = sorted(s.get("best_practice_share_percent", {}).items(), key=lambda kv: -kv[1])[:4]
        if shares:
            out.append(
                Figure(
                    "best_practice",
                    "best practice",
                    ", ".join(f"{k} {v:.1f} %" for k, v in shares),
                    "of the mapped area",
                )
            )
    if s.get("net_ghg_best_total_Mt_CO2e_yr") is not None:
        out.append(
            Figure(
                "net_ghg_best",
                "net of N2O",
                f"{_num(s['net_ghg_best_total_Mt_CO2e_yr'], 'Mt CO2e yr-1')} Mt CO2e yr-1",
                "sequestration - N2O",
                "44/12 × rate - N2O of the practice with the largest net balance on every pixel",
            )
        )
    price = (
        f"{s['carbon_price']:g} {s.get('currency') or 'currency'} t-1 CO2e"
        if s.get("carbon_price") is not None
        else None
    )
    if s.get("abatement_at_price_total_Mt_CO2e_yr") is not None and price:
        out.append(
            Figure(
                "abatement_at_price",
                "at the carbon price",
                f"{_num(s['abatement_at_price_total_Mt_CO2e_yr'], 'Mt CO2e yr-1')} Mt CO2e yr-1",
                f"at {price}, practice chosen per pixel: abatement_at_price",
                "per pixel, the largest net balance among the practices costing at most the price",
            )
        )
    if s.get("abatement_curve_at_price_Mt_CO2e_yr") is not None and price:
        out.append(
            Figure(
                "abatement_curve_at_price",
                "curve at the price",
                f"{_num(s['abatement_curve_at_price_Mt_CO2e_yr'], 'Mt CO2e yr-1')} Mt CO2e yr-1",
                f"{s.get('abatement_curve', 'abatement_curve.csv')} read at {price}",
                PRICE_READINGS,
            )
        )
    return out


def headline(summary: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The summary's headline figures (:func:`brief`) as (label, text) console lines.

    Parameters
    ----------
    summary : mapping
        A manifest's summary.

    Returns
    -------
    list of (str, str)
        Lines for the console (``scsmap run``, ``scsmap summary``); lines whose numbers the run did
        not make are left out.
    """
    return [(f.label, f.text + (f" ({f.note})" if f.note else "")) for f in brief(summary)]


def leading_practice(summary: Mapping[str, Any]) -> str | None:
    """The practice that is the best practice on the largest share of the area (``best_practice_share_percent``).

    Returns
    -------
    str or None
        Its id (``agroforestry`` ...); None when the run has no best-practice shares or no practice is best
        anywhere.
    """
    names = {r.name: r.practice for r in load_practice_rules()}
    shares = [(v, k) for k, v in summary.get("best_practice_share_percent", {}).items() if k in names and v > 0]
    return names[max(shares)[1]] if shares else None
