"""The product registry: what scsmap writes, with ids, units, nodata, legend, summary role and source.

A :class:`Product` owns the metadata of one output map and names the layer it is made
from (:data:`~scsmap.layers.keys.Source`, resolved by :class:`scsmap.layers.model.Model`).
The writer maps the metadata to the file (band description, unit, nodata, tags, colour
table); the run summary reads each product's :class:`Summary` role.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from ..config import Config
from ..io.tables import climate_zone_classes, land_use_classes, load_practice_rules, soil_class_classes
from ..layers.keys import Select, Source, Stack, source_layer
from ..rules.ghg import CO2_PER_C
from ..rules.practices import PRACTICE_IDS, UNKNOWN, UNKNOWN_PRACTICE
from .styles import UNKNOWN_LABEL, BitFlags, Legend, legend_for, unknown_colour

#: class labels of a class map: (code, label, '#rrggbb') per class
Labels = list[tuple[int, str, str]]

#: the groups of maps, in the order a reader meets them (QGIS project, console, report annex)
GROUPS = ("soil and stocks", "saturation", "RothC/GSOCseq", "practices", "GHG and costs", "climate and classes")


class Summary(StrEnum):
    """What a product contributes to the run summary (area-weighted over the region, :mod:`.summary`)."""

    #: nothing
    NONE = "none"
    #: SOC stock at T0: valid area [ha], mean [t C ha-1], total [Mt C]
    SOC_STOCK = "soc_stock"
    #: area-weighted mean in the product's units
    MEAN = "mean"
    #: a rate in t C ha-1 yr-1: mean, total [Mt C yr-1] and total in CO2 [Mt CO2 yr-1]
    RATE = "rate"
    #: the lower / upper end of the 95 % range of a RATE product (``Product.bound_of``): its totals
    RATE_LOW = "rate_low"
    RATE_HIGH = "rate_high"
    #: a balance in t CO2e ha-1 yr-1: mean and total [Mt CO2e yr-1]
    CO2E = "co2e"
    #: a suitability map: area conditional and suitable [ha]
    SUITABLE_AREA = "suitable_area"
    #: a class map: share of the classified area per class [%]
    CLASS_SHARES = "class_shares"


@dataclass(frozen=True)
class Product:
    """Metadata and compute rule of one output map.

    Attributes
    ----------
    id : str
        Fixed product id (file stem under the ``scsmap`` naming preset).
    long_name : str
        Band description.
    units : str
        Band unit (``t ha-1``, ``t ha-1 yr-1``, ``%``, ``class``...).
    dtype : str
        ``float32`` or ``uint8`` (class maps).
    nodata : float
        Declared nodata value in the file.
    valid_range : (float, float) or None
        Plausible range, for QA.
    family : str
        Style family (shared legend across regions).
    source : str or Select
        The layer the product is made from (:mod:`scsmap.layers.keys`).
    gsocseq_stem : str or None
        Name under the ``gsocseq`` naming preset (``{ISO}_GSOCseq_{stem}.tif``).
    references : str
        Sources of the method (written to the file's tags).
    class_labels : callable or None
        Class maps: ``class_labels() -> [(code, label, '#rrggbb'), ...]`` for their legend,
        QGIS style and colour table (:mod:`scsmap.products.styles`); without it classes are numbered.
    tag_set : str or None
        Extra tags naming the settings and tables used (``saturation``, ``practices``, ``ghg``;
        :meth:`scsmap.layers.model.Model.tags`).
    practice : str or None
        The practice of a per-practice product (its rule and table rows go into the tags).
    summary : Summary
        What the product contributes to the run summary.
    bound_of : str or None
        For a ``RATE_LOW`` / ``RATE_HIGH`` product: the id of the rate whose 95 % range it bounds.
    group : str
        The group of maps it belongs to (:data:`GROUPS`: the QGIS project's layer groups, the console).
    """

    id: str
    long_name: str
    units: str
    dtype: str
    nodata: float
    valid_range: tuple[float, float] | None
    family: str
    source: Source
    gsocseq_stem: str | None = None
    references: str = ""
    class_labels: Callable[[], Labels] | None = None
    tag_set: str | None = None
    practice: str | None = None
    summary: Summary = Summary.NONE
    bound_of: str | None = None
    group: str = "climate and classes"

    @property
    def is_class_map(self) -> bool:
        """True for class maps (uint8 with a colour table)."""
        return self.dtype == "uint8"

    @property
    def requires(self) -> tuple[str, ...]:
        """The layer the product is computed from (for ``scsmap products`` and skip reasons)."""
        return (source_layer(self.source),)

    def filename(self, cfg: Config) -> str:
        """File name under the config's naming preset."""
        if cfg.outputs.naming == "gsocseq":
            stem = self.gsocseq_stem
            if self.id == "soc_t0" and "temperature_warmup" in cfg.inputs:
                stem = None  # GSOCseq's T0 is then the SOC after the warm-up: product soc_t0_warmup
            if stem:
                return f"{cfg.region.iso3}_GSOCseq_{stem}.tif"
            return f"{cfg.region.iso3}_{self.id}.tif"
        return f"{self.id}.tif"


def _labels(table: Callable[[], tuple[tuple[int, str, str], ...]]) -> Callable[[], Labels]:
    """Class labels (code, name, colour) from a packaged class legend (:mod:`scsmap.io.tables.legends`)."""
    return lambda: list(table())


_F = (
    "docs/methods/saturation.md §4.3 (f_MAOC); Georgiou et al. 2022 Nat Commun 13:3797 "
    "or Hassink 1997 Plant Soil 191:77"
)

PRODUCTS: dict[str, Product] = {
    p.id: p
    for p in [
        Product(
            "soc_t0",
            "SOC stock 0-30 cm at T0 (t C per ha)",
            "t ha-1",
            "float32",
            -9999.0,
            (0.0, 800.0),
            "stock",
            "soc_stock",
            gsocseq_stem="T0_Map030",
            references="GSOCseq Technical Manual ch. 6 (initial SOC); docs/methods/gsocseq.md §1.2",
            summary=Summary.SOC_STOCK,
            group="soil and stocks",
        ),
        Product(
            "target_4p1000",
            "4 per 1000 target: 0.004 x SOC stock at T0 (t C per ha per year)",
            "t ha-1 yr-1",
            "float32",
            -9999.0,
            (0.0, 4.0),
            "rate",
            "target_4p1000",
            references="docs/methods/fourp1000.md §5; Minasny et al. 2017 Geoderma 292:59",
            summary=Summary.RATE,
            group="soil and stocks",
        ),
        Product(
            "saturation_capacity",
            "mineral-associated OC capacity 0-30 cm (t C per ha)",
            "t ha-1",
            "float32",
            -9999.0,
            (0.0, 500.0),
            "stock",
            "saturation_capacity",
            references=_F,
            tag_set="saturation",
            summary=Summary.MEAN,
            group="saturation",
        ),
        Product(
            "saturation_ratio",
            "saturation of the MAOC capacity: 100 x f_MAOC x SOC / capacity",
            "%",
            "float32",
            -9999.0,
            (0.0, 300.0),
            "saturation",
            "saturation_ratio",
            references=_F,
            tag_set="saturation",
            summary=Summary.MEAN,
            group="saturation",
        ),
        Product(
            "saturation_deficit",
            "saturation deficit: max(0, capacity - f_MAOC x SOC) (t C per ha)",
            "t ha-1",
            "float32",
            -9999.0,
            (0.0, 500.0),
            "stock",
            "saturation_deficit",
            references=_F,
            tag_set="saturation",
            summary=Summary.MEAN,
            group="saturation",
        ),
        Product(
            "land_use",
            "land-use class (FAO GSOCseq classes)",
            "class",
            "uint8",
            255,
            (0, 13),
            "land_use",
            "land_use",
            references="docs/methods/gsocseq.md §1.3",
            class_labels=_labels(land_use_classes),
        ),
        Product(
            "mat",
            "mean annual air temperature",
            "degC",
            "float32",
            -9999.0,
            (-40.0, 35.0),
            "temperature",
            "mat",
            references="mean of 12 monthly means",
        ),
        Product(
            "map",
            "mean annual precipitation",
            "mm yr-1",
            "float32",
            -9999.0,
            (0.0, 12000.0),
            "precipitation",
            "map",
            references="sum of 12 monthly totals",
        ),
    ]
}


# ------------------------------------------------------------------ RothC / GSOCseq (docs/methods/gsocseq.md §1.9)

_G = (
    "GSOCseq Technical Manual (FAO 2020) ch. 5-6, 12; Coleman & Jenkinson RothC-26.3; docs/methods/gsocseq.md §1.6-§1.9"
)
_SC = {"bau": "BAU", "ssm1": "SSM1", "ssm2": "SSM2", "ssm3": "SSM3"}


def _gsocseq_product(
    out: str,
    pid: str,
    long_name: str,
    units: str,
    family: str,
    stem: str | None,
    valid: tuple[float, float],
    gate: str | None = None,
) -> Product:
    """A product that is one output ``out`` of the GSOCseq stack, corrected by its own QA bit (if any)."""
    bit = {"t0": 0, "final": 0, "absdiff": 1, "reldiff": 2, "asr": 3, "rsr": 4, "unc": 5}.get(out.split("_")[0])
    return Product(
        pid,
        long_name,
        units,
        "float32",
        -9999.0,
        valid,
        family,
        Select(Stack.GSOCSEQ, out, gate, bit),
        gsocseq_stem=stem,
        references=_G,
        group="RothC/GSOCseq",
    )


_GSOCSEQ: list[Product] = []
for _s, _S in _SC.items():
    _GSOCSEQ.append(
        _gsocseq_product(
            f"final_{_s}",
            f"soc_final_{_s}",
            f"SOC stock 0-30 cm after the horizon, {_S} (t C per ha)",
            "t ha-1",
            "stock",
            f"finalSOC_{_S}_Map030",
            (0, 800),
        )
    )
for _s, _S in _SC.items():
    _GSOCSEQ.append(
        _gsocseq_product(
            f"absdiff_{_s}",
            f"absdiff_{_s}",
            f"absolute SOC difference final - T0, {_S} (t C per ha)",
            "t ha-1",
            "difference",
            f"AbsDiff_{_S}_Map030",
            (-80, 80),
        )
    )
for _s, _S in _SC.items():
    _GSOCSEQ.append(
        _gsocseq_product(
            f"asr_{_s}",
            f"asr_{_s}",
            f"absolute sequestration rate (final - T0)/horizon, {_S} (t C per ha per year)",
            "t ha-1 yr-1",
            "rate",
            f"ASR_{_S}_Map030",
            (-4, 4),
        )
    )
for _s in ("ssm1", "ssm2", "ssm3"):
    _S = _SC[_s]
    _GSOCSEQ.append(
        _gsocseq_product(
            f"reldiff_{_s}",
            f"reldiff_{_s}",
            f"relative SOC difference {_S} - BAU at the horizon (t C per ha)",
            "t ha-1",
            "difference",
            f"RelDiff_{_S}_Map030",
            (0, 80),
        )
    )
for _s in ("ssm1", "ssm2", "ssm3"):
    _S = _SC[_s]
    _GSOCSEQ.append(
        _gsocseq_product(
            f"rsr_{_s}",
            f"rsr_{_s}",
            f"relative sequestration rate ({_S} - BAU)/horizon (t C per ha per year)",
            "t ha-1 yr-1",
            "rate",
            f"RSR_{_S}_Map030",
            (0, 4),
        )
    )
_GSOCSEQ += [
    _gsocseq_product(
        "unc_t0",
        "uncertainty_t0",
        "uncertainty of T0: 100 (max - min)/(2 mean)",
        "%",
        "uncertainty",
        "T0_UncertaintyMap030",
        (0, 200),
        "gsocseq_uncertainty",
    ),
    _gsocseq_product(
        "unc_bau",
        "uncertainty_bau",
        "uncertainty of final SOC, BAU",
        "%",
        "uncertainty",
        "BAU_UncertaintyMap030",
        (0, 200),
        "gsocseq_uncertainty",
    ),
    _gsocseq_product(
        "unc_ssm",
        "uncertainty_ssm",
        "uncertainty of final SOC, SSM (from SSM2, used for all SSM)",
        "%",
        "uncertainty",
        "SSM_UncertaintyMap030",
        (0, 200),
        "gsocseq_uncertainty",
    ),
]
for _s, _S in _SC.items():
    _GSOCSEQ.append(
        _gsocseq_product(
            f"unc_asr_{_s}",
            f"uncertainty_asr_{_s}",
            f"uncertainty of ASR {_S} (GSOCseq propagation)",
            "%",
            "uncertainty",
            f"ASR_{_S}_UncertaintyMap030",
            (0, 200),
            "gsocseq_uncertainty",
        )
    )
for _s in ("ssm1", "ssm2", "ssm3"):
    _S = _SC[_s]
    _GSOCSEQ.append(
        _gsocseq_product(
            f"unc_rsr_{_s}",
            f"uncertainty_rsr_{_s}",
            f"uncertainty of RSR {_S} (GSOCseq propagation)",
            "%",
            "uncertainty",
            f"RSR_{_S}_UncertaintyMap030",
            (0, 200),
            "gsocseq_uncertainty",
        )
    )
_GSOCSEQ.append(
    _gsocseq_product(
        "c_input_bau",
        "cinput_bau",
        "plant C input holding SOC at T0 in the spin-up climate = BAU input (t C per ha per year)",
        "t ha-1 yr-1",
        "input",
        None,
        (0, 30),
    )
)
_GSOCSEQ.append(
    _gsocseq_product(
        "t0",
        "soc_t0_warmup",
        "SOC stock 0-30 cm at T0 after the GSOCseq warm-up (t C per ha)",
        "t ha-1",
        "stock",
        "T0_Map030",
        (0, 800),
        gate="gsocseq_warmup",
    )
)
_GSOCSEQ.append(
    _gsocseq_product(
        "cinput_needed_4p1000",
        "cinput_needed_4p1000",
        "additional C input over BAU that makes SOC grow 0.4 % of T0 a year over the horizon "
        "(t C per ha per year; negative where BAU already does)",
        "t ha-1 yr-1",
        "input_change",
        None,
        (-30, 30),
    )
)
for _s in ("ssm1", "ssm2", "ssm3"):
    _GSOCSEQ.append(
        _gsocseq_product(
            f"share_4p1000_input_{_s}",
            f"share_cinput_4p1000_{_s}",
            f"share of the 4 per 1000 input need supplied by {_SC[_s]}",
            "%",
            "share",
            None,
            (0, 1000),
        )
    )
_GSOCSEQ.append(
    Product(
        "gsocseq_qa",
        "GSOCseq map-correction flags (bits: 0 SOC out of 0-800, 1 AbsDiff, "
        "2 RelDiff, 3 ASR, 4 RSR, 5 uncertainty out of range; 0 = passes)",
        "class",
        "uint8",
        255,
        (0, 63),
        "qa",
        Select(Stack.GSOCSEQ, "qa_flags"),
        references="[S12] 9_MAPS/15_MapsCorrection.R; docs/methods/gsocseq.md §1.10",
        class_labels=BitFlags(("SOC", "AbsDiff", "RelDiff", "ASR", "RSR", "uncertainty"), "passes"),
        group="RothC/GSOCseq",
    )
)
_MC = {"mean": "mean", "sd": "standard deviation", "p05": "5th percentile", "p95": "95th percentile"}
for _s, _S in _SC.items():
    for _stat, _name in _MC.items():
        _GSOCSEQ.append(
            _gsocseq_product(
                f"mc_{_stat}_asr_{_s}",
                f"mc_{_stat}_asr_{_s}",
                f"Monte Carlo {_name} of ASR {_S} (t C per ha per year)",
                "t ha-1 yr-1",
                "rate_sd" if _stat == "sd" else "rate",
                None,
                (-4, 4),
                gate="gsocseq_montecarlo",
            )
        )
# the T0 uncertainty of the run summary (area-weighted mean, shown with the SOC stock)
_GSOCSEQ = [replace(p, summary=Summary.MEAN) if p.id == "uncertainty_t0" else p for p in _GSOCSEQ]
PRODUCTS.update({p.id: p for p in _GSOCSEQ})


# --------------------------------------------------------------------------- climate, IPCC classes, practices (§3, §6)

_P = (
    "docs/methods/ipcc.md §3.7, docs/methods/saturation.md §4.3-4.4, docs/methods/practices.md §6 "
    "(IPCC 2006/2019 Tier 1; Cardinael et al. 2018; Lessmann et al. 2021)"
)


def _suitability_classes() -> Labels:
    return [
        (0, "unsuitable", "#d7191c"),
        (1, "conditional", "#fdae61"),
        (2, "suitable", "#1a9641"),
        (UNKNOWN, UNKNOWN_LABEL, unknown_colour()),
    ]


def _best_practice_classes() -> Labels:
    return (
        [(0, "no suitable practice", "#ede4cf")]
        + [(r.code, r.name, r.color) for r in load_practice_rules()]
        + [(UNKNOWN_PRACTICE, UNKNOWN_LABEL, unknown_colour())]
    )


def _stack_product(
    stack: Stack,
    out: str,
    long_name: str,
    units: str,
    dtype: str,
    valid: tuple[float, float],
    family: str,
    practice: str | None,
    labels: Callable[[], Labels] | None = None,
    summary: Summary = Summary.NONE,
    bound_of: str | None = None,
) -> Product:
    """A product that is one output ``out`` of the practice or GHG stack, tagged with its practice's tables."""
    return Product(
        out,
        long_name,
        units,
        dtype,
        255 if dtype == "uint8" else -9999.0,
        valid,
        family,
        Select(stack, out),
        references=_P if stack is Stack.PRACTICES else _GHG,
        class_labels=labels,
        tag_set=stack.value,
        practice=practice,
        summary=summary,
        bound_of=bound_of,
        group="practices" if stack is Stack.PRACTICES else "GHG and costs",
    )


def _rate_bounds(rate_id: str, what: str, practice: str | None) -> list[Product]:
    """The lower and upper end of the 95 % range of a practice rate (IPCC factor error ranges)."""
    return [
        _practice_product(
            f"{rate_id}_{end}",
            f"{name} end of the 95 % range of {what} from the IPCC factors' error ranges (Approach 1 "
            "propagation, capped like the rate; t C per ha per year)",
            "t ha-1 yr-1",
            "float32",
            (-2.0, 5.0),
            "rate",
            practice,
            summary=role,
            bound_of=rate_id,
        )
        for end, name, role in (("low", "lower", Summary.RATE_LOW), ("high", "upper", Summary.RATE_HIGH))
    ]


def _practice_product(*args, **kw) -> Product:
    return _stack_product(Stack.PRACTICES, *args, **kw)


#: the reasons of the reason maps, bit 0 first (scsmap.rules.practices); 255 is the nodata value
_REASONS = BitFlags(
    (
        "land use not eligible",
        "climate",
        "slope",
        "soil",
        "saturated",
        "already practised",
        "input missing or no table value",
        "resource availability unknown",
    ),
    "no restriction",
)


_PRACTICES: list[Product] = [
    Product(
        "pet_annual",
        "annual potential evapotranspiration",
        "mm yr-1",
        "float32",
        -9999.0,
        (0.0, 4000.0),
        "precipitation",
        "pet_annual",
        references="Thornthwaite 1948 or Hargreaves & Samani 1985 (FAO-56 eq. 52), or the `pet` input layer",
    ),
    Product(
        "aridity_index",
        "aridity index P/PET (UNEP: < 0.05 hyper-arid, < 0.2 arid, < 0.5 semi-arid, < 0.65 dry sub-humid)",
        "1",
        "float32",
        -9999.0,
        (0.0, 20.0),
        "aridity",
        "aridity_index",
        references="UNEP 1992 World Atlas of Desertification; docs/methods/practices.md §6.1",
    ),
    Product(
        "ipcc_climate_zone",
        "IPCC climate zone (2019 decision tree)",
        "class",
        "uint8",
        255,
        (1, 12),
        "class",
        "ipcc_climate_zone",
        references="IPCC 2019 Refinement Vol 4 Ch 3 Annex 3A.5 Fig. 3A.5.2; docs/methods/ipcc.md §3.2",
        class_labels=_labels(climate_zone_classes),
    ),
    Product(
        "ipcc_soil_class",
        "IPCC mineral-soil class",
        "class",
        "uint8",
        255,
        (1, 7),
        "class",
        "ipcc_soil_class",
        references="IPCC 2006/2019 Vol 4 Ch 3 Annex 3A.5 soil scheme; docs/methods/ipcc.md §3.3",
        class_labels=_labels(soil_class_classes),
    ),
]
for _pid in PRACTICE_IDS:
    _PRACTICES += [
        _practice_product(
            f"suitability_{_pid}",
            f"suitability for {_pid}: 0 unsuitable, 1 conditional, 2 suitable, 3 unknown (an input is missing)",
            "class",
            "uint8",
            (0, 3),
            "suitability",
            _pid,
            _suitability_classes,
            summary=Summary.SUITABLE_AREA,
        ),
        _practice_product(
            f"suitability_reason_{_pid}",
            f"why {_pid} is unsuitable, conditional or unknown (bit flags: 1 land "
            "use, 2 climate, 4 slope, 8 soil, 16 saturated, 32 already practised, 64 input missing or no "
            "table value, 128 resource availability unknown)",
            "class",
            "uint8",
            (0, 254),
            "qa",
            _pid,
            _REASONS,
        ),
        _practice_product(
            f"rate_{_pid}",
            f"SOC sequestration rate of {_pid}, capped by saturation (t C per ha per year; 0 where unsuitable)",
            "t ha-1 yr-1",
            "float32",
            (-2.0, 5.0),
            "rate",
            _pid,
            summary=Summary.RATE,
        ),
        *_rate_bounds(f"rate_{_pid}", f"the rate of {_pid}", _pid),
    ]
_PRACTICES += [
    _practice_product(
        "best_practice",
        f"suitable practice with the highest capped rate (0 = none, {UNKNOWN_PRACTICE} = unknown: an input is missing)",
        "class",
        "uint8",
        (0, UNKNOWN_PRACTICE),
        "class",
        None,
        _best_practice_classes,
        summary=Summary.CLASS_SHARES,
    ),
    _practice_product(
        "rate_best",
        "rate of the best practice (t C per ha per year)",
        "t ha-1 yr-1",
        "float32",
        (0.0, 5.0),
        "rate",
        None,
        summary=Summary.RATE,
    ),
    *_rate_bounds("rate_best", "the best practice's rate", None),
    _practice_product(
        "rate_combined",
        "rate of the best combination: one practice per mechanism (tillage, input, "
        "grazing, land use), set-aside alone, capped again (t C per ha per year)",
        "t ha-1 yr-1",
        "float32",
        (0.0, 5.0),
        "rate",
        None,
        summary=Summary.RATE,
    ),
    _practice_product(
        "potential_total",
        "SOC gain of the best practice over the horizon (t C per ha)",
        "t ha-1",
        "float32",
        (0.0, 200.0),
        "difference",
        None,
    ),
    _practice_product(
        "share_4p1000",
        "rate of the best practice as a share of the 4 per 1000 target: 100 x rate_best / (0.004 x SOC)",
        "%",
        "float32",
        (0.0, 1000.0),
        "share",
        None,
    ),
    _practice_product(
        "years_to_saturation",
        "years until the MAOC deficit is filled at the best practice's rate (0 = saturated)",
        "yr",
        "float32",
        (0.0, 10000.0),
        "years",
        None,
    ),
]
PRODUCTS.update({p.id: p for p in _PRACTICES})


# --------------------------------------------------------------------------- net GHG balance and costs (§8-§9)

_GHG = "docs/methods/ghg.md §8.1-§8.4 (IPCC 2006/2019 Vol 4 Ch 11 Tables 11.1, 11.3; GWP100 AR4/AR5/AR6), §9.2"
_CO2E = "t CO2e ha-1 yr-1"
_COST = "currency t-1 CO2e"


def _ghg_product(*args, **kw) -> Product:
    return _stack_product(Stack.GHG, *args, **kw)


def _baseline_classes() -> Labels:
    return [
        (1, "increasing (BAU > +0.4 %/yr)", "#1a9641"),
        (2, "near constant", "#ffffbf"),
        (3, "declining (BAU < -0.4 %/yr)", "#d7191c"),
    ]


_GHGS: list[Product] = []
for _pid in PRACTICE_IDS:
    _GHGS += [
        _ghg_product(
            f"n2o_{_pid}",
            f"N2O emission caused by {_pid}: N immobilised in new SOM supplied by external N, "
            "N the practice adds, N mineralised where SOC is lost (t CO2e per ha per year)",
            _CO2E,
            "float32",
            (0.0, 10.0),
            "n2o",
            _pid,
            summary=Summary.CO2E,
        ),
        _ghg_product(
            f"net_ghg_{_pid}",
            f"net GHG balance of {_pid}: 44/12 x SOC rate - N2O (t CO2e per ha per year; 0 where unsuitable)",
            _CO2E,
            "float32",
            (-20.0, 20.0),
            "co2",
            _pid,
            summary=Summary.CO2E,
        ),
        _ghg_product(
            f"cost_per_tco2_{_pid}",
            f"net cost of {_pid} per t CO2e abated (currency of the cost table; "
            "NaN where the net balance is not positive)",
            _COST,
            "float32",
            (-1e5, 1e5),
            "cost",
            _pid,
        ),
    ]
_GHGS += [
    _ghg_product(
        "best_practice_net",
        f"suitable practice with the largest positive net GHG balance (0 = none, {UNKNOWN_PRACTICE} = unknown)",
        "class",
        "uint8",
        (0, UNKNOWN_PRACTICE),
        "class",
        None,
        _best_practice_classes,
    ),
    _ghg_product(
        "net_ghg_best",
        "net GHG balance of best_practice_net (t CO2e per ha per year)",
        _CO2E,
        "float32",
        (0.0, 20.0),
        "co2",
        None,
        summary=Summary.CO2E,
    ),
    _ghg_product(
        "cost_per_tco2_best", "cost per t CO2e of best_practice_net", _COST, "float32", (-1e5, 1e5), "cost", None
    ),
    _ghg_product(
        "cheapest_practice",
        f"suitable practice with the lowest cost per t CO2e abated (0 = none, {UNKNOWN_PRACTICE} = unknown)",
        "class",
        "uint8",
        (0, UNKNOWN_PRACTICE),
        "class",
        None,
        _best_practice_classes,
    ),
    _ghg_product(
        "abatement_at_price",
        "net GHG abatement reachable at the carbon price ghg.price: the largest "
        "net balance among the practices costing at most the price per t CO2e (t CO2e per ha per year)",
        _CO2E,
        "float32",
        (0.0, 20.0),
        "co2",
        None,
        summary=Summary.CO2E,
    ),
    Product(
        "baseline_class",
        "SOC baseline under business as usual (RothC BAU ASR relative to SOC at T0): "
        "1 increasing, 2 near constant, 3 declining",
        "class",
        "uint8",
        255,
        (1, 3),
        "class",
        "baseline_class",
        references="docs/methods/gsocseq.md §1.9 (ASR BAU), docs/methods/fourp1000.md §5 (4 per 1000)",
        class_labels=_baseline_classes,
        group="RothC/GSOCseq",
    ),
]
PRODUCTS.update({p.id: p for p in _GHGS})


def as_written(p: Product, cfg: Config) -> tuple[Product, float]:
    """A product's metadata as written and the factor applied to its values.

    With ``ghg.rate_units: t CO2`` every product in t C ha-1 yr-1 is written in t CO2 ha-1 yr-1
    (× 44/12, docs/methods/ghg.md §8.1); statistics and the manifest summary keep both units.
    """
    if cfg.ghg.rate_units == "t CO2" and p.units == "t ha-1 yr-1":
        lo, hi = p.valid_range or (None, None)
        return replace(
            p,
            units="t CO2 ha-1 yr-1",
            family="co2",
            long_name=p.long_name.replace("t C per", "t CO2 per") + " [t CO2 = 44/12 x t C]",
            valid_range=(lo * CO2_PER_C, hi * CO2_PER_C) if lo is not None else None,
        ), CO2_PER_C
    return p, 1.0


def written_product(entry: dict[str, Any]) -> Product | None:
    """The product of a manifest entry as it was written (units, long name and family of the file).

    Returns
    -------
    Product or None
        None for an id this version of scsmap does not know.
    """
    p = PRODUCTS.get(entry["id"])
    if p is None:
        return None
    if entry.get("units", p.units) != p.units:  # ghg.rate_units: t CO2 (as_written)
        family = "co2" if "CO2" in entry["units"] else p.family
        p = replace(p, units=entry["units"], long_name=entry.get("long_name", p.long_name), family=family)
    return p


def entry_legend(entry: dict[str, Any], manifest: dict[str, Any]) -> Legend | None:
    """The legend a run drew a product with (its ``.qml``): the manifest's legend mode, the product's
    statistics (percentiles) and class counts, the cost table's currency.

    Parameters
    ----------
    entry : dict
        The product's manifest entry.
    manifest : dict
        The run's manifest (``legend``, ``currency``).

    Returns
    -------
    Legend or None
        None for a product this version does not know.
    """
    p = written_product(entry)
    if p is None:
        return None
    counts = entry.get("class_pixels")
    present = {int(k) for k in counts} if counts else None
    return legend_for(p, manifest.get("legend", "fixed"), entry.get("statistics"), present, manifest.get("currency"))
