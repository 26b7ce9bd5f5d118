"""Plan a run: inputs on the grid, the model layers, the products to write, what ``--resume`` keeps.

Nothing is written while planning; every user error found here (a config field, an
input file, an output folder that cannot be written or holds outputs already) is raised
before any computation starts.
"""

from __future__ import annotations

import difflib
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import Config
from ..errors import ConfigError, OutputError
from ..inputs.align import AlignedInputs, assemble_inputs
from ..inputs.derive import Derived
from ..io.manifest import ALIGNMENT, MANIFEST, read_manifest
from ..layers.model import Model
from ..products import PRODUCTS, Product
from .resume import clean_stale_staging, input_checksums, resume_key, reusable_entries, same_run

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


def check_out_dir(out_dir: Path, names: list[str], overwrite: bool) -> None:
    """Create the output folder and refuse to replace existing outputs without ``overwrite``.

    Raises
    ------
    OutputError
        The folder cannot be created or written, or holds files of these names.
    """
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"cannot create output directory {out_dir}: {exc.strerror}",
            "choose another directory with --out or outputs.dir",
        ) from None
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise OutputError(
            f"output directory {out_dir} is not writable", "choose another directory with --out or outputs.dir"
        )
    existing = [n for n in names if (out_dir / n).exists()]
    if existing and not overwrite:
        shown = ", ".join(existing[:5]) + (" ..." if len(existing) > 5 else "")
        raise OutputError(
            f"outputs exist already in {out_dir}: {shown}",
            "pass --overwrite (or outputs.overwrite: true) to replace them, or choose --out",
        )


def make_plan(cfg: Config, out: Path, overwrite: bool, resume: bool) -> Plan:
    """Read and check the inputs, choose the products and check the output folder.

    Parameters
    ----------
    cfg : Config
    out : Path
        The output folder.
    overwrite : bool
        Existing outputs may be replaced.
    resume : bool
        Keep the products whose file and manifest entry match this run (:mod:`scsmap.run.resume`).

    Raises
    ------
    ConfigError, InputError, OutputError
        Before anything is written.
    """
    log.info("reading and checking %d input layer(s)", len(cfg.inputs))
    inputs = assemble_inputs(cfg)
    model = Model(cfg, Derived(cfg, inputs))
    products, skipped = select_products(cfg, model)
    for pid, why in skipped.items():
        log.info("skipping %s: %s", pid, why)
    checksums = input_checksums(cfg)
    keys = {p.id: resume_key(cfg.digest(), checksums, p.id) for p in products}
    previous = read_manifest(out / MANIFEST) if resume else None
    reused = reusable_entries(out, previous, keys, {p.id: p.filename(cfg) for p in products}) if previous else {}
    todo = [p for p in products if p.id not in reused]
    plan = Plan(cfg, out, inputs, model, products, skipped, todo, reused, previous, keys, checksums)
    if plan.up_to_date:
        log.info("resume: all %d product(s) in %s are up to date", len(products), out)
        return plan
    ours = same_run(previous, keys)
    names = [p.filename(cfg) for p in todo if p.id not in ours] + ([] if resume else [MANIFEST, ALIGNMENT])
    check_out_dir(out, names, overwrite)
    clean_stale_staging(out)
    for pid in reused:
        log.info("resume: keeping %s", pid)
    gb = inputs.geobox
    crs = f"EPSG:{gb.crs.epsg}" if gb.crs.epsg else "custom CRS"
    log.info("grid %s x %s pixels (%s), chunks %s", gb.shape.y, gb.shape.x, crs, inputs.chunks)
    return plan
