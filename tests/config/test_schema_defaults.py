"""Packaged defaults at the root of every config chain, YAML 1.2 numbers, the JSON schema of config files."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml
from conftest import CONFIGS, SAMPLE

from scsmap.config import json_schema, load_config
from scsmap.config.load import config_chain, packaged_defaults_path
from scsmap.config.yaml_files import load_yaml_text, read_config_file

SHIPPED = sorted((CONFIGS / "regions").glob("*.yaml")) + [CONFIGS / "defaults.yaml"]


def _region(tmp_path, extra: dict | None = None) -> dict:
    return {
        "region": {"name": "x", "iso3": "MKD", "boundary": {"path": str(SAMPLE / "ne10m_admin0_MKD.geojson")}},
        "inputs": {"soc_stock": {"path": str(SAMPLE / "MKD_OCS_RF_1km.tif"), "units": "t ha-1"}},
        **(extra or {}),
    }


def test_config_without_extends_gets_the_packaged_defaults(tmp_path):
    p = tmp_path / "alone.yaml"
    p.write_text(yaml.safe_dump(_region(tmp_path)))
    cfg = load_config(p)
    packaged = yaml.safe_load(packaged_defaults_path().read_text())
    # the fills are what the pydantic defaults do not give: without them no SOC stock is derived
    assert cfg.fill["coarse_fragments"].constant == packaged["fill"]["coarse_fragments"]["constant"] == 0
    assert cfg.fill["clay_activity"].constant == 1
    assert config_chain(p) == [p.resolve(), packaged_defaults_path().resolve()]


def test_packaged_defaults_are_inside_the_package_and_configs_defaults_is_thin():
    path = packaged_defaults_path()
    assert path.parent.name == "data" and path.parent.parent.name == "scsmap"
    assert read_config_file(CONFIGS / "defaults.yaml") is None, "configs/defaults.yaml must not repeat the defaults"


def test_extends_a_country_parent_still_works(tmp_path):
    (tmp_path / "country").mkdir()
    (tmp_path / "country" / "shared.yaml").write_text(
        "fill:\n  coarse_fragments: {constant: 12, source: national mean}\nparameters: {horizon_years: 30}\n"
    )
    raw = _region(tmp_path, {"extends": "country/shared.yaml", "parameters": {"depth_cm": 20}})
    p = tmp_path / "r.yaml"
    p.write_text(yaml.safe_dump(raw))
    cfg = load_config(p)
    assert cfg.fill["coarse_fragments"].constant == 12  # the parent overrides the packaged default
    assert cfg.fill["clay_activity"].constant == 1  # the packaged default under both
    assert cfg.parameters.horizon_years == 30 and cfg.parameters.depth_cm == 20
    assert config_chain(p)[-1] == packaged_defaults_path().resolve()
    # the shipped chain: region -> configs/defaults.yaml -> packaged defaults
    demo = config_chain(CONFIGS / "regions" / "demo.yaml")
    assert demo[1] == (CONFIGS / "defaults.yaml").resolve() and demo[2] == packaged_defaults_path().resolve()


@pytest.mark.parametrize(
    "text, value",
    [("-3.4e38", -3.4e38), ("1e-6", 1e-6), ("+1e+3", 1000.0), ("-3.4E+38", -3.4e38), ("0.5", 0.5), (".5", 0.5)],
)
def test_numbers_are_read_as_yaml_1_2_reads_them(text, value):
    assert yaml.safe_load(text) == text or isinstance(yaml.safe_load(text), float)  # PyYAML alone: YAML 1.1
    assert load_yaml_text(text, "t") == value


@pytest.mark.parametrize("text", ["1.0.0", "e5", ".", "2024a", "1e"])
def test_strings_that_are_not_numbers_stay_strings(text):
    assert load_yaml_text(text, "t") == text


def test_json_schema_has_dialect_and_id_and_is_a_valid_schema():
    schema = json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].startswith("urn:scsmap:")
    jsonschema.Draft202012Validator.check_schema(schema)
    assert "extends" in schema["properties"] and "source" not in schema["properties"]
    json.dumps(schema)  # JSON-ready


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_json_schema_accepts_every_shipped_config_file(path):
    data = read_config_file(path) or {}
    validator = jsonschema.Draft202012Validator(json_schema())
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(data)]
    assert not errors, errors


def test_json_schema_accepts_nodata_written_as_exponent_and_refuses_mistakes():
    validator = jsonschema.Draft202012Validator(json_schema())
    ok = load_yaml_text("inputs:\n  soc_stock: {path: a.tif, units: t ha-1, nodata: -3.4e38}\n", "t")
    assert not list(validator.iter_errors(ok))
    for bad in (
        "grid: {resolutoin: 0.01}\n",  # a typo
        "grid: {resolution: fine}\n",  # not a number
        "extends: 3\n",  # not a path
        "inputs:\n  soc_stock: {path: a.tif, units: t ha-1, nodata: very low}\n",
    ):
        assert list(validator.iter_errors(load_yaml_text(bad, "t"))), bad
