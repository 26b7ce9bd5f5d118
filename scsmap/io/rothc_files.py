"""Rothamsted RothC input and output files (RothC_Py and RothC v2 layouts) for point runs.

:func:`read_input` parses an input file into a :class:`scsmap.rothc.point.PointInput`
(layouts described in :mod:`scsmap.rothc.point`); :func:`write_results` writes a
:class:`scsmap.rothc.point.PointResult` as ``year_results.csv`` and ``month_results.csv``
with the Rothamsted column names, in full double precision.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from ..errors import InputError, OutputError
from ..rothc import kernel as K
from ..rothc import params as P
from ..rothc.point import DIAGNOSTIC_COLUMNS, V2_COLUMNS, YEAR_COLUMNS, PointInput, PointResult
from ..rothc.point import diagnostics as point_diagnostics

_ALIASES = {
    "year": ("year",),
    "month": ("month",),
    "modern": ("modern",),
    "tmp": ("tmp", "temp"),
    "rain": ("rain",),
    "evap": ("evap",),
    "plant": ("c_inp", "pl_inp"),
    "oa": ("fym", "oa_inp"),
    "pc": ("pc",),
}
_FRACTIONS = ("pl_dpm_f", "pl_rpm_f", "oa_dpm_f", "oa_rpm_f", "oa_bio_f", "oa_hum_f")


def _err(path, lineno, msg, hint=None):
    where = f"{path}, line {lineno}" if lineno else f"{path}"
    return InputError(f"{where}: {msg}", hint=hint)


def _tokens(lines, i):
    return lines[i][1].split() if i < len(lines) else []


def _numbers(path, lineno, names, values):
    out = {}
    if len(values) < len(names):
        raise _err(path, lineno, f"expected {len(names)} values ({' '.join(names)}), found {len(values)}")
    for n, v in zip(names, values):
        try:
            f = float(v)
        except ValueError:
            raise _err(path, lineno, f"{n} = {v!r} is not a number") from None
        if not math.isfinite(f):
            raise _err(path, lineno, f"{n} = {v!r} is not a finite number")
        out[n.lower()] = f
    return out


def read_input(path) -> PointInput:
    """Read a RothC_Py or RothC v2 input file.

    Parameters
    ----------
    path : str or pathlib.Path

    Returns
    -------
    PointInput

    Raises
    ------
    InputError
        Unreadable file, unknown layout, missing or non-numeric values, too few monthly
        rows, out-of-range values (clay outside 0-100, depth ≤ 0, negative IOM, inputs or
        DPM/RPM ratio, PC not 0/1, month outside 1-12, first 12 rows not January..December),
        or RothC v2 options other than 1/1 — each naming the file and line.
    """
    path = Path(path)
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read RothC input file ({exc})") from None
    raw = text.splitlines()
    lines = [(i + 1, ln) for i, ln in enumerate(raw)]
    if len(lines) < 7:
        raise _err(
            path,
            None,
            f"only {len(lines)} lines; not a Rothamsted RothC input file",
            hint="expected 2 comment lines, a units line, 'clay depth iom nsteps' and their values, "
            "a units line and the monthly table (RothC_Py layout), or the RothC v2 layout",
        )
    head = [t.lower() for t in _tokens(lines, 3)]
    soil = {}
    rm_min = P.RM_MOIST_MIN
    if head[:1] == ["clay"]:
        layout = "rothc_py"
        want = ["clay", "depth", "iom", "nsteps"]
        if head[:4] != want:
            raise _err(path, 4, f"expected header 'clay depth iom nsteps', found {' '.join(_tokens(lines, 3))!r}")
        vals = _numbers(path, 5, want, _tokens(lines, 4))
        table_header = 6
    elif head[:1] == ["opt_rmmoist"]:
        layout = "rothc_v2"
        if head[:2] != ["opt_rmmoist", "opt_smdbare"]:
            raise _err(path, 4, f"expected header 'opt_RMmoist opt_SMDbare', found {' '.join(_tokens(lines, 3))!r}")
        opts = _numbers(path, 5, ["opt_RMmoist", "opt_SMDbare"], _tokens(lines, 4))
        for name in ("opt_RMmoist", "opt_SMDbare"):
            v = opts[name.lower()]
            if v != 1:
                raise _err(
                    path,
                    5,
                    f"{name} = {v:g} is not supported: scsmap implements RothC 26.3 "
                    "(options opt_RMmoist 1 and opt_SMDbare 1) only",
                    hint="set both options to 1 to run the standard soil-water routine, or use the "
                    "Rothamsted RothC v2 code for the Farina et al. (2013) options",
                )
        h2 = [t.lower() for t in _tokens(lines, 6)]
        h2 = ["silt" if t == "siltper" else ("minrm_moist" if t == "min_rmmoist" else t) for t in h2]
        want = ["clay", "depth", "iom", "nsteps", "silt", "bd", "oc", "minrm_moist"]
        if h2[:8] != want:
            raise _err(
                path,
                7,
                "expected header 'clay depth iom nsteps silt BD OC minRM_Moist', "
                f"found {' '.join(_tokens(lines, 6))!r}",
            )
        vals = _numbers(path, 8, want, _tokens(lines, 7))
        soil = {k: vals[k] for k in ("silt", "bd", "oc")}
        rm_min = vals["minrm_moist"]
        if not 0.0 <= rm_min <= 1.0:
            raise _err(path, 8, f"minRM_Moist = {rm_min:g} must be between 0 and 1")
        table_header = 9
    else:
        raise _err(
            path,
            4,
            f"unknown layout: line 4 is {lines[3][1].strip()!r}",
            hint="line 4 must be 'clay depth iom nsteps' (RothC_Py) or 'opt_RMmoist opt_SMDbare' (RothC v2)",
        )
    clay, depth, iom, nsteps_f = vals["clay"], vals["depth"], vals["iom"], vals["nsteps"]
    vline = 5 if layout == "rothc_py" else 8
    if not 0.0 <= clay <= 100.0:
        raise _err(path, vline, f"clay = {clay:g} % is outside 0-100")
    if depth <= 0.0:
        raise _err(path, vline, f"depth = {depth:g} cm must be > 0")
    if iom < 0.0:
        raise _err(path, vline, f"iom = {iom:g} t C/ha must be >= 0")
    if nsteps_f != int(nsteps_f) or nsteps_f < 12:
        raise _err(
            path,
            vline,
            f"nsteps = {nsteps_f:g} must be a whole number >= 12 (12 equilibrium months, then the forward months)",
        )
    nsteps = int(nsteps_f)

    cols_raw = _tokens(lines, table_header)
    cols = [c.lower() for c in cols_raw]
    hl = table_header + 1
    pos = {}
    for key, names in _ALIASES.items():
        hit = [cols.index(n) for n in names if n in cols]
        if not hit:
            raise _err(path, hl, f"monthly table has no {'/'.join(names)} column (header: {' '.join(cols_raw)!r})")
        pos[key] = hit[0]
    if "dpm_rpm" in cols:
        split = ("dr", cols.index("dpm_rpm"))
    elif all(f in cols for f in _FRACTIONS):
        split = ("fractions", [cols.index(f) for f in _FRACTIONS])
    else:
        raise _err(
            path, hl, f"monthly table has neither a DPM_RPM column nor the fraction columns {' '.join(_FRACTIONS)}"
        )
    data_lines = [(n, ln) for n, ln in lines[table_header + 1 :] if ln.strip()]
    if len(data_lines) < nsteps:
        raise _err(
            path,
            data_lines[-1][0] if data_lines else hl,
            f"nsteps = {nsteps} but only {len(data_lines)} monthly rows follow the header on line {hl}",
        )
    ncol = len(cols)
    arr = np.empty((nsteps, ncol))
    for r, (n, ln) in enumerate(data_lines[:nsteps]):
        tok = ln.split()
        if len(tok) < ncol:
            raise _err(path, n, f"expected {ncol} values ({' '.join(cols_raw)}), found {len(tok)}")
        for c in range(ncol):
            try:
                arr[r, c] = float(tok[c])
            except ValueError:
                raise _err(path, n, f"{cols_raw[c]} = {tok[c]!r} is not a number") from None
            if not math.isfinite(arr[r, c]):
                raise _err(path, n, f"{cols_raw[c]} = {tok[c]!r} is not a finite number")
    line_of = [n for n, _ in data_lines[:nsteps]]

    def col(key):
        return arr[:, pos[key]]

    def check(mask, what):
        bad = np.flatnonzero(mask)
        if bad.size:
            r = bad[0]
            raise _err(path, line_of[r], what(r))

    month = col("month")
    check((month != np.round(month)) | (month < 1) | (month > 12), lambda r: f"month = {month[r]:g} is not 1-12")
    year = col("year")
    check(year != np.round(year), lambda r: f"year = {year[r]:g} is not a whole number")
    pc = col("pc")
    check((pc != 0) & (pc != 1), lambda r: f"PC = {pc[r]:g} must be 0 (bare) or 1 (covered)")
    check(col("rain") < 0, lambda r: f"Rain = {col('rain')[r]:g} mm must be >= 0")
    check(col("plant") < 0, lambda r: f"{cols_raw[pos['plant']]} = {col('plant')[r]:g} must be >= 0")
    check(col("oa") < 0, lambda r: f"{cols_raw[pos['oa']]} = {col('oa')[r]:g} must be >= 0")
    check(col("modern") < 0, lambda r: f"modern = {col('modern')[r]:g} % must be >= 0")
    check(
        np.arange(12) + 1 != month[:12],
        lambda r: (
            f"the first 12 rows drive the equilibrium and must be months "
            f"1..12 in order; row {r + 1} has month {month[r]:g}"
        ),
    )
    plant, oa = col("plant"), col("oa")
    if split[0] == "dr":
        dr = arr[:, split[1]]
        check(dr < 0, lambda r: f"DPM_RPM = {dr[r]:g} must be >= 0")
        inputs = K.partition_inputs(plant, dr, oa, axis=1)
    else:
        f = arr[:, split[1]]
        check((f < 0).any(axis=1), lambda r: "partition fractions must be >= 0")
        inputs = np.stack(
            [f[:, 0] * plant + f[:, 2] * oa, f[:, 1] * plant + f[:, 3] * oa, f[:, 4] * oa, f[:, 5] * oa], axis=1
        )
    return PointInput(
        path=path,
        layout=layout,
        clay=clay,
        depth=depth,
        iom=iom,
        nsteps=nsteps,
        rm_min=rm_min,
        soil=soil,
        year=year.astype(np.int64),
        month=month.astype(np.int64),
        modern=col("modern") / 100.0,
        tmp=col("tmp").copy(),
        rain=col("rain").copy(),
        evap=col("evap").copy(),
        pc=pc.astype(np.int64),
        inputs=inputs,
    )


def _write_csv(path: Path, rows: np.ndarray, columns=YEAR_COLUMNS):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(columns)
        for r in rows:
            w.writerow([int(r[0]), int(r[1])] + [repr(float(v)) for v in r[2:]])


def write_results(result: PointResult, out_dir, diagnostics: bool = False) -> tuple[Path, Path]:
    """Write ``year_results.csv`` and ``month_results.csv`` into ``out_dir``.

    Columns as the reference program of the input's layout: Year, Month, DPM_t_C_ha, RPM_t_C_ha,
    BIO_t_C_ha, HUM_t_C_ha, IOM_t_C_ha, SOC_t_C_ha [t C ha-1], for RothC v2 inputs CO2_t_C_ha (CO2-C
    respired since the equilibrium, accumulated [t C ha-1]) as the v2 programs write it, and deltaC
    [per mil]; floats in shortest round-trip form.

    Parameters
    ----------
    result : PointResult
    out_dir : str or pathlib.Path
        Created if missing; existing files of these names are replaced.
    diagnostics : bool
        Also write ``month_diagnostics.csv``: monthly input, temperature, a, rain, evaporation, TSMD, b, PC,
        c, SOC and CO2 (:func:`scsmap.rothc.point.diagnostics`).

    Returns
    -------
    tuple of pathlib.Path
        Paths of the year and month files.

    Raises
    ------
    OutputError
        If the directory cannot be created or written.
    """
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        yp, mp = out / "year_results.csv", out / "month_results.csv"
        v2 = result.input is not None and result.input.layout == "rothc_v2"
        if v2:
            year = np.column_stack([result.year_rows[:, :8], result.year_co2, result.year_rows[:, 8]])
            month = np.column_stack([result.month_rows[:, :8], result.month_co2, result.month_rows[:, 8]])
            _write_csv(yp, year, V2_COLUMNS)
            _write_csv(mp, month, V2_COLUMNS)
        else:
            _write_csv(yp, result.year_rows)
            _write_csv(mp, result.month_rows)
        if diagnostics:
            _write_csv(out / "month_diagnostics.csv", point_diagnostics(result), DIAGNOSTIC_COLUMNS)
    except OSError as exc:
        raise OutputError(
            f"{out}: cannot write RothC results ({exc})", hint="choose a writable directory with --out"
        ) from None
    return yp, mp
