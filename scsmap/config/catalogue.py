"""The input layers scsmap knows: canonical units, accepted units, physical ranges.

Each input in a region config is declared under one of these names with the units
its file stores: any unit of the canonical unit's dimension, parsed and converted by
pint (:mod:`scsmap.config.units`). At ingest the values are converted to the canonical
unit (``value_canonical = (raw * scale + offset) * factor + shift``) and checked
against the layer's physical range, so that a file in g kg-1 declared as % or a
temperature in K declared as degC is refused with a clear message instead of
producing wrong maps.

Units strings follow the project convention (docs/methods/index.md §0.1): ``t ha-1``,
``g cm-3``, ``mm month-1``, ``degC``. Carbon is stated in descriptions, never as a
bare ``C`` in a unit string.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["continuous", "categorical"]


@dataclass(frozen=True)
class LayerSpec:
    """Static description of one canonical input layer.

    Attributes
    ----------
    name : str
        Canonical layer name used in configs and code.
    description : str
        What the layer holds, with its depth where relevant.
    unit : str
        Canonical unit inside scsmap.
    units : tuple of str
        Spellings shown in hints and docs (the canonical one first). They are examples: any unit
        of the canonical unit's dimension is accepted (:func:`scsmap.config.units.conversion`).
    valid_range : (float, float) or None
        Physical range in the canonical unit; values outside it are refused.
    kind : {"continuous", "categorical"}
        Default resampling family.
    months : bool
        True for monthly layers (12 bands, January to December).
    series : bool
        True for monthly series of whole years (12 × years bands, January of the first
        year first), e.g. the GSOCseq warm-up climate.
    yearly : bool
        True for one band per year (first year first), e.g. the yearly land-use maps of the
        GSOCseq warm-up (LUsim); on the grid the bands lie on a ``warmup_year`` dimension.
    implausible_below : (float, float) or None
        (median, 99th percentile) in the canonical unit: a region whose sampled values
        have both below these is refused as a unit mistake (SOC stock: kg m-2 or g kg-1
        declared as t ha-1), even though every value is inside ``valid_range``.
    implausible_why : str
        What such low values usually are (the message's explanation).
    fraction_check : bool
        A share in %: sampled values that all lie in 0..1, not all whole, are refused as a
        fraction (0-1) declared as % (a 100-fold mistake).
    period : {"month", "year"} or None
        Each band is a total over this period (monthly precipitation, frost days per year): a
        declared total without the period (``mm``, ``days``) is read as the total of one period.
    water : bool
        A depth of water (precipitation, PET): a water mass per area (``kg m-2``) is accepted too.
    angles : bool
        An angle (degree, rad) is accepted and turned into percent by ``100 tan(angle)`` (slope).
    """

    name: str
    description: str
    unit: str
    units: tuple[str, ...]
    valid_range: tuple[float, float] | None
    kind: Kind = "continuous"
    months: bool = False
    series: bool = False
    yearly: bool = False
    aliases: tuple[str, ...] = field(default_factory=tuple)
    implausible_below: tuple[float, float] | None = None
    implausible_why: str = ""
    fraction_check: bool = False
    period: str | None = None
    water: bool = False
    angles: bool = False


_PERCENT = ("%", "g kg-1", "g/kg", "permille", "fraction")
_TEMPERATURE = ("degC", "°C", "K")

LAYERS: dict[str, LayerSpec] = {
    spec.name: spec
    for spec in [
        LayerSpec(
            "soc_stock",
            "SOC stock 0-30 cm (t C per ha)",
            "t ha-1",
            ("t ha-1", "Mg ha-1", "kg m-2", "g m-2"),
            (0.0, 1000.0),
            implausible_below=(10.0, 20.0),
            implausible_why="the values look like kg m-2 (1 kg m-2 = 10 t ha-1) or like an SOC content in g kg-1, "
            "not a stock in t ha-1; an SOC content goes under inputs.organic_carbon",
        ),
        LayerSpec(
            "organic_carbon",
            "soil organic carbon content of the fine earth, 0-30 cm",
            "%",
            (*_PERCENT, "dg kg-1"),
            (0.0, 60.0),
            implausible_below=(0.3, 1.0),
            implausible_why="too little carbon for a topsoil almost everywhere: the values look 10 times too small "
            "(a content in % declared as g kg-1 or permille)",
        ),
        LayerSpec(
            "bulk_density",
            "bulk density of the fine earth, 0-30 cm",
            "g cm-3",
            ("g cm-3", "t m-3", "kg dm-3", "cg cm-3", "kg m-3"),
            (0.05, 2.65),
            implausible_below=(0.4, 0.8),
            implausible_why="too light for mineral soil almost everywhere (peat is 0.1-0.3): the values look scaled "
            "(e.g. a density in g cm-3 declared as kg dm-3 x 0.1, or x 100 integers read without their scale)",
        ),
        LayerSpec(
            "coarse_fragments",
            "coarse fragments (> 2 mm), 0-30 cm, volume share",
            "%",
            ("%", "cm3 dm-3", "permille", "fraction"),
            (0.0, 100.0),
            fraction_check=True,
        ),
        LayerSpec(
            "clay",
            "clay (< 2 um) share of the fine earth, 0-30 cm",
            "%",
            _PERCENT,
            (0.0, 100.0),
            fraction_check=True,
        ),
        LayerSpec("silt", "silt share of the fine earth, 0-30 cm", "%", _PERCENT, (0.0, 100.0), fraction_check=True),
        LayerSpec("sand", "sand share of the fine earth, 0-30 cm", "%", _PERCENT, (0.0, 100.0), fraction_check=True),
        LayerSpec(
            "clay_activity",
            "dominant clay mineralogy: 1 = high-activity 2:1 clays (HAC), "
            "0 = low-activity 1:1 clays (LAC); a share in between is allowed",
            "1",
            ("1", "%"),
            (0.0, 1.0),
        ),
        LayerSpec(
            "precipitation",
            "monthly precipitation (12 bands, Jan-Dec)",
            "mm month-1",
            ("mm month-1", "mm", "cm month-1", "m month-1", "kg m-2 month-1"),
            (0.0, 3000.0),
            months=True,
            period="month",
            water=True,
        ),
        LayerSpec(
            "temperature",
            "monthly mean air temperature (12 bands, Jan-Dec)",
            "degC",
            _TEMPERATURE,
            (-70.0, 50.0),
            months=True,
        ),
        LayerSpec(
            "lst_day",
            "monthly mean daytime land-surface temperature (12 bands)",
            "degC",
            _TEMPERATURE,
            (-80.0, 90.0),
            months=True,
        ),
        LayerSpec(
            "lst_night",
            "monthly mean night-time land-surface temperature (12 bands)",
            "degC",
            _TEMPERATURE,
            (-90.0, 60.0),
            months=True,
        ),
        LayerSpec(
            "pet",
            "monthly potential evapotranspiration (12 bands, Jan-Dec)",
            "mm month-1",
            ("mm month-1", "mm"),
            (0.0, 1000.0),
            months=True,
            period="month",
            water=True,
        ),
        LayerSpec(
            "temperature_spinup",
            "monthly mean air temperature of the spin-up period (GSOCseq: 1981-2000 climatology)",
            "degC",
            _TEMPERATURE,
            (-70.0, 50.0),
            months=True,
        ),
        LayerSpec(
            "precipitation_spinup",
            "monthly precipitation of the spin-up period",
            "mm month-1",
            ("mm month-1", "mm"),
            (0.0, 3000.0),
            months=True,
            period="month",
            water=True,
        ),
        LayerSpec(
            "pet_spinup",
            "monthly potential evapotranspiration of the spin-up period",
            "mm month-1",
            ("mm month-1", "mm"),
            (0.0, 1000.0),
            months=True,
            period="month",
            water=True,
        ),
        LayerSpec(
            "temperature_warmup",
            "monthly mean air temperature, year by year over the warm-up (GSOCseq: 2001-2020, 240 bands)",
            "degC",
            _TEMPERATURE,
            (-70.0, 50.0),
            months=True,
            series=True,
        ),
        LayerSpec(
            "precipitation_warmup",
            "monthly precipitation, year by year over the warm-up",
            "mm month-1",
            ("mm month-1", "mm"),
            (0.0, 3000.0),
            months=True,
            period="month",
            water=True,
            series=True,
        ),
        LayerSpec(
            "pet_warmup",
            "monthly potential evapotranspiration, year by year over the warm-up",
            "mm month-1",
            ("mm month-1", "mm"),
            (0.0, 1000.0),
            months=True,
            period="month",
            water=True,
            series=True,
        ),
        LayerSpec(
            "cover",
            "monthly RothC soil-cover factor c (0.6 vegetated .. 1 bare; 12 bands)",
            "1",
            ("1",),
            (0.0, 1.0),
            months=True,
        ),
        LayerSpec("dr", "DPM/RPM ratio of the plant C input", "1", ("1",), (0.0, 10.0)),
        LayerSpec(
            "land_use",
            "land-use class codes, FAO GSOCseq classes (docs/methods/gsocseq.md §1.3)",
            "class",
            ("class",),
            (0.0, 254.0),
            kind="categorical",
        ),
        LayerSpec(
            "land_use_warmup",
            "land-use class of each warm-up year, FAO GSOCseq classes, one band per year, first year first "
            "(the scripts' LUsim stack; as many years as the warm-up climate)",
            "class",
            ("class",),
            (0.0, 254.0),
            kind="categorical",
            yearly=True,
        ),
        LayerSpec(
            "rice",
            "rice mask: 1 where rice is grown (paddy), 0 where not; practices that need rice "
            "(practice rule column `requires`) are 'unknown' without it",
            "class",
            ("class",),
            (0.0, 1.0),
            kind="categorical",
        ),
        LayerSpec(
            "land_cover",
            "land-cover class codes (e.g. ESA CCI LC)",
            "class",
            ("class",),
            None,
            kind="categorical",
        ),
        LayerSpec("elevation", "elevation above sea level", "m", ("m", "km"), (-500.0, 9000.0)),
        LayerSpec(
            "slope",
            "terrain slope (rise over run)",
            "%",
            ("%", "degree", "rad"),
            (0.0, 1000.0),
            angles=True,
        ),
        LayerSpec(
            "temperature_min",
            "monthly mean of the daily minimum air temperature (12 bands)",
            "degC",
            _TEMPERATURE,
            (-80.0, 45.0),
            months=True,
        ),
        LayerSpec(
            "temperature_max",
            "monthly mean of the daily maximum air temperature (12 bands)",
            "degC",
            _TEMPERATURE,
            (-60.0, 60.0),
            months=True,
        ),
        LayerSpec(
            "frost_days",
            "days with frost per year (IPCC 2019 climate-zone rule)",
            "d yr-1",
            ("d yr-1", "days"),
            (0.0, 366.0),
            period="year",
        ),
        LayerSpec(
            "wrb",
            "WRB reference soil group codes (legend in tables.wrb_legend)",
            "class",
            ("class",),
            None,
            kind="categorical",
        ),
        LayerSpec(
            "baseline_tillage",
            "current cropland tillage: 1 full, 2 reduced, 3 no-till",
            "class",
            ("class",),
            (1.0, 3.0),
            kind="categorical",
        ),
        LayerSpec(
            "baseline_input",
            "current cropland C input level: 1 low, 2 medium, 3 high without manure, "
            "4 high with manure (IPCC Table 5.5)",
            "class",
            ("class",),
            (1.0, 4.0),
            kind="categorical",
        ),
        LayerSpec(
            "baseline_grassland",
            "current grassland state: 1 nominal, 2 moderately degraded, 3 severely "
            "degraded, 4 improved, 5 high-intensity grazing (IPCC Table 6.2)",
            "class",
            ("class",),
            (1.0, 5.0),
            kind="categorical",
        ),
    ]
}

#: packaged land-cover legends (``inputs.land_cover.legend``), each mapped to the FAO GSOCseq land-use classes
#: (docs/methods/gsocseq.md §1.3) by ``scsmap/data/<name>_to_fao.csv`` with a source per row
LAND_COVER_LEGENDS: dict[str, str] = {
    "esa_cci": "ESA CCI-LC / C3S land cover (300 m, 1992 on)",
    "worldcover": "ESA WorldCover (10 m, 2020 and 2021)",
    "cgls_lc100": "Copernicus Global Land Service LC100 discrete classification (100 m, 2015-2019)",
    "globcover2009": "ESA GlobCover 2009 (300 m)",
    "modis_igbp": "MODIS MCD12Q1 LC_Type1, IGBP classes (500 m)",
    "corine": "CORINE Land Cover, CLC codes 111-523 (Europe; vector data, Copernicus 100 m raster in Earth Engine)",
    "corine_grid": "CORINE Land Cover 100 m raster of the EEA, GRID_CODE 1-44 (48 no data)",
}
#: older names of packaged legends
LEGEND_ALIASES = {"esa_cci_to_fao": "esa_cci"}
#: the legend of a land-cover layer when the config names none (the GSOCseq land cover)
DEFAULT_LEGEND = "esa_cci"
