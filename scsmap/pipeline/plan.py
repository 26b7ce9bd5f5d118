"""Plan a run: inputs on the grid, the model layers, the products to write, what ``--resume`` keeps.

Nothing is written while planning (:func:`make_plan`); every user error found here (a config
field, an input file, an output folder scsmap must not write into) is raised before any
computation starts. What may be replaced in the output folder is decided under its lock
(:func:`claim_folder`).
"""

from __future__ import annotations

import difflib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..config import Config
from ..errors import ConfigError, OutputError
from ..inputs.align import AlignedInputs, assemble_inputs
from ..inputs.derive import Derived
from ..io.folder import STAC_DIR, check_folder, owned_files
from ..io.manifest import ALIGNMENT, MANIFEST
from ..io.write import categories_path
from ..layers.keys import source_layer
from ..layers.model import Model
from ..outputs.abatement import CURVE_CSV
from ..outputs.deps import dependency_files
from ..outputs.qgis_project import project_name
from ..outputs.trajectory import TRAJECTORY_CSV
from ..products import PRODUCTS, Product
from ..products.styles import qml_path
from .resume import input_checksums, resume_key, reusable_entries, same_run


def sidecars(path: str, class_map: bool) -> list[str]:
    """The files written beside a product file: its QGIS style (``.qml``) and, for class maps, its category
    names and attribute table (``.tif.aux.xml``)."""
    return [qml_path(path).name] + ([categories_path(path).name] if class_map else [])


log = logging.getLogger("scsmap")


@dataclass
class Plan:
    """What a run will do.

    Attributes
    ----------
    cfg : Config
    out : Path
        The output folder.
    inputs : AlignedInputs
    model : Model
        The run's layers (input-derived and model layers).
    products : list of Product
        Every product of the run (kept by ``--resume`` or computed), in registry order.
    skipped : dict of str to str
        Product id → why it cannot be made from this region's inputs.
    todo : list of Product
        The products to compute.
    reused : dict of str to dict
        Product id → its previous manifest entry, for the products ``--resume`` keeps.
    previous : dict or None
        The previous manifest (``--resume`` only).
    keys : dict of str to str
        Product id → resume key (config digest, input checksums, version, id).
    checksums : dict of str to str
        sha256 of every file the run reads.
    input_files : list of Path
        Every local file the run reads.
    owned : set of str
        The names of the folder the previous scsmap run owns (its manifest's ``files``).
    """

    cfg: Config
    out: Path
    inputs: AlignedInputs
    model: Model
    products: list[Product]
    skipped: dict[str, str]
    todo: list[Product]
    reused: dict[str, dict[str, Any]]
    previous: dict[str, Any] | None
    keys: dict[str, str]
    checksums: dict[str, str]
    input_files: list[Path] = field(default_factory=list)
    owned: set[str] = field(default_factory=set)

    def output_bytes(self) -> int:
        """Upper bound of the disk the products to compute take [bytes]: uncompressed, staging and COG both."""
        pixels = int(np.prod(self.inputs.geobox.shape.yx))
        return 2 * sum(pixels * np.dtype(p.dtype).itemsize for p in self.todo)

    @property
    def up_to_date(self) -> bool:
        """True when ``--resume`` keeps every product: nothing to compute."""
        return not self.todo


def select_products(cfg: Config, model: Model) -> tuple[list[Product], dict[str, str]]:
    """Products to write: those asked for (or all), minus those whose inputs are missing.

    Returns
    -------
    (list of Product, dict of str to str)
        The products, and why each skipped product cannot be made.

    Raises
    ------
    ConfigError
        An unknown product id, or an explicitly requested product that cannot be made.
    """
    wanted = cfg.outputs.products
    if wanted is not None:
        unknown = [p for p in wanted if p not in PRODUCTS]
        if unknown:
            hints = [
                f"{p!r}" + (f" (did you mean {m[0]!r}?)" if (m := difflib.get_close_matches(p, PRODUCTS, 1)) else "")
                for p in unknown
            ]
            raise ConfigError(f"outputs.products: unknown product(s) {', '.join(hints)}; known: {', '.join(PRODUCTS)}")
    chosen, skipped = [], {}
    for pid, product in PRODUCTS.items():
        if wanted is not None and pid not in wanted:
            continue
        reason = model.missing_source(product.source)
        if reason:
            if wanted is not None:
                raise ConfigError(f"outputs.products: {pid} cannot be made: {reason}")
            skipped[pid] = reason
        else:
            chosen.append(product)
    if not chosen:
        raise ConfigError(
            "no product can be made from the configured inputs: " + "; ".join(f"{k}: {v}" for k, v in skipped.items())
        )
    return chosen, skipped


