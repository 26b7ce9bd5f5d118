"""RothC point runs on Rothamsted-format files: oracle, layouts, CLI, bad input.

Oracle: ``../shared/reference/rothc/RothC_Py_year_results.csv`` and
``RothC_Py_month_results.csv`` (Rothamsted RothC_Py @f2ab6df), every row to 1e-9 t C ha-1.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import SHARED, needs_shared

from scsmap.cli.rothc import rothc
from scsmap.errors import InputError
from scsmap.io.rothc_files import read_input, write_results
from scsmap.rothc.point import YEAR_COLUMNS
from scsmap.rothc.point import run_point as _run_point


def run_point(inp, **kw):
    """Run a parsed input or a file (read with :func:`read_input`)."""
    return _run_point(inp if not isinstance(inp, (str, Path)) else read_input(inp), **kw)


REF = SHARED / "reference" / "rothc"
needs_ref = pytest.mark.skipif(not (REF / "RothC_Py_input.dat").is_file(), reason=f"{REF} not found")
POOL_COLS = ["DPM_t_C_ha", "RPM_t_C_ha", "BIO_t_C_ha", "HUM_t_C_ha", "IOM_t_C_ha", "SOC_t_C_ha"]


def _read_csv(path):
    with open(path) as fh:
        rd = csv.reader(fh)
        header = next(rd)
        return header, np.array([[float(v) for v in row] for row in rd])


@pytest.fixture(scope="module")
def reference_run():
    return run_point(REF / "RothC_Py_input.dat")


def _assert_matches_oracle(year_rows, month_rows, atol=1e-9):
    h, ref_y = _read_csv(REF / "RothC_Py_year_results.csv")
    assert h == YEAR_COLUMNS
    _h, ref_m = _read_csv(REF / "RothC_Py_month_results.csv")
    assert year_rows.shape == ref_y.shape and month_rows.shape == ref_m.shape
    np.testing.assert_array_equal(year_rows[:, :2], ref_y[:, :2])  # Year, Month (incl. 19872)
    np.testing.assert_array_equal(month_rows[:, :2], ref_m[:, :2])
    np.testing.assert_allclose(year_rows[:, 2:8], ref_y[:, 2:8], rtol=0, atol=atol)
    np.testing.assert_allclose(month_rows[:, 2:8], ref_m[:, 2:8], rtol=0, atol=atol)
    # radiocarbon (per mil, values ~-100..+300): same bookkeeping as the reference
    np.testing.assert_allclose(year_rows[:, 8], ref_y[:, 8], rtol=0, atol=1e-8)
    np.testing.assert_allclose(month_rows[:, 8], ref_m[:, 8], rtol=0, atol=1e-8)


@needs_shared
@needs_ref
def test_reference_every_row_to_1e9(reference_run):
    r = reference_run
    assert r.months == 19872
    assert r.year_rows[0, 1] == 19872 and r.year_rows[0, 0] == 1
    assert r.equilibrium_soc == pytest.approx(37.211050, abs=5e-7)
    assert r.final_soc == pytest.approx(38.19152379985445, abs=1e-9)
    _assert_matches_oracle(r.year_rows, r.month_rows)


@needs_shared
@needs_ref
def test_written_csv_round_trips_to_oracle(reference_run, tmp_path):
    yp, mp = write_results(reference_run, tmp_path / "out")
    hy, y = _read_csv(yp)
    hm, m = _read_csv(mp)
    assert hy == hm == YEAR_COLUMNS
    _assert_matches_oracle(y, m)
    first = (tmp_path / "out" / "year_results.csv").read_text().splitlines()[1]
    assert first.startswith("1,19872,")


@needs_shared
@needs_ref
def test_exact_equilibrium_point_run_close_to_oracle():
    r = run_point(REF / "RothC_Py_input.dat", equilibrium="exact")
    _h, ref_y = _read_csv(REF / "RothC_Py_year_results.csv")
    # the iteration stops ~1e-4 t C/ha short of the fixed point (slow HUM); the gap shrinks forward
    assert abs(r.year_rows[0, 7] - ref_y[0, 7]) < 1e-3
    assert abs(r.year_rows[-1, 7] - ref_y[-1, 7]) < 1e-3
    assert r.months % 12 == 0


# ---------------------------------------------------------------------------------------------
# RothC v2 layout: rewrite the reference input in the v2 layout; same oracle
# ---------------------------------------------------------------------------------------------

V2_HEAD = """example input data in the RothC v2 layout
soil variables and nsteps (line 8) are only needed once, other data are monthly jan-dec
   (-)       (-)
 opt_RMmoist  opt_SMDbare
    {o1}          {o2}
 (%)     (cm)  (t C/ha)      (-)      (%) (g/m3)     (%)   (-)
