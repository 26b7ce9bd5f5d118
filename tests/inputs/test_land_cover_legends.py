"""Packaged land-cover legends: each mapped to the FAO GSOCseq classes with a source per row, selectable with
``inputs.land_cover.legend``; codes outside the declared legend name the legends in which they are valid.

Oracles: the legends' own class definitions (product documentation) and the FAO class list of
docs/methods/gsocseq.md §1.3, checked by hand row by row for the cases below.
"""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
import yaml
from conftest import SHARED, needs_shared

from scsmap.config import load_config
from scsmap.config.catalogue import LAND_COVER_LEGENDS
from scsmap.errors import ConfigError, InputError
from scsmap.inputs.land_use import where_valid
from scsmap.io.tables import land_use_classes, legend_codes, load_reclass_table, packaged_csv
from scsmap.io.tables.land_use import legend_file
from scsmap.pipeline import run

MKD = SHARED / "data" / "mkd"


@pytest.mark.parametrize("name", list(LAND_COVER_LEGENDS))
def test_every_packaged_legend_maps_to_fao_classes_with_a_source_per_row(name):
    df = packaged_csv(legend_file(name))
    assert {"code", "land_use", "source"} <= set(df.columns)
    assert all(s.strip() for s in df["source"]), f"{name}: a row without a source"
    fao = {code for code, _, _ in land_use_classes()}
    table = load_reclass_table(name)
    assert set(table.classes.astype(int)) <= fao
    assert len(set(table.codes)) == len(table.codes)


# one row per legend where a code number means different things in different legends, and the defining rows
@pytest.mark.parametrize(
    "legend, code, fao",
    [
        ("esa_cci", 140, 8),  # lichens and mosses -> sparse vegetation
        ("globcover2009", 140, 3),  # herbaceous vegetation (grassland, savannas) -> grassland
        ("globcover2009", 14, 2),  # rainfed croplands
        ("globcover2009", 11, 13),  # irrigated / post-flooding croplands, as ESA CCI 20
        ("worldcover", 40, 2),
        ("worldcover", 95, 7),  # mangroves
        ("worldcover", 10, 4),
        ("cgls_lc100", 40, 2),  # cultivated and managed vegetation
        ("cgls_lc100", 30, 3),
        ("cgls_lc100", 114, 4),  # closed deciduous broadleaf forest
        ("modis_igbp", 12, 2),  # croplands
        ("modis_igbp", 10, 3),  # grasslands
        ("modis_igbp", 1, 4),
        ("corine", 213, 13),  # rice fields -> paddy
        ("corine", 221, 12),  # vineyards -> tree crops
        ("corine", 231, 3),  # pastures
        ("corine_grid", 14, 13),  # grid code 14 = CLC 213 rice fields
        ("corine_grid", 18, 3),  # grid code 18 = CLC 231 pastures
    ],
)
def test_legend_rows_checked_by_hand(legend, code, fao):
    t = load_reclass_table(legend)
    assert int(t.classes[list(t.codes).index(code)]) == fao


def test_message_names_the_legends_in_which_codes_are_valid():
    legends = legend_codes()
    text = where_valid([14, 230], legends)
    assert "globcover2009" in text and "rainfed croplands" in text and "esa_cci" not in text
    text = where_valid([61, 62, 71], legends)
    assert "esa_cci" in text
    assert "no packaged legend" in where_valid([9999], legends)


def _lc_config(tmp_path, path, legend=None, key="legend", name="lc"):
    raw = {
        "region": {"name": "MKD", "iso3": "MKD", "boundary": {"path": str(MKD / "boundary" / "MKD_un_bnda.shp")}},
        "inputs": {"land_cover": {"path": str(path), "units": "class"}},
        "outputs": {"products": ["land_use"]},
    }
    if legend is not None and key == "legend":
        raw["inputs"]["land_cover"]["legend"] = legend
    elif legend is not None:
        raw["tables"] = {"land_cover_reclass": legend}
    p = tmp_path / f"{name}.yaml"
    p.write_text(yaml.safe_dump(raw))
    return load_config(p)


