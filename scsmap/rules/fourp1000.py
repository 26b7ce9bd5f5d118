"""The 4 per 1000 indicator (docs/methods/fourp1000.md §5)."""

from __future__ import annotations

from ._types import E


def target_4p1000(soc_stock: E, rate: float = 0.004) -> E:
    """Annual SOC gain that meets the 4 per 1000 aspiration.

    ``target = rate · SOC_T0``

    Parameters
    ----------
    soc_stock : array_like
        SOC stock at T0, 0-30 cm [t ha-1].
    rate : float, default 0.004
        Relative rate [yr-1] (4 per 1000 = 0.4 % per year).

    Returns
    -------
    array_like
        [t ha-1 yr-1], the type and shape of ``soc_stock``.

    References
    ----------
    4 per 1000 initiative (2015); Minasny et al. (2017) Geoderma 292:59-86 (8.9 Gt C yr-1 /
    2400 Gt C ≈ 4 ‰). scsmap keeps the 0-30 cm stock of GSOCseq and IPCC
    (docs/methods/fourp1000.md §5).
    """
    return soc_stock * rate