clay\tdepth\t    iom   nsteps  {silt}     BD      OC    minRM_Moist
13.0\t25.0\t 3.0041      840    40.0      1.30  1.20   0.2
"""


def _v2_text(o1=1, o2=1, silt="siltper", names=("C_inp", "FYM"), fractions=False):
    lines = (REF / "RothC_Py_input.dat").read_text().splitlines()
    units, header, rows = lines[5], lines[6], lines[7:]
    header = header.replace("C_inp", names[0]).replace("FYM", names[1])
    if fractions:
        header = header.replace("DPM_RPM", "Pl_DPM_f Pl_RPM_f OA_DPM_f OA_RPM_f OA_Bio_f OA_Hum_f")
        new = []
        for row in rows:
            tok = row.split()
            dr = float(tok[9])
            tok[9:] = [repr(dr / (dr + 1.0)), repr(1.0 / (dr + 1.0)), "0.49", "0.49", "0", "0.02"]
            new.append("\t".join(tok))
        rows = new
    return V2_HEAD.format(o1=o1, o2=o2, silt=silt) + "\n".join([units, header] + rows) + "\n"


@needs_shared
@needs_ref
@pytest.mark.parametrize("variant", [dict(), dict(silt="silt", names=("Pl_inp", "OA_inp")), dict(fractions=True)])
def test_v2_layout_reproduces_oracle(tmp_path, variant):
    p = tmp_path / "RothC_input.dat"
    p.write_text(_v2_text(**variant))
    inp = read_input(p)
    assert inp.layout == "rothc_v2" and inp.rm_min == 0.2 and inp.soil["silt"] == 40.0
    r = run_point(inp)
    _assert_matches_oracle(r.year_rows, r.month_rows)


@needs_shared
@needs_ref
@pytest.mark.parametrize("opts, name", [((2, 1), "opt_RMmoist"), ((1, 2), "opt_SMDbare"), ((3, 1), "opt_RMmoist")])
def test_v2_other_options_refused(tmp_path, opts, name):
    p = tmp_path / "farina.dat"
    p.write_text(_v2_text(*opts))
    with pytest.raises(InputError) as ei:
        read_input(p)
    msg = str(ei.value)
    assert name in msg and str(p) in msg and "line 5" in msg


# ---------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------


@needs_shared
@needs_ref
def test_cli_point_writes_results_and_summary(tmp_path):
    out = tmp_path / "res"
    res = CliRunner().invoke(rothc, ["point", str(REF / "RothC_Py_input.dat"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "37.211050" in res.output and "19872 months" in res.output and "38.191524" in res.output
    _h, y = _read_csv(out / "year_results.csv")
    _h, m = _read_csv(out / "month_results.csv")
    _assert_matches_oracle(y, m)


@needs_shared
@needs_ref
def test_cli_point_exact(tmp_path):
    res = CliRunner().invoke(
        rothc, ["point", str(REF / "RothC_Py_input.dat"), "--out", str(tmp_path), "--equilibrium", "exact"]
    )
    assert res.exit_code == 0, res.output
    assert "exact" in res.output and "37.21" in res.output


def test_cli_point_bad_file_exits_2(tmp_path):
    p = tmp_path / "bad.dat"
    p.write_text(_small_file().replace("0.4\t0\t1\t1.44", "x\t0\t1\t1.44", 1))
    res = CliRunner().invoke(rothc, ["point", str(p), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "bad.dat" in res.output and "line" in res.output
    res = CliRunner().invoke(rothc, ["point", str(tmp_path / "missing.dat")])
    assert res.exit_code == 2 and "missing.dat" in res.output


def test_cli_help_lists_point():
    res = CliRunner().invoke(rothc, ["--help"])
    assert res.exit_code == 0 and "point" in res.output
    res = CliRunner().invoke(rothc, ["point", "--help"])
    assert "--equilibrium" in res.output and "rothamsted" in res.output


# ---------------------------------------------------------------------------------------------
# malformed files (self-contained, no ../shared)
# ---------------------------------------------------------------------------------------------


def _small_file(nsteps=24):
    rows = []
    for i in range(nsteps):
        y, mth = (1, i + 1) if i < 12 else (2000 + (i - 12) // 12, (i - 12) % 12 + 1)
        t = 9 + 7 * math.sin((mth - 4) / 12 * 2 * math.pi)
        c = 0.4 if mth == 8 else 0.0
        rows.append(
            f"{y}\t{mth}\t100\t{t:.2f}\t60\t{40 + 30 * math.sin((mth - 4) / 12 * 2 * math.pi):.1f}\t{c}\t0\t1\t1.44"
        )
    return (
        "small synthetic test file\nsecond comment\n (%)  (cm) (t C/ha) (-)\n"
        f"clay\tdepth\tiom\tnsteps\n20.0\t23.0\t2.5\t{nsteps}\n(-) (-) (%) (C) (mm) (mm) (t C/ha) (t C/ha) (-) (-)\n"
        "year\tmonth\tmodern\tTmp\tRain\tEvap\tC_inp\tFYM\tPC\tDPM_RPM\n" + "\n".join(rows) + "\n"
    )


def test_small_file_runs_and_balances(tmp_path):
    p = tmp_path / "small.dat"
    p.write_text(_small_file())
    r = run_point(p)
    assert r.year_rows.shape == (2, 9) and r.month_rows.shape == (12, 9)
    assert r.months % 12 == 0 and r.months > 12
    # at equilibrium a further year with the same forcing changes SOC by < the 1e-6 stopping test
    assert abs(r.month_rows[-1, 7] - r.year_rows[0, 7]) < 1e-3
    np.testing.assert_allclose(r.month_rows[:, 7], r.month_rows[:, 2:7].sum(axis=1), rtol=1e-14)


@pytest.mark.parametrize(
    "edit, line, words",
    [
        (lambda t: t.replace("clay\tdepth\tiom\tnsteps", "foo\tbar"), 4, ["unknown layout"]),
        (lambda t: t.replace("20.0\t23.0\t2.5\t24", "20.0\t23.0\tabc\t24"), 5, ["iom", "abc"]),
        (lambda t: t.replace("20.0\t23.0\t2.5\t24", "120.0\t23.0\t2.5\t24"), 5, ["clay", "0-100"]),
        (lambda t: t.replace("20.0\t23.0\t2.5\t24", "20.0\t23.0\t2.5\t30"), None, ["nsteps = 30", "24 monthly rows"]),
        (lambda t: t.replace("20.0\t23.0\t2.5\t24", "20.0\t23.0\t2.5\t6"), 5, ["nsteps"]),
        (lambda t: t.replace("\tDPM_RPM", "\tRATIO"), 7, ["DPM_RPM"]),
        (lambda t: t.replace("0.4\t0\t1\t1.44", "0.4\t0\t2\t1.44", 1), 15, ["PC = 2"]),
        (lambda t: t.replace("0.4\t0\t1\t1.44", "0.4\t0\t1", 1), 15, ["expected 10 values"]),
        (lambda t: t.replace("0.4\t0\t1\t1.44", "-0.4\t0\t1\t1.44", 1), 15, ["C_inp", ">= 0"]),
        (lambda t: t.replace("0.4\t0\t1\t1.44", "nan\t0\t1\t1.44", 1), 15, ["finite"]),
        (lambda t: t.replace("1\t3\t100", "1\t13\t100", 1), 10, ["month = 13"]),
        (lambda t: t.replace("1\t3\t100", "1\t4\t100", 1), 10, ["1..12 in order"]),
    ],
)
def test_malformed_files_name_file_and_line(tmp_path, edit, line, words):
    p = tmp_path / "broken.dat"
    p.write_text(edit(_small_file()))
    with pytest.raises(InputError) as ei:
        read_input(p)
    msg = str(ei.value)
    assert str(p) in msg
    if line is not None:
        assert f"line {line}:" in msg
    for w in words:
        assert w in msg, msg


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        read_input(tmp_path / "nope.dat")
    (tmp_path / "empty.dat").write_text("")
    with pytest.raises(InputError, match="empty.dat"):
        read_input(tmp_path / "empty.dat")


def test_unwritable_output_dir(tmp_path):
    p = tmp_path / "small.dat"
    p.write_text(_small_file())
    r = run_point(p)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    from scsmap.errors import OutputError

    with pytest.raises(OutputError):
        write_results(r, blocker / "sub")


@needs_shared
@needs_ref
def test_co2_is_the_carbon_balance_and_diagnostics_by_hand(reference_run, tmp_path):
    from scsmap.rothc import modifiers as mod
    from scsmap.rothc.point import DIAGNOSTIC_COLUMNS, diagnostics

    r = reference_run
    inp = r.input
    # CO2 respired since the equilibrium = inputs added - SOC gained (carbon balance of RothC), by hand for month 1..3
    soc_eq = r.equilibrium_soc
    for k in range(3):
        added = inp.inputs[12 : 13 + k].sum()
        assert r.month_co2[k] == pytest.approx(added - (r.month_rows[k, 7] - soc_eq), abs=1e-12)
    assert (np.diff(r.month_co2) > 0).all()  # respiration never stops
    assert r.year_co2[0] == 0.0
    d = diagnostics(r)
    assert d.shape == (len(r.month_rows), len(DIAGNOSTIC_COLUMNS))
    # a of the first forward month: 47.91 / (1 + exp(106.06 / (T + 18.27))) (Coleman & Jenkinson §1.6.1)
    t = inp.tmp[12]
    assert d[0, 4] == pytest.approx(47.91 / (1 + math.exp(106.06 / (t + 18.27))), rel=1e-12)
    assert set(np.unique(d[:, 10])) <= {0.6, 1.0}  # c: 0.6 covered, 1 bare
    assert ((d[:, 8] >= 0.2) & (d[:, 8] <= 1)).all()
    np.testing.assert_allclose(d[:, 4] * d[:, 8] * d[:, 10], [float(v) for v in d[:, 4] * d[:, 8] * d[:, 10]])
    assert mod.temperature_factor(np.array([t]))[0] == pytest.approx(d[0, 4])
    write_results(r, tmp_path, diagnostics=True)  # RothC_Py layout: its own columns, no CO2
    assert (tmp_path / "month_diagnostics.csv").read_text().splitlines()[0].split(",") == DIAGNOSTIC_COLUMNS
    assert "CO2_t_C_ha" not in (tmp_path / "year_results.csv").read_text().splitlines()[0]


@needs_shared
@needs_ref
def test_v2_layout_writes_co2_before_deltac_as_rothc_v2(tmp_path):
    from scsmap.rothc.point import V2_COLUMNS

    p = tmp_path / "RothC_input.dat"
    p.write_text(_v2_text())
    r = run_point(read_input(p))
    yp, mp = write_results(r, tmp_path / "out")
    hy, y = _read_csv(yp)
    hm, m = _read_csv(mp)
    assert hy == hm == V2_COLUMNS and V2_COLUMNS[-2:] == ["CO2_t_C_ha", "deltaC"]
    np.testing.assert_allclose(m[:, 8], r.month_co2, rtol=0, atol=1e-12)
    np.testing.assert_allclose(m[:, [0, 1, 2, 3, 4, 5, 6, 7, 9]], r.month_rows, rtol=0, atol=0)
    assert y[0, 8] == 0.0  # the equilibrium row: CO2 set to 0 after the spin-up, as RothC v2
