"""Reading tables kept as data: packaged CSV files by name, a task force's CSV files by path.

Every table is a CSV file under ``scsmap/data/`` (packaged) or a task force's own
CSV named in the config's ``tables`` section. Each value row carries its source
and a confidence tag (docs/methods/index.md §0.3: V read in the primary source, V2
secondary transcription, C computed, R recalled, D scsmap design default) and a
``verified`` mark (true for V and V2). :func:`read_table` reads one, with the sha256
of its bytes for the products' tags.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from ...errors import ConfigError


@dataclass(frozen=True)
class TableInfo:
    """Where a table came from: packaged name or path, and the sha256 of its bytes.

    Attributes
    ----------
    field : str
        Config field that named the table (``tables.ipcc_factors`` ...).
    name : str
        Packaged name or path.
    sha256 : str
        Hex digest of the file's bytes.
    """

    field: str
    name: str
    sha256: str

    def tag(self, shown: str | None = None) -> str:
        """``"<name> (sha256 <first 16 hex digits>)"``, for product tags; ``shown`` replaces the name (a path
        relative to the config, :meth:`scsmap.config.Config.relative_path`)."""
        return f"{shown or self.name} (sha256 {self.sha256[:16]})"


def read_table(
    name: str, packaged: dict[str, str], field_name: str, columns: set[str]
) -> tuple[pd.DataFrame, TableInfo]:
    """Read a packaged table by name or a CSV file by path.

    Parameters
    ----------
    name : str
        A key of ``packaged`` or a path to a CSV file.
    packaged : dict
        Packaged table names → file names under ``scsmap/data/``.
    field_name : str
        Config field that named the table (for error messages).
    columns : set of str
        Columns the table must have.

    Returns
    -------
    (pandas.DataFrame, TableInfo)

    Raises
    ------
    ConfigError
        Unknown name, unreadable file or missing columns.
    """
    if name in packaged:
        data = resources.files("scsmap.data").joinpath(packaged[name]).read_bytes()
    else:
        path = Path(name)
        if not path.is_file():
            raise ConfigError(
                f"{field_name}: {name!r} is neither a packaged table ({', '.join(packaged)}) nor an existing CSV file"
            )
        data = path.read_bytes()
    try:
        df = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{field_name}: {name} is not a readable CSV table: {exc}") from None
    missing = columns - set(df.columns)
    if missing:
        raise ConfigError(f"{field_name}: table {name} lacks column(s) {sorted(missing)} (has {list(df.columns)})")
    return df, TableInfo(field_name, name, hashlib.sha256(data).hexdigest())


def packaged_csv(file: str) -> pd.DataFrame:
    """A packaged table of ``scsmap/data/`` as text columns.

    Parameters
    ----------
    file : str
        File name under ``scsmap/data/``.

    Returns
    -------
    pandas.DataFrame
        Every column as text (empty cells as ``""``).
    """
    return read_table(file, {file: file}, "scsmap/data", set())[0]


def number(value: str, where: str) -> float:
    """A table cell as a float: NaN for an empty cell.

    Parameters
    ----------
    value : str
        The cell text.
    where : str
        Table and row, for the error message.

    Returns
    -------
    float

    Raises
    ------
    ConfigError
        The cell is not a number (``where`` names the table and row).
    """
    if value.strip() == "":
        return float("nan")
    try:
        return float(value)
    except ValueError:
        raise ConfigError(f"{where}: {value!r} is not a number") from None


def records(df: pd.DataFrame) -> tuple[dict[str, str], ...]:
    """The rows of a table as dicts (column → text), for product tags.

    Parameters
    ----------
    df : pandas.DataFrame

    Returns
    -------
    tuple of dict
    """
    return tuple(df.to_dict("records"))