def _installed_names(plan: Plan) -> list[str]:
    """The top-level names this run will move into ``out`` (products, styles, curve, STAC, reports)."""
    names = [n for p in plan.todo for n in (p.filename(plan.cfg), *sidecars(p.filename(plan.cfg), p.is_class_map))]
    return [*names, CURVE_CSV, TRAJECTORY_CSV, project_name(plan.cfg), STAC_DIR, ALIGNMENT, MANIFEST]


def claim_folder(plan: Plan, overwrite: bool, resume: bool, allow_nonempty: bool) -> None:
    """Decide, under the folder's lock, what ``--resume`` keeps and whether existing files may be replaced.

    Fills ``plan.previous``, ``plan.reused``, ``plan.todo`` and ``plan.owned``.

    Raises
    ------
    OutputError
        The folder cannot be written, holds files of this run's names that scsmap does not own,
        or holds outputs already (without ``overwrite``; with ``resume`` the files of the same run
        may be replaced).
    """
    out, cfg = plan.out, plan.cfg
    previous = check_folder(out, plan.input_files, allow_nonempty)
    if not os.access(out, os.W_OK | os.X_OK):
        raise OutputError(
            f"output directory {out} is not writable", "choose another directory with --out or outputs.dir"
        )
    plan.previous = previous
    plan.owned = owned_files(previous)
    plan.reused = (
        reusable_entries(out, previous, plan.keys, {p.id: p.filename(cfg) for p in plan.products})
        if resume and previous
        else {}
    )
    plan.todo = [p for p in plan.products if p.id not in plan.reused]
    if plan.up_to_date:
        log.info("resume: all %d product(s) in %s are up to date", len(plan.products), out)
        return
    ours = {
        f
        for pid in (same_run(previous, plan.keys) if resume else ())
        for f in (PRODUCTS[pid].filename(cfg), *sidecars(PRODUCTS[pid].filename(cfg), PRODUCTS[pid].is_class_map))
    }
    replaceable = ours | (
        {CURVE_CSV, TRAJECTORY_CSV, project_name(cfg), STAC_DIR, ALIGNMENT, MANIFEST} if resume else set()
    )
    existing = [n for n in _installed_names(plan) if os.path.lexists(out / n)]
    foreign = [n for n in existing if n not in plan.owned]
    if foreign:
        shown = ", ".join(foreign[:5]) + (" ..." if len(foreign) > 5 else "")
        raise OutputError(
            f"{out} holds files this run would replace that no scsmap manifest lists: {shown}",
            "they are never touched: move them away or choose another --out",
        )
    blocked = [n for n in existing if n not in replaceable]
    if blocked and not overwrite:
        shown = ", ".join(blocked[:5]) + (" ..." if len(blocked) > 5 else "")
        raise OutputError(
            f"outputs exist already in {out}: {shown}",
            "pass --overwrite (or outputs.overwrite: true) to replace them, or choose --out",
        )
    for pid in plan.reused:
        log.info("resume: keeping %s", pid)


def make_plan(cfg: Config, out: Path, allow_nonempty: bool = False) -> Plan:
    """Check the output folder and the inputs and choose the products; nothing is written.

    Parameters
    ----------
    cfg : Config
    out : Path
        The output folder.
    allow_nonempty : bool
        Accept a non-empty folder without an scsmap manifest (its files are never touched).

    Raises
    ------
    ConfigError, InputError, OutputError
        Before anything is written.
    """
    input_files = dependency_files(cfg)
    check_folder(out, input_files, allow_nonempty)
    log.info("reading and checking %d input layer(s)", len(cfg.inputs))
    inputs = assemble_inputs(cfg)
    model = Model(cfg, Derived(cfg, inputs))
    products, skipped = select_products(cfg, model)
    for pid, why in skipped.items():
        log.info("skipping %s: %s", pid, why)
    checksums = input_checksums(cfg)
    keys = {p.id: resume_key(cfg.digest(), checksums, p.id) for p in products}
    gb = inputs.geobox
    crs = f"EPSG:{gb.crs.epsg}" if gb.crs.epsg else "custom CRS"
    log.info("grid %s x %s pixels (%s), chunks %s", gb.shape.y, gb.shape.x, crs, inputs.chunks)
    return Plan(cfg, out, inputs, model, products, skipped, list(products), {}, None, keys, checksums, input_files)


