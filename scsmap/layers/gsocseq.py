"""The GSOCseq scenarios on the region grid: spin-up, warm-up, BAU and SSM1-3, uncertainty, QA.

:func:`gsocseq_stack` applies :func:`scsmap.rothc.gsocseq.gsocseq_pixels` chunk by chunk
(the month axes in one chunk, y/x chunked as the grid) and returns every output of
:data:`scsmap.rothc.gsocseq.OUTPUTS` on a ``gsocseq_output`` dimension
(docs/methods/gsocseq.md §1).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..config.schema import RothCConfig
from ..rothc.gsocseq import BauInput, LandUseParams, gsocseq_pixels, output_names


def gsocseq_stack(
    soc: xr.DataArray,
    clay: xr.DataArray,
    land_use: xr.DataArray,
    forward: list[xr.DataArray],
    spinup: list[xr.DataArray],
    cover: xr.DataArray,
    dr: xr.DataArray,
    warmup: list[xr.DataArray],
    rc: RothCConfig,
    years: int,
    rate_4p1000: float,
    params: LandUseParams,
    bau_input: BauInput = "equilibrium",
    land_use_warmup: xr.DataArray | None = None,
    path_years: tuple[int, ...] = (),
) -> xr.DataArray:
    """All GSOCseq outputs on a ``gsocseq_output`` dimension (lazy; one kernel call per chunk).

    Parameters
    ----------
    soc : xarray.DataArray
        SOC stock at T0 [t C ha-1], (y, x).
    clay : xarray.DataArray
        [%].
    land_use : xarray.DataArray
        FAO land-use class.
    forward, spinup : list of xarray.DataArray
        Monthly temperature [degC], precipitation and PET [mm month-1] of the forward and the
        spin-up climatology, each (month, y, x).
    cover : xarray.DataArray
        Monthly cover factor c [1], (month, y, x).
    dr : xarray.DataArray
        DPM/RPM ratio [1]; NaN where the land-use table's value applies.
    warmup : list of xarray.DataArray
        Warm-up temperature, precipitation and PET year by year (series_month, y, x), or [].
    rc : RothCConfig
        Engine, SSM increases, uncertainty, temperature function, moisture depth, Monte Carlo.
    years : int
        Forward horizon [yr].
    rate_4p1000 : float
        [yr-1].
    params : LandUseParams
        RothC parameters per land-use class.
    bau_input : {"equilibrium", "npp_scaled"}
        BAU input without a warm-up (``rothc.bau_input``, resolved).
    land_use_warmup : xarray.DataArray, optional
        FAO land-use class of each warm-up year (warmup_year, y, x) (LUsim).
    path_years : tuple of int
        Forward years of the SOC path (the trajectory): outputs ``dsoc_<scenario>_y<year>``.

    Returns
    -------
    xarray.DataArray
        float32 (y, x, gsocseq_output), coordinates :func:`~scsmap.rothc.gsocseq.output_names`.
    """
    names = output_names(path_years)
    lu_years = [] if land_use_warmup is None else [land_use_warmup]
    arrays = [soc, clay, land_use, *forward, *spinup, cover, dr, *lu_years, *warmup]

    def block(soc, clay, lu, t, p, e, ts, ps, es, cov, dr, *rest):
        shape = soc.shape
        lu_w, warm = (rest[0], rest[1:]) if lu_years else (None, rest)

        def m(a):
            return np.moveaxis(a, -1, 0).reshape(a.shape[-1], -1).astype("f8")

        def m3(*layers):  # (variable, month, pixel) float64, each layer copied once
            out = np.empty((len(layers), layers[0].shape[-1], soc.size))
            for i, a in enumerate(layers):
                out[i] = np.moveaxis(a, -1, 0).reshape(a.shape[-1], -1)
            return out

        out = gsocseq_pixels(
            soc.reshape(-1).astype("f8"),
            clay.reshape(-1).astype("f8"),
            m3(ts, ps, es),
            m3(t, p, e),
            lu.reshape(-1),
            m(cov),
            years=years,
            ssm=rc.ssm_increase,
            uncertainty=rc.uncertainty,
            temperature=rc.temperature_function,
            depth=rc.moisture_depth_cm,
            params=params,
            dr=dr.reshape(-1).astype("f8"),
            rate_4p1000=rate_4p1000,
            warm=m3(*warm) if warm else None,
            engine=rc.engine,
            mc_draws=rc.monte_carlo_draws,
            seed=rc.seed,
            bau_input=bau_input,
            warm_land_use=None if lu_w is None else m(lu_w),
            path_years=path_years,
            dtype=np.float32,
        )
        return np.moveaxis(out.reshape((len(names),) + shape), 0, -1)

    core = [[] if a.ndim == 2 else [a.dims[0]] for a in arrays]
    arrays = [a if a.ndim == 2 else a.chunk({a.dims[0]: -1}) for a in arrays]
    res = xr.apply_ufunc(
        block,
        *arrays,
        input_core_dims=core,
        output_core_dims=[["gsocseq_output"]],
        dask="parallelized",
        output_dtypes=["float32"],
        dask_gufunc_kwargs={"output_sizes": {"gsocseq_output": len(names)}},
    )
    return res.assign_coords(gsocseq_output=names)


def select_output(stack: xr.DataArray, dim: str, output: str, qa_bit: int | None, correct: bool) -> xr.DataArray:
    """One output of a stack layer, set to NaN where its GSOCseq map correction fails.

    Parameters
    ----------
    stack : xarray.DataArray
        A stack layer with outputs on ``dim``; with ``correct``, one of them is ``qa_flags``.
    dim : str
        The output dimension.
    output : str
    qa_bit : int or None
        The bit of ``qa_flags`` that flags this output (None: never corrected).
    correct : bool
        Apply the correction (``rothc.apply_gsocseq_corrections``): each map is corrected by its own
        test, as the GSOCseq scripts' ``15_MapsCorrection.R`` does (docs/methods/gsocseq.md §1.10).

    Returns
    -------
    xarray.DataArray
        The output, without the stack dimension.
    """
    v = stack.sel({dim: output}, drop=True)
    if qa_bit is not None and correct:
        qa = stack.sel({dim: "qa_flags"}, drop=True)
        v = v.where((qa.fillna(0).astype("int64") & (1 << qa_bit)) == 0)
    return v


def provenance(
    rc: RothCConfig,
    years: int,
    warmup: list[xr.DataArray],
    bau_input: BauInput = "equilibrium",
    yearly_land_use: bool = False,
) -> str:
    """The provenance note of the GSOCseq stack: engine, warm-up, BAU input, horizon, SSM increases, a(T).

    Parameters
    ----------
    rc : RothCConfig
    years : int
        Forward horizon [yr].
    warmup : list of xarray.DataArray
        The warm-up climate (its length gives the warm-up years), or [].
    bau_input : {"equilibrium", "npp_scaled"}
        The resolved ``rothc.bau_input`` (used only without a warm-up).
    yearly_land_use : bool
        The warm-up takes a yearly land-use series (LUsim).

    Returns
    -------
    str
        One sentence; the temperature function and moisture depth named are those the engine uses
        (the compat engine fixes SoilR's a(T) and 30 cm, whatever ``rothc.temperature_function`` says).
    """
    if warmup:
        lu = "yearly land use (LUsim)" if yearly_land_use else "land use held at the T0 map"
        warm = (
            f"{warmup[0].sizes['series_month'] // 12}-yr warm-up ({lu}), "
            "BAU input = mean warm-up input (C_eq x NPP_year / NPP_spin-up)"
        )
    elif bau_input == "npp_scaled":
        warm = "no warm-up, BAU input = C_eq x NPP_forward / NPP_spin-up (MIAMI, rothc.bau_input npp_scaled)"
    else:
        warm = "no warm-up, BAU input = spin-up equilibrium input C_eq (rothc.bau_input equilibrium)"
    if rc.engine == "rothamsted":
        engine = (
            "RothC 26.3 (Rothamsted discrete scheme), exact periodic spin-up matched to the SOC map, "
            f"temperature function {rc.temperature_function}, moisture depth {rc.moisture_depth_cm:g} cm"
        )
    else:
        engine = (
            "GSOCseq-compatible numerics (analytic spin-up, explicit Euler, 11 steps per warm-up year, "
            f"{12 * years - 1} forward steps), temperature function SoilR fT.RothC (fixed by the engine), "
            "fw1func moisture over 30 cm"
        )
    return f"{engine}, {warm}, {years}-yr forward, SSM +{list(rc.ssm_increase)}"