def test_unknown_legend_and_conflicting_keys_are_config_errors(tmp_path):
    lc = SHARED / "data" / "mkd" / "landcover" / "esacci_lc2010_1km.tif"
    if not lc.exists():
        lc = tmp_path / "x.tif"
        lc.write_bytes(b"")
    with pytest.raises(ConfigError, match="globcover2009"):
        _lc_config(tmp_path, lc, "globcover")  # did you mean
    raw = {
        "region": {"name": "x", "iso3": "MKD", "bbox": [20, 41, 21, 42]},
        "inputs": {"land_cover": {"path": str(lc), "units": "class", "legend": "worldcover"}},
        "tables": {"land_cover_reclass": "esa_cci"},
    }
    p = tmp_path / "both.yaml"
    p.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match="disagree"):
        load_config(p)
    assert _lc_config(tmp_path, lc, "esa_cci_to_fao", key="tables").land_cover_legend == "esa_cci"
    assert _lc_config(tmp_path, lc).land_cover_legend == "esa_cci"


@needs_shared
@pytest.mark.shared
def test_globcover_file_with_its_legend_agrees_with_esa_cci(tmp_path):
    """The MKD GlobCover 2009 file read with `legend: globcover2009` gives a land-use map that agrees with the
    ESA CCI 2010 map read with the default legend on most pixels (two independent products of two years)."""
    gc_cfg = _lc_config(tmp_path, MKD / "landcover" / "globcover2009_wgs84_300m.tif", "globcover2009", name="gc")
    gc = run(gc_cfg, out=tmp_path / "gc")
    esa = run(_lc_config(tmp_path, MKD / "landcover" / "esacci_lc2010_1km.tif", name="esa"), out=tmp_path / "esa")
    with rasterio.open(gc.out_dir / "land_use.tif") as a, rasterio.open(esa.out_dir / "land_use.tif") as b:
        x, y = a.read(1), b.read(1)
        valid = (x != a.nodata) & (y != b.nodata)
    assert valid.sum() > 10000
    agree = float((x[valid] == y[valid]).mean())
    assert agree > 0.6, agree
    # cropland (2) and tree covered (4) dominate North Macedonia in both
    for klass in (2, 4):
        assert (x[valid] == klass).mean() > 0.15 and (y[valid] == klass).mean() > 0.15


@needs_shared
@pytest.mark.shared
def test_globcover_file_declared_as_esa_cci_names_globcover(tmp_path):
    cfg = _lc_config(tmp_path, MKD / "landcover" / "globcover2009_wgs84_300m.tif", "esa_cci")
    with pytest.raises(InputError) as info:
        run(cfg, out_dir=tmp_path / "out")
    msg = str(info.value)
    assert "esa_cci" in msg and "globcover2009" in msg and "inputs.land_cover.legend" in msg
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@needs_shared
@pytest.mark.shared
def test_esa_cci_file_declared_as_globcover_names_esa_cci(tmp_path):
    cfg = _lc_config(tmp_path, MKD / "landcover" / "esacci_lc2010_1km.tif", "globcover2009")
    with pytest.raises(InputError) as info:
        run(cfg, out_dir=tmp_path / "out")
    assert "esa_cci" in str(info.value).split("legend globcover2009")[1]


def test_reclass_of_a_small_array_with_each_legend():
    from scsmap.rules.land_use import reclass_block

    for name in LAND_COVER_LEGENDS:
        t = load_reclass_table(name).sorted()
        x = np.array([[t.codes[0], np.nan], [t.codes[-1], t.codes[len(t.codes) // 2]]])
        out = reclass_block(x, t.codes, t.classes)
        assert np.isnan(out[0, 1]) and out[0, 0] == t.classes[0] and out[1, 0] == t.classes[-1]


def test_legends_table_of_the_docs_lists_every_packaged_legend():
    from conftest import ROOT

    text = (ROOT / "docs" / "regionalise.md").read_text(encoding="utf-8")
    block = text.split("| `legend` | product | table (`scsmap/data/`) |")[1].split("\n\n")[0]
    rows = [r.split("|")[1:4] for r in block.strip().splitlines()[1:]]
    documented = {cells[0].strip().split()[0].strip("`"): cells[2].strip().strip("`") for cells in rows}
    assert documented == {name: legend_file(name) for name in LAND_COVER_LEGENDS}