#: the products a user expects from a run, by what they stand for: a warning names each group a run will skip
HEADLINE_PRODUCTS: dict[str, tuple[str, ...]] = {
    "SOC stock at T0": ("soc_t0",),
    "practice potentials": ("best_practice", "rate_best"),
    "RothC/GSOCseq scenarios": ("soc_final_bau", "asr_ssm1"),
}
#: input layers that are used only together (a hint when one of them is given alone)
TOGETHER = {
    "lst_day": "lst_night",
    "lst_night": "lst_day",
    "temperature_min": "temperature_max",
    "temperature_max": "temperature_min",
    "temperature_warmup": "precipitation_warmup",
    "precipitation_warmup": "temperature_warmup",
}


@dataclass
class Prediction:
    """What a run of a config will make, found without writing anything (``scsmap validate``).

    Attributes
    ----------
    products : list of str
        The product ids a run will write.
    skipped : dict of str to str
        Product id → why it will be skipped.
    warnings : list of str
        Headline products that will be skipped, inputs no product uses, land-cover codes outside the legend.
    inputs_read : bool
        True when the input files were opened and checked (else predicted from the config alone).
    """

    products: list[str]
    skipped: dict[str, str]
    warnings: list[str]
    inputs_read: bool

    def skipped_by_reason(self) -> list[tuple[str, int]]:
        """The reasons of the skipped products with how many each skips, most first."""
        counts: dict[str, int] = {}
        for why in self.skipped.values():
            counts[why] = counts.get(why, 0) + 1
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def predict(cfg: Config, read_inputs: bool = False) -> Prediction:
    """Predict what a run of ``cfg`` will make, with the pipeline's own product selection; nothing is written.

    Parameters
    ----------
    cfg : Config
    read_inputs : bool
        Open and check every input over the region first (as a run does: CRS, overlap, nodata, units,
        physical ranges; every layer's problem at once); else the inputs are placeholders built from
        the config (:func:`scsmap.inputs.align.dry_inputs`).

    Returns
    -------
    Prediction

    Raises
    ------
    ConfigError
        A config problem found while choosing the products (an unknown product id, a table that cannot be
        read, no product at all ...).
    InputError
        (``read_inputs``) the problems of the input files, all layers at once.
    """
    from ..inputs.align import dry_inputs
    from ..io.tables import legend_codes, load_reclass_table

    inputs = assemble_inputs(cfg) if read_inputs else dry_inputs(cfg)
    model = Model(cfg, Derived(cfg, inputs))
    products, skipped = select_products(cfg, model)
    warnings = []
    ids = {p.id for p in products}
    for what, group in HEADLINE_PRODUCTS.items():
        missing = [pid for pid in group if pid in skipped]
        if missing and not ids & set(group):
            warnings.append(f"no {what} ({', '.join(group)}): {skipped[missing[0]]}")
    used = model.needs([source_layer(p.source) for p in products])
    for name in cfg.inputs:
        if name not in used:
            partner = TOGETHER.get(name)
            hint = (
                f" (it is used together with `{partner}`, which is not given)"
                if partner and partner not in cfg.inputs
                else ""
            )
            warnings.append(f"inputs.{name} is given but no product will use it{hint}")
    info = inputs.sources.get("land_cover")
    if read_inputs and info is not None and "land_use" not in cfg.inputs:
        codes = info.preflight.get("codes", [])
        table = load_reclass_table(cfg.land_cover_legend)
        known = set(table.codes.astype(int).tolist())
        unknown = [c for c in codes if c not in known]
        if unknown:
            from ..inputs.land_use import where_valid

            warnings.append(
                f"land_cover: codes {unknown[:20]} sampled over the region are not in the legend {table.name} "
                f"(the run will stop on them); {where_valid(unknown[:20], legend_codes())}; set "
                "inputs.land_cover.legend to the legend of the file"
            )
    return Prediction([p.id for p in products], skipped, warnings, read_inputs)
