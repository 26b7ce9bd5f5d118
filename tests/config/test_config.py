"""Config loading: extends, path resolution, env expansion, schema, shipped configs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import CONFIGS, HAVE_SHARED, SAMPLE

from scsmap.config import json_schema, load_config
from scsmap.errors import ConfigError


def test_demo_config_merges_defaults():
    cfg = load_config(CONFIGS / "regions" / "demo.yaml")
    assert cfg.region.iso3 == "MKD"
    assert cfg.grid.resolution == pytest.approx(1 / 120)  # from defaults.yaml
    assert cfg.parameters.saturation.f_maoc == 0.66  # from defaults.yaml
    assert cfg.parameters.lst_bias_c == -1.2  # region override
    assert cfg.fill["coarse_fragments"].constant == 0  # default fill kept
    assert cfg.fill["silt"].constant == 24.9  # region fill added
    assert Path(cfg.inputs["soc_stock"].path) == SAMPLE / "MKD_OCS_RF_1km.tif"
    assert cfg.region_id == "demo"
    assert cfg.output_dir == Path("out") / "demo"


@pytest.mark.parametrize("name", sorted(p.stem for p in (CONFIGS / "regions").glob("*.yaml")))
def test_shipped_region_configs_validate(name):
    if name != "demo" and not HAVE_SHARED:
        pytest.skip("needs ../shared")
    cfg = load_config(CONFIGS / "regions" / f"{name}.yaml")
    assert cfg.inputs


def test_env_expansion_and_data_dir(tmp_path, monkeypatch):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "soc.tif").write_bytes(b"")
    raw = {
        "region": {"name": "x", "iso3": "ABC", "bbox": [0, 0, 1, 1]},
        "data_dir": "${SCSMAP_TEST_ROOT:-nowhere}/d",
        "inputs": {"soc_stock": {"path": "soc.tif", "units": "t ha-1"}},
    }
    p = tmp_path / "r.yaml"
    p.write_text(yaml.safe_dump(raw))
    monkeypatch.setenv("SCSMAP_TEST_ROOT", str(tmp_path))
    cfg = load_config(p)
    assert Path(cfg.inputs["soc_stock"].path) == tmp_path / "d" / "soc.tif"
    monkeypatch.delenv("SCSMAP_TEST_ROOT")
    with pytest.raises(ConfigError, match="file not found"):
        load_config(p)


def test_monthly_pattern_expands_to_12_files(tmp_path):
    for m in range(1, 13):
        (tmp_path / f"p{m:02d}.tif").write_bytes(b"")
    raw = {
        "region": {"name": "x", "iso3": "ABC", "bbox": [0, 0, 1, 1]},
        "inputs": {"precipitation": {"path": "p{month:02d}.tif", "units": "mm"}},
    }
    p = tmp_path / "r.yaml"
    p.write_text(yaml.safe_dump(raw))
    from scsmap.config import input_paths

    paths = input_paths(load_config(p).inputs["precipitation"])
    assert [Path(q).name for q in paths] == [f"p{m:02d}.tif" for m in range(1, 13)]


def test_extends_loop_is_reported(tmp_path):
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n")
    with pytest.raises(ConfigError, match="loops"):
        load_config(tmp_path / "a.yaml")


def test_all_errors_reported_at_once_with_paths_and_hints(tmp_path):
    raw = {
        "region": {"name": "x", "iso3": "abc"},
        "grid": {"resolutoin": 0.01, "chunk_size": "big"},
        "inputs": {"soc_stok": {"path": "x.tif", "units": "t ha-1"}},
    }
    p = tmp_path / "r.yaml"
    p.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError) as exc:
        load_config(p)
    msg = str(exc.value)
    assert "region.iso3" in msg
    assert "grid.resolutoin: unknown key (did you mean 'resolution'?)" in msg
    assert "grid.chunk_size" in msg
    assert "'soc_stok' (did you mean 'soc_stock'?)" in msg
    assert len(exc.value.problems) >= 4


def test_schema_is_json_and_documents_sections():
    schema = json_schema()
    json.dumps(schema)
    assert {"region", "grid", "inputs", "fill", "parameters", "outputs"} <= set(schema["properties"])
    assert "source" not in schema["properties"]


def test_gsocseq_stacks_expand_to_inputs(tmp_path):
    for name in ("spin.tif", "fwd.tif"):
        (tmp_path / name).write_bytes(b"")
    raw = {
        "region": {"name": "x", "iso3": "ABC", "bbox": [0, 0, 1, 1]},
        "gsocseq_stacks": {"spinup": "spin.tif", "forward": "fwd.tif"},
        "inputs": {"clay": {"path": "spin.tif", "bands": [2], "units": "g kg-1"}},
    }
    p = tmp_path / "r.yaml"
    p.write_text(yaml.safe_dump(raw))
    cfg = load_config(p)
    ins = cfg.inputs
    assert ins["soc_stock"].bands == [1] and Path(ins["soc_stock"].path).name == "spin.tif"
    assert ins["temperature_spinup"].bands == list(range(3, 15))
    assert Path(ins["temperature"].path).name == "fwd.tif" and ins["pet"].bands == list(range(27, 39))
    assert ins["cover"].bands == list(range(41, 53)) and ins["land_use"].bands == [40] and ins["dr"].bands == [39]
    assert ins["clay"].units == "g kg-1"  # an explicit input wins
