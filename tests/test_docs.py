"""The documentation matches the code: config reference, products, layers, examples, links."""

from __future__ import annotations

import importlib.util
import re
import shutil

import pytest
from conftest import CONFIGS, HAVE_SHARED, ROOT, SHARED

DOCS = ROOT / "docs"


def _gen_module():
    spec = importlib.util.spec_from_file_location("gen_config_docs", ROOT / "scripts" / "gen_config_docs.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _table_rows(text: str, header_start: str) -> list[list[str]]:
    """Cells of the Markdown table whose header line starts with ``header_start``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip().strip("|").split(" | ")])
    return rows


# --------------------------------------------------------------------------- config reference


def test_config_reference_is_up_to_date():
    """docs/config.md holds exactly what scripts/gen_config_docs.py generates from the schema."""
    gen = _gen_module()
    current = (DOCS / "config.md").read_text(encoding="utf-8")
    assert gen.BEGIN in current and gen.END in current
    assert gen.update(current) == current, (
        "docs/config.md is out of date: run .venv/bin/python scripts/gen_config_docs.py"
    )


def test_config_reference_lists_every_key():
    from scsmap.config import Config

    text = (DOCS / "config.md").read_text(encoding="utf-8")

    def keys(model, prefix=""):
        for name, field in model.model_fields.items():
            if field.exclude:
                continue
            yield prefix + name
            sub = _first_model(field.annotation)
            if sub is not None and getattr(field.annotation, "__origin__", None) is not dict:
                yield from keys(sub, prefix + name + ".")

    from scsmap.config import FillConfig, InputConfig
    from scsmap.config.load import first_model as _first_model

    expected = list(keys(Config))
    expected += [f"inputs.<name>.{k}" for k in InputConfig.model_fields]
    expected += [f"fill.<name>.{k}" for k in FillConfig.model_fields]
    missing = [k for k in expected if f"| `{k}` |" not in text]
    assert not missing, f"keys missing from docs/config.md: {missing}"


# --------------------------------------------------------------------------- products


def test_every_product_is_documented():
    from scsmap.products import PRODUCTS

    text = (DOCS / "products.md").read_text(encoding="utf-8")
    missing = [pid for pid in PRODUCTS if f"`{pid}`" not in text]
    assert not missing, f"products missing from docs/products.md: {missing}"


def test_products_summary_table_matches_registry():
    from scsmap.products import PRODUCTS

    rows = _table_rows((DOCS / "products.md").read_text(encoding="utf-8"), "| id | units | dtype | nodata |")
    documented = {r[0].strip("`"): r for r in rows}
    assert list(documented) == list(PRODUCTS)
    for pid, p in PRODUCTS.items():
        _, units, dtype, nodata, valid, needs, gsocseq = documented[pid]
        assert units == f"`{p.units}`", pid
        assert dtype == p.dtype, pid
        assert float(nodata) == p.nodata, pid
        assert valid == f"{p.valid_range[0]:g} to {p.valid_range[1]:g}", pid
        assert needs == ", ".join(p.requires), pid
        stem = f"{{ISO}}_GSOCseq_{p.gsocseq_stem}.tif" if p.gsocseq_stem else f"{{ISO}}_{pid}.tif"
        assert gsocseq == f"`{stem}`", pid


def test_land_use_tables_match_packaged_csv():
    from scsmap.io.tables import land_use_classes, load_reclass_table

    text = (DOCS / "products.md").read_text(encoding="utf-8")
    colours = {int(r[0]): (r[1], r[2].strip("`")) for r in _table_rows(text, "| class | name | colour |")}
    classes = land_use_classes()
    assert colours == {code: (name, color) for code, name, color in classes}

    table = load_reclass_table("esa_cci_to_fao")
    packaged = {int(c): int(k) for c, k in zip(table.codes, table.classes)}
    documented = {}
    for codes, _, fao in _table_rows(text, "| ESA CCI code(s) | ESA meaning | FAO class |"):
        klass = int(fao.split()[0])
        for code in codes.split(","):
            documented[int(code)] = klass
    assert documented == packaged


# --------------------------------------------------------------------------- user guide


def test_layers_table_matches_layer_registry():
    from scsmap.config import LAYERS

    rows = _table_rows((DOCS / "index.md").read_text(encoding="utf-8"), "| layer | content | canonical unit |")
    documented = {r[0].strip("`"): r for r in rows}
    assert list(documented) == list(LAYERS)
    for name, spec in LAYERS.items():
        _, content, unit, accepted, valid = documented[name]
        assert content == spec.description, name
        assert unit == f"`{spec.unit}`", name
        assert re.findall(r"`([^`]+)`", accepted) == list(spec.units), name
        expect = "–" if spec.valid_range is None else f"{spec.valid_range[0]:g} to {spec.valid_range[1]:g}"
        assert valid == expect, name


def _example_configs() -> list[str]:
    text = (DOCS / "index.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
    return [b for b in blocks if re.search(r"^extends:", b, re.M)]


def test_user_guide_examples_are_valid_configs(tmp_path, monkeypatch):
    """Every complete config in docs/index.md validates (and finds its files when ../shared is here)."""
    from scsmap.config import load_config

    examples = _example_configs()
    assert len(examples) >= 3
    regions = tmp_path / "configs" / "regions"
    regions.mkdir(parents=True)
    shutil.copy(CONFIGS / "defaults.yaml", tmp_path / "configs" / "defaults.yaml")
    monkeypatch.setenv("SCSMAP_SHARED", str(SHARED))
    for i, text in enumerate(examples):
        path = regions / f"example{i}.yaml"
        path.write_text(text, encoding="utf-8")
        cfg = load_config(path, check_files=False)
        if HAVE_SHARED and "SCSMAP_SHARED" in text:
            load_config(path, check_files=True)
        assert cfg.region.iso3


# --------------------------------------------------------------------------- links


def _slug(heading: str) -> str:
    s = heading.strip().lower()
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")


def _anchors(path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    return {_slug(m) for m in re.findall(r"^#{1,6} (.+)$", text, re.M)}


@pytest.mark.parametrize(
    "doc",
    [
        "docs/index.md",
        "docs/config.md",
        "docs/products.md",
        "docs/methods/soil.md",
        "docs/methods/climate.md",
        "docs/regionalise.md",
        "data/README.md",
        "README.md",
    ],
)
def test_relative_links_resolve(doc):
    path = ROOT / doc
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+://", target):
            continue
        file_part, _, anchor = target.partition("#")
        dest = (path.parent / file_part).resolve() if file_part else path
        if not dest.exists():
            broken.append(target)
        elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
            broken.append(target)
    assert not broken, f"broken links in {doc}: {broken}"


def test_pages_referenced_by_the_code_exist():
    for page in ("docs/methods/soil.md", "docs/methods/climate.md", "docs/config.md"):
        assert (ROOT / page).is_file(), page
