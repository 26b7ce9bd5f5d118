"""Build the embedded demo sample ``data/sample/`` from ``../shared/data``.

North Macedonia, whole country, ~1 km. Single-band files are copied byte for byte
(keeping their different grids, nodata encodings and the CRS without EPSG code, so
the demo exercises the alignment); the 12 monthly files of a variable are stacked
into one 12-band GeoTIFF (January..December) with the source's dtype and nodata.

Usage: python scripts/make_sample.py [--shared ../shared] [--out data/sample]
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np
import rasterio

COPIES = {
    "mkd/soil/MKD_OCS_RF_1km.tif": "MKD_OCS_RF_1km.tif",
    "mkd/soil/clay_0_30_QRF_1km.tif": "clay_0_30_QRF_1km.tif",
    "mkd/landcover/esacci_lc2010_1km.tif": "esacci_lc2010_1km.tif",
    "mkd/terrain/dem_earthenv_1km.tif": "dem_earthenv_1km.tif",
    "natural-earth/ne10m_admin0_MKD.geojson": "ne10m_admin0_MKD.geojson",
}
STACKS = {
    "chelsa12_prec_monthly_1km.tif": "mkd/climate/chelsa12_prec_m{m:02d}_1km.tif",
    "modis_lstday_monthly_1km.tif": "mkd/climate/modis_lstday_m{m:02d}_1km.tif",
    "modis_lstnight_monthly_1km.tif": "mkd/climate/modis_lstnight_m{m:02d}_1km.tif",
}


def stack(paths: list[Path], dst: Path) -> None:
    with rasterio.open(paths[0]) as first:
        profile = first.profile
    profile.update(
        count=len(paths), compress="DEFLATE", predictor=2, tiled=True, blockxsize=256, blockysize=256, zlevel=9
    )
    if np.dtype(profile["dtype"]).kind == "f":
        profile["predictor"] = 3
    with rasterio.open(dst, "w", **profile) as out:
        for i, p in enumerate(paths, start=1):
            with rasterio.open(p) as src:
                assert src.transform == first.transform and src.shape == first.shape, p
                out.write(src.read(1), i)
                out.set_band_description(i, f"month {i:02d}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared"))
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "data" / "sample"))
    a = ap.parse_args()
    data, out = Path(a.shared) / "data", Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    for src, name in COPIES.items():
        shutil.copyfile(data / src, out / name)
    for name, pattern in STACKS.items():
        stack([data / pattern.format(m=m) for m in range(1, 13)], out / name)
    for f in sorted(out.iterdir()):
        print(f"{f.stat().st_size:>10,d}  {f.name}")


if __name__ == "__main__":
    main()
