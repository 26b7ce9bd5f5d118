"""The command line: help, run (summary, --overwrite, -q, --set), validate, schema, products.

Most cases use click's CliRunner on :func:`scsmap.cli.main`; two run the real ``scsmap``
executable in a subprocess to check that user errors exit with status 2 and print no Python
traceback. The demo is run once per module (``first_run``).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import (
    SAMPLE,
    SMALL_BBOX,
    assert_untouched,
    copy_outputs,
    demo_config_dict,
    dump_config,
    snapshot,
)

from scsmap.cli import main
from scsmap.products import PRODUCTS

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")

SUMMARY_LINES = ("products written", "valid area", "SOC stock mean", "SOC stock total", "4p1000 target")


def _runner() -> CliRunner:
    try:  # click < 8.2 mixes stderr into stdout unless told not to
        return CliRunner(mix_stderr=False)
    except TypeError:  # click >= 8.2: stderr is always kept apart
        return CliRunner()


def invoke(*args):
    return _runner().invoke(main, [str(a) for a in args])


def no_traceback(result) -> None:
    assert "Traceback" not in result.stderr and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"an exception escaped the CLI: {result.exception!r}"
    )


@pytest.fixture(scope="module")
def demo_cfg(tmp_path_factory) -> Path:
    """A copy of the demo config (absolute paths) outside the repository."""
    return dump_config(demo_config_dict(), tmp_path_factory.mktemp("cli_cfg") / "demo.yaml")


@pytest.fixture(scope="module")
def first_run(demo_cfg, tmp_path_factory):
    """``scsmap run <demo> --out <dir>``, once per module. Returns (result, out_dir)."""
    out = tmp_path_factory.mktemp("cli_run") / "out"
    result = invoke("run", demo_cfg, "--out", out)
    return result, out


def bad_config(tmp_path: Path, edit) -> Path:
    raw = demo_config_dict()
    edit(raw)
    return dump_config(raw, tmp_path / "bad.yaml")


def several_mistakes(raw: dict) -> None:
    raw["grid"] = {"resolutoin": 0.01, "chunk_size": "big"}
    raw["inputs"]["soc_stok"] = raw["inputs"].pop("soc_stock")
    raw["outputs"] = {"overwrite": "maybe"}


def lst_as_degc(raw: dict) -> None:
    raw["inputs"]["lst_day"]["units"] = "degC"
    raw["inputs"]["lst_night"]["units"] = "degC"


# --------------------------------------------------------------------------- help


def test_main_help():
    result = invoke("--help")
    assert result.exit_code == 0, result.output
    for word in ("run", "validate", "schema", "products", "t C ha-1", "4 per 1000"):
        assert word in result.output, f"{word!r} missing from scsmap --help"


@pytest.mark.parametrize(
    "command, words",
    [
        (
            "run",
            (
                "--out",
                "--overwrite",
                "--set",
                "KEY=VALUE",
                "--quiet",
                "--verbose",
                "t ha-1",
                "t ha-1 yr-1",
                "soc_t0",
                "target_4p1000",
            ),
        ),
        ("validate", ("--inputs", "Exit status", "CONFIG")),
        ("schema", ("JSON",)),
        ("products", ("units",)),
    ],
)
def test_command_help(command, words):
    result = invoke(command, "--help")
    assert result.exit_code == 0, result.output
    for word in words:
        assert word in result.output, f"{word!r} missing from scsmap {command} --help"


# --------------------------------------------------------------------------- run


def test_run_prints_summary_and_writes_manifest(first_run):
    result, out = first_run
    assert result.exit_code == 0, result.output
    no_traceback(result)
    for line in SUMMARY_LINES:
        assert line in result.stdout, f"summary line {line!r} missing:\n{result.stdout}"
    manifest = json.loads((out / "manifest.json").read_text())
    s = manifest["summary"]
    # the numbers printed are the manifest's
    assert f"{s['valid_area_ha']:,.0f} ha" in result.stdout
    assert f"{s['soc_stock_mean_t_ha']:.2f} t C ha-1" in result.stdout
    assert f"{s['soc_stock_total_Mt']:,.2f} Mt C" in result.stdout
    assert f"{s['target_4p1000_mean_t_ha_yr']:.3f} t C ha-1 yr-1" in result.stdout
    assert s["products_written"] and set(s["products_written"]) <= set(PRODUCTS)
    # issue 15: written products counted by group (not one 2,875-character line), skipped ones by reason
    assert ", ".join(s["products_written"]) not in result.stdout
    assert f"products written   : {len(s['products_written'])} maps (soil and stocks 2, saturation 3," in result.stdout
    assert "not made (16)      : rothc.monte_carlo_draws is 0 (mc_mean_asr_bau ...; -v lists them)" in result.stdout
    assert result.stdout.count("monte_carlo_draws") == 1
    assert f"mean {s['rate_best_mean_t_ha_yr']:.3f} t C ha-1 yr-1 over" in result.stdout  # a mean says over which area
    assert "national" not in result.stdout  # the region need not be a nation
    assert "t ha-1" not in result.stdout.replace("t C ha-1", "").replace("CO2e ha-1", "").replace("CO2 ha-1", "")
    # a labelled progress display over every stage, plain lines when stderr is not a terminal
    for stage in ("inputs", "compute", "statistics", "COG", "styles", "checksums", "QGIS project", "STAC", "commit"):
        assert re.search(rf"^\[ *[0-9.]+ s\] {stage}: .*(done|started)", result.stderr, re.M), stage
    assert "\r" not in result.stderr  # readable in a log
    assert "warning: headline" not in result.stderr
    for entry in manifest["products"]:
        assert (out / entry["path"]).is_file()
    assert (out / "alignment_report.json").is_file()
    assert not list(out.glob(".staging-*"))


def test_summary_lists_products_with_v_and_warns_when_headline_products_are_missing(first_run, tmp_path):
    result, out = first_run
    verbose = invoke("summary", out, "-v")
    assert verbose.exit_code == 0, verbose.output
    for pid in ("mc_mean_asr_bau", "mc_p95_asr_ssm3", "soc_t0", "best_practice", "abatement_at_price"):
        assert pid in verbose.stdout, pid
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["skipped_products"]["rate_best"] = "needs clay"
    manifest["summary"]["products_written"].remove("rate_best")
    folder = tmp_path / "copy"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps(manifest))
    warned = invoke("summary", folder)
    assert warned.exit_code == 0, warned.output
    assert "warning: headline product(s) not made" in warned.stderr and "rate_best (needs clay)" in warned.stderr


def test_second_run_without_overwrite_exits_2(first_run, demo_cfg, tmp_path):
    out = copy_outputs(first_run[1], tmp_path / "out")
    before = snapshot(out)
    result = invoke("run", demo_cfg, "--out", out)
    assert result.exit_code == 2, result.output
    no_traceback(result)
    assert "--overwrite" in result.stderr
    assert "soc_t0.tif" in result.stderr
    assert_untouched(out, before)


def test_rerun_with_overwrite_exits_0(first_run, demo_cfg, tmp_path):
    out = copy_outputs(first_run[1], tmp_path / "out")
    before = snapshot(out)
    # a small bbox keeps it fast; the same product files are written
    result = invoke("run", demo_cfg, "--out", out, "--overwrite", "--set", f"region.bbox={json.dumps(SMALL_BBOX)}")
    assert result.exit_code == 0, result.output
    no_traceback(result)
    assert "products written" in result.stdout
    after = snapshot(out)
    assert set(after) == set(before), "--overwrite must replace the same files and leave nothing else"
    assert after["soc_t0.tif"] != before["soc_t0.tif"] and after["manifest.json"] != before["manifest.json"]


def test_quiet_prints_no_summary(demo_cfg, tmp_path):
    out = tmp_path / "out"
    result = invoke("run", demo_cfg, "--out", out, "-q", "--set", f"region.bbox={json.dumps(SMALL_BBOX)}")
    assert result.exit_code == 0, result.output
    no_traceback(result)
    assert result.stdout == "", f"-q printed:\n{result.stdout}"
    for line in SUMMARY_LINES:
        assert line not in result.stderr
    assert "Completed" not in result.stderr, "-q must not show a progress bar"
    assert (out / "manifest.json").is_file()


def test_set_changes_the_grid(first_run, demo_cfg, tmp_path):
    out = tmp_path / "out"
    result = invoke("run", demo_cfg, "--out", out, "--set", "grid.resolution=0.02")
    assert result.exit_code == 0, result.output
    grid = json.loads((out / "manifest.json").read_text())["grid"]
    default = json.loads((first_run[1] / "manifest.json").read_text())["grid"]
    assert [abs(r) for r in grid["resolution"]] == pytest.approx([0.02, 0.02])
    assert [abs(r) for r in default["resolution"]] == pytest.approx([1 / 120, 1 / 120])
    assert grid["shape"][0] < default["shape"][0] and grid["shape"][1] < default["shape"][1]


def test_set_without_equals_sign_is_a_usage_error(demo_cfg, tmp_path):
    result = invoke("run", demo_cfg, "--out", tmp_path / "out", "--set", "grid.resolution")
    assert result.exit_code == 2, f"exit {result.exit_code}:\n{result.output}"
    assert "KEY=VALUE" in result.output
    assert "unexpected" not in result.output, "a user's typo is reported as an scsmap bug"
    assert not (tmp_path / "out").exists()


def test_run_missing_config_file(tmp_path):
    missing = tmp_path / "nope.yaml"
    result = invoke("run", missing, "--out", tmp_path / "out")
    assert result.exit_code == 2, result.output
    no_traceback(result)
    assert str(missing.resolve()) in result.stderr or str(missing) in result.stderr
    assert not (tmp_path / "out").exists()


def test_run_corrupt_raster_exits_2(tmp_path):
    blob = (SAMPLE / "MKD_OCS_RF_1km.tif").read_bytes()
    bad = tmp_path / "soc_truncated.tif"
    bad.write_bytes(blob[: len(blob) // 2])
    cfg = bad_config(tmp_path, lambda raw: raw["inputs"]["soc_stock"].update(path=str(bad)))
    result = invoke("run", cfg, "--out", tmp_path / "out")
    assert result.exit_code == 2, f"exit {result.exit_code}:\n{result.output}"
    no_traceback(result)
    assert "soc_stock" in result.stderr and str(bad) in result.stderr
    assert "unexpected" not in result.stderr, "a broken input file is reported as an scsmap bug"
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- validate


def test_validate_good_config(demo_cfg):
    result = invoke("validate", demo_cfg)
    assert result.exit_code == 0, result.output
    assert "valid" in result.stdout
    for layer in demo_config_dict()["inputs"]:
        assert layer in result.stdout


def test_validate_bad_config_lists_every_problem(tmp_path):
    cfg = bad_config(tmp_path, several_mistakes)
    result = invoke("validate", cfg)
    assert result.exit_code == 2, result.output
    no_traceback(result)
    for needle in (
        "grid.resolutoin",
        "did you mean 'resolution'",
        "grid.chunk_size",
        "'soc_stok'",
        "did you mean 'soc_stock'",
        "outputs.overwrite",
    ):
        assert needle in result.stderr, f"{needle!r} not reported:\n{result.stderr}"
    problems = [ln for ln in result.stderr.splitlines() if ln.startswith("  - ")]
    assert len(problems) >= 4, result.stderr


def test_validate_inputs_catches_wrong_units(tmp_path):
    cfg = bad_config(tmp_path, lst_as_degc)
    shallow = invoke("validate", cfg)
    assert shallow.exit_code == 0, "without --inputs the files are not opened; the config itself is valid"
    result = invoke("validate", "--inputs", cfg)
    assert result.exit_code == 2, result.output
    no_traceback(result)
    assert "lst_day" in result.stderr or "lst_night" in result.stderr
    assert "units" in result.stderr and "K" in result.stderr


# --------------------------------------------------------------------------- schema, products


def test_schema_is_json_with_region_and_inputs():
    result = invoke("schema")
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    props = schema["properties"]
    for key in ("region", "inputs", "grid", "outputs"):
        assert key in props
    assert "source" not in props, "the loader-only field must not appear in the schema"


def test_products_lists_every_product():
    result = invoke("products")
    assert result.exit_code == 0, result.output
    listed = {ln.split()[0] for ln in result.stdout.splitlines() if ln and not ln[0].isspace()}
    assert listed == set(PRODUCTS)
    for p in PRODUCTS.values():
        assert f"[{p.units}]" in result.stdout


# --------------------------------------------------------------------------- real processes


def _scsmap_command() -> list[str]:
    exe = Path(sys.executable).parent / "scsmap"
    return [str(exe)] if exe.exists() else [shutil.which("scsmap") or "scsmap"]


@pytest.mark.parametrize(
    "launcher, edit, needles",
    [
        ("script", several_mistakes, ("did you mean 'resolution'", "grid.chunk_size")),
        ("module", lst_as_degc, ("lst_day", "inputs.lst_day.units")),
    ],
    ids=["config-typo", "wrong-units"],
)
def test_subprocess_user_error_exits_2_without_traceback(tmp_path, launcher, edit, needles):
    cfg = bad_config(tmp_path, edit)
    cmd = _scsmap_command() if launcher == "script" else [sys.executable, "-m", "scsmap.cli"]
    out = tmp_path / "out"
    proc = subprocess.run(cmd + ["run", str(cfg), "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.startswith("error:") or "\nerror:" in proc.stderr
    for needle in needles:
        assert needle in proc.stderr, f"{needle!r} missing:\n{proc.stderr}"
    assert not out.exists()
