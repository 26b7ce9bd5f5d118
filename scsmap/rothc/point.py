"""Point runs of RothC on Rothamsted-format inputs: the model side (parsing and writing the
files: :mod:`scsmap.io.rothc_files`).

Two layouts are read (whitespace-separated; line numbers 1-based):

RothC_Py (Rothamsted-Models/RothC_Py ``RothC_input.dat``)
    lines 1-2 comments, 3 units, 4 ``clay depth iom nsteps``, 5 their values,
    6 units, 7 ``year month modern Tmp Rain Evap C_inp FYM PC DPM_RPM``, 8… monthly rows.
RothC v2 (Rothamsted-Models/RothC_Code and RothC_R, version 2.x)
    lines 1-2 comments, 3 units, 4 ``opt_RMmoist opt_SMDbare``, 5 their values, 6 units,
    7 ``clay depth iom nsteps silt BD OC minRM_Moist`` (``siltper``/``min_RMmoist``
    accepted), 8 their values, 9 units, 10 the monthly header, 11… rows. The plant and
    amendment columns may be named ``C_inp``/``Pl_inp`` and ``FYM``/``OA_inp``; instead of
    ``DPM_RPM`` the partition may be given as ``Pl_DPM_f Pl_RPM_f OA_DPM_f OA_RPM_f
    OA_Bio_f OA_Hum_f``. Only options 1/1 (classic RothC 26.3; ``minRM_Moist`` is the
    lower bound of the moisture factor) are implemented.

Units: clay %, depth cm, IOM t C ha-1, modern % (of the inputs' 14C), Tmp degC, Rain and
Evap (open-pan evaporation) mm month-1, inputs t C ha-1 month-1, PC 0/1.

The run follows the reference programs: the first 12 rows drive the equilibrium (run
from empty pools), the following rows run forward month by month. Results are written
as ``year_results.csv`` (the equilibrium as the first row, Year 1 and Month = months
iterated, then every December) and ``month_results.csv`` (every forward month) with the
Rothamsted column names, in full double precision.

References
----------
Coleman, K. & Jenkinson, D.S. RothC-26.3 model description and users guide;
Rothamsted-Models/RothC_Py @f2ab6df (``RothC_Py.py``, ``RothC_input.dat``,
``year_results.csv``, ``month_results.csv``); Rothamsted-Models/RothC_Code (v2 layout).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeAlias, TypedDict

import numpy as np

from . import kernel as K
from . import modifiers as mod
from ._types import FloatArray, IntArray

#: the two input-file layouts
Layout: TypeAlias = Literal["rothc_py", "rothc_v2"]
#: the equilibrium of a point run
EquilibriumMethod: TypeAlias = Literal["rothamsted", "exact"]

__all__ = ["PointInput", "PointResult", "run_point", "YEAR_COLUMNS", "V2_COLUMNS", "DIAGNOSTIC_COLUMNS", "diagnostics"]

#: Output columns (Rothamsted names).
YEAR_COLUMNS = [
    "Year",
    "Month",
    "DPM_t_C_ha",
    "RPM_t_C_ha",
    "BIO_t_C_ha",
    "HUM_t_C_ha",
    "IOM_t_C_ha",
    "SOC_t_C_ha",
    "deltaC",
]
#: Output columns of the RothC v2 programs: CO2_t_C_ha (C respired since the equilibrium) before deltaC.
V2_COLUMNS = YEAR_COLUMNS[:-1] + ["CO2_t_C_ha", "deltaC"]
#: Columns of the optional monthly diagnostics (the RothC v2 ``month_results.out`` quantities).
DIAGNOSTIC_COLUMNS = [
    "Year",
    "Month",
    "C_Inp_t_C_ha",
    "TEMP_C",
    "RM_TMP",
    "RAIN_mm",
    "PEVAP_mm",
    "SMD_mm",
    "RM_Moist",
    "PC",
    "RM_PC",
    "SOC_t_C_ha",
    "CO2_t_C_ha",
]


@dataclass
class PointInput:
    """A parsed Rothamsted input file.

    Attributes
    ----------
    path : pathlib.Path
    layout : {"rothc_py", "rothc_v2"}
    clay, depth, iom : float
        [%], [cm], [t C ha-1].
    nsteps : int
        Number of monthly rows used (the first 12 drive the equilibrium).
    rm_min : float
        Lower bound of the moisture factor (``minRM_Moist``; 0.2 for RothC_Py files).
    soil : dict
        Other soil values of v2 files (silt %, BD g cm-3, OC %), unused by options 1/1.
    year, month : numpy.ndarray of int
        ``(nsteps,)``.
    modern, tmp, rain, evap, pc : numpy.ndarray
        ``(nsteps,)``: fraction modern (%/100), degC, mm, mm (open pan), cover flag.
    inputs : numpy.ndarray
        ``(nsteps, 4)`` C inputs to DPM, RPM, BIO, HUM [t C ha-1 month-1].
    """

    path: Path
    layout: Layout
    clay: float
    depth: float
    iom: float
    nsteps: int
    rm_min: float
    soil: dict[str, float]
    year: IntArray
    month: IntArray
    modern: FloatArray
    tmp: FloatArray
    rain: FloatArray
    evap: FloatArray
    pc: IntArray
    inputs: FloatArray


@dataclass
class PointResult:
    """Output of :func:`run_point`.

    Attributes
    ----------
    equilibrium : scsmap.rothc.kernel.Equilibrium
        Scalar-pixel equilibrium (pools ``(5,)``, months, delta_c).
    method : str
        ``"rothamsted"`` or ``"exact"``.
    months : int
        Months iterated (see :class:`~scsmap.rothc.kernel.Equilibrium`).
    year_rows, month_rows : numpy.ndarray
        ``(n, 9)`` rows in :data:`YEAR_COLUMNS` order (Year, Month as floats).
    year_co2, month_co2 : numpy.ndarray
        ``(n,)`` CO2-C respired since the equilibrium, accumulated [t C ha-1] (0 on the equilibrium row):
        ``Σ inputs − (SOC − SOC_eq)``, exact because the monthly scheme conserves carbon (inputs go to the
        pools, decomposition to BIO, HUM or CO2; RothC v2 ``total_CO2``).
    """

    equilibrium: K.Equilibrium
    method: EquilibriumMethod
    months: int
    year_rows: FloatArray
    month_rows: FloatArray
    input: PointInput | None = field(repr=False, default=None)
    year_co2: FloatArray = field(default_factory=lambda: np.zeros(0))
    month_co2: FloatArray = field(default_factory=lambda: np.zeros(0))

    @property
    def final_soc(self) -> float:
        """SOC at the end of the run [t C ha-1]."""
        rows = self.month_rows if len(self.month_rows) else self.year_rows
        return float(rows[-1, 7])

    @property
    def equilibrium_soc(self) -> float:
        """SOC of the equilibrium [t C ha-1]."""
        return float(self.year_rows[0, 7])


class _Climatology(TypedDict):
    """Keyword arguments of the equilibrium functions: the first 12 months of a point input."""

    tmp12: FloatArray
    rain12: FloatArray
    evap12: FloatArray
    covered12: IntArray
    clay: float
    depth: float
    inputs12: FloatArray
    iom: float
    rm_min: float
    modern12: FloatArray


def run_point(inp: PointInput, equilibrium: EquilibriumMethod = "rothamsted") -> PointResult:
    """Run a parsed Rothamsted input: equilibrium on the first 12 months, then forward.

    Parameters
    ----------
    inp : PointInput
        Parsed input (:func:`scsmap.io.rothc_files.read_input`).
    equilibrium : {"rothamsted", "exact"}
        ``"rothamsted"``: the reference iteration (cycle the 12 months until the annual
        change of the active pools is below 1e-6 t C ha-1; oracle: 19,872 months for the
        RothC_Py example). ``"exact"``: the fixed point of the annual map
        (:func:`scsmap.rothc.kernel.equilibrium_exact`; months = 12 × years the moisture
        deficit needed to settle).

    Returns
    -------
    PointResult

    Raises
    ------
    ValueError
        Unknown ``equilibrium``.

    References
    ----------
    RothC_Py main program; docs/methods/rothc.md §2.3 and §2.5 (RC-1).
    """
    if equilibrium not in ("rothamsted", "exact"):
        raise ValueError(f"equilibrium must be 'rothamsted' or 'exact', got {equilibrium!r}")
    s12 = slice(0, 12)
    kw: _Climatology = dict(
        tmp12=inp.tmp[s12],
        rain12=inp.rain[s12],
        evap12=inp.evap[s12],
        covered12=inp.pc[s12],
        clay=inp.clay,
        depth=inp.depth,
        inputs12=inp.inputs[s12],
        iom=inp.iom,
        rm_min=inp.rm_min,
        modern12=inp.modern[s12],
    )
    eq = K.equilibrium_rothamsted(**kw) if equilibrium == "rothamsted" else K.equilibrium_exact(**kw)
    months = int(eq.months)
    assert eq.delta_c is not None  # radiocarbon run: modern12 is given
    eq_row = [1.0, float(months), *map(float, eq.pools), float(np.sum(eq.pools)), float(eq.delta_c)]
    fw = slice(12, inp.nsteps)
    month_rows = np.empty((0, len(YEAR_COLUMNS)))
    if inp.nsteps > 12:
        res = K.simulate(
            eq.pools,
            eq.swc,
            tmp=inp.tmp[fw],
            rain=inp.rain[fw],
            evap=inp.evap[fw],
            covered=inp.pc[fw],
            clay=inp.clay,
            depth=inp.depth,
            inputs=inp.inputs[fw],
            rm_min=inp.rm_min,
            record="month",
            ract=eq.ract,
            modern=inp.modern[fw],
        )
        pools = res.records["pools"]  # (n, 5)
        soc = pools[:, 0] + pools[:, 1] + pools[:, 2] + pools[:, 3] + pools[:, 4]
        month_rows = np.column_stack([inp.year[fw], inp.month[fw], pools, soc, res.records["delta_c"]]).astype(float)
    dec_sel = month_rows[:, 1] == 12 if len(month_rows) else np.zeros(0, bool)
    dec = month_rows[dec_sel] if len(month_rows) else month_rows
    year_rows = np.vstack([np.array(eq_row)[None], dec])
    month_co2 = np.zeros(0)
    if len(month_rows):
        added = np.cumsum(inp.inputs[fw].sum(axis=1))
        month_co2 = added - (month_rows[:, 7] - eq_row[7])
    year_co2 = np.concatenate([[0.0], month_co2[dec_sel]])
    return PointResult(eq, equilibrium, months, year_rows, month_rows, inp, year_co2, month_co2)


def diagnostics(result: PointResult) -> FloatArray:
    """Monthly inputs, rate modifiers a, b, c, the moisture deficit and CO2 of a point run's forward months.

    Parameters
    ----------
    result : PointResult
        With its input.

    Returns
    -------
    numpy.ndarray
        ``(n, 13)`` rows in :data:`DIAGNOSTIC_COLUMNS` order: total C input [t C ha-1 month-1], temperature
        [degC], a [1], rain, evaporation [mm], accumulated deficit TSMD [mm, ≤ 0], b [1], PC, c [1], SOC and
        accumulated CO2 [t C ha-1].

    Raises
    ------
    ValueError
        A result without its input.

    References
    ----------
    Coleman & Jenkinson, RothC-26.3 §1.6 (a, b, c); RothC v2 ``month_results.out``; docs/methods/rothc.md §2.2.
    """
    inp = result.input
    if inp is None:
        raise ValueError("diagnostics need the point run's input (PointResult.input)")
    fw = slice(12, inp.nsteps)
    n = len(result.month_rows)
    if n == 0:
        return np.empty((0, len(DIAGNOSTIC_COLUMNS)))
    a = mod.temperature_factor(inp.tmp[fw])
    c = mod.cover_factor(inp.pc[fw])
    lim = mod.smd_limits(inp.clay, inp.depth)
    swc = np.asarray(result.equilibrium.swc, dtype="f8")
    smd, b = np.empty(n), np.empty(n)
    for m in range(n):
        swc, bm = mod.tsmd_step(
            swc, inp.rain[12 + m], inp.evap[12 + m], inp.pc[12 + m], None, None, rm_min=inp.rm_min, limits=lim
        )
        smd[m], b[m] = float(swc), float(bm)
    return np.column_stack(
        [
            inp.year[fw],
            inp.month[fw],
            inp.inputs[fw].sum(axis=1),
            inp.tmp[fw],
            a,
            inp.rain[fw],
            inp.evap[fw],
            smd,
            b,
            inp.pc[fw],
            c,
            result.month_rows[:, 7],
            result.month_co2,
        ]
    ).astype(float)
