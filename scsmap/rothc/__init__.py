"""RothC-26.3 soil carbon model: exact, vectorised engine and point runs.

Modules
-------
params
    Constants with sources (rate constants, partition, FYM split, IOM after Falloon).
modifiers
    Rate-modifying factors: temperature (Rothamsted and SoilR/GSOCseq), topsoil
    moisture deficit carried month to month, soil cover, paddy.
kernel
    Monthly step (Rothamsted discrete scheme), runs over month series, the annual
    affine map, the Rothamsted iterative, exact periodic and GSOCseq analytic equilibria.
gsocseq
    The GSOCseq protocol on pixel vectors: spin-up, warm-up, BAU/SSM1-3, uncertainty, QA flags.
compat
    ``engine: gsocseq_compat``: the numerics of the FAO GSOCseq reference scripts.
point
    Point runs of Rothamsted-format inputs (the files themselves: :mod:`scsmap.io.rothc_files`;
    the command: ``scsmap rothc point INPUT.dat``).

Pools are float64 arrays with the pool axis first: ``(5, *S)`` = DPM, RPM, BIO, HUM,
IOM [t C ha-1] over any pixel shape ``S``.
"""

from .kernel import (
    Equilibrium,
    SimResult,
    advance_years,
    analytic_spinup,
    annual_map,
    equilibrium_exact,
    equilibrium_rothamsted,
    forward_periodic,
    iterate_years,
    partition_inputs,
    periodic_cycle,
    run,
    simulate,
    solve_periodic,
    step,
)
from .params import POOLS, falloon_iom, x_clay

__all__ = [
    "POOLS",
    "Equilibrium",
    "SimResult",
    "advance_years",
    "analytic_spinup",
    "annual_map",
    "equilibrium_exact",
    "equilibrium_rothamsted",
    "falloon_iom",
    "forward_periodic",
    "iterate_years",
    "partition_inputs",
    "periodic_cycle",
    "run",
    "simulate",
    "solve_periodic",
    "step",
    "x_clay",
]
