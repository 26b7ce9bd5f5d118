"""Reading config YAML files safely: regular small UTF-8 files, no duplicate keys, bounded aliases.

A config is the one file a user writes by hand; a slip in it must give a clear message, never a
hang, a memory blow-up or a silently dropped section:

* only regular files up to :data:`MAX_BYTES` are read (``extends: /dev/zero`` or a FIFO would hang);
* the text must be UTF-8 (a Latin-1 file is named with the fix);
* a key given twice in one mapping is an error naming both lines (YAML would keep the last one);
* numbers are read as YAML 1.2 reads them: ``-3.4e38`` and ``1e-6`` are floats (PyYAML follows YAML
  1.1, where an exponent without a dot or a sign makes a string), so that a config means the same to
  scsmap, to a JSON-schema-aware editor and to any YAML 1.2 reader;
* the document, with every alias expanded, may hold at most :data:`MAX_NODES` values (a "billion
  laughs" alias bomb is refused before anything expands it);
* values quoted in messages are shortened (:func:`short_repr`).
"""

from __future__ import annotations

import os
import re
import reprlib
import stat
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError

#: largest config file read [bytes]
MAX_BYTES = 1_000_000
#: most values a config may hold with its aliases expanded
MAX_NODES = 100_000

_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxdict, _REPR.maxstring, _REPR.maxother = 3, 6, 6, 80, 80


def short_repr(value: Any) -> str:
    """``repr`` of a value cut to a readable length (nested containers and long strings shortened)."""
    text = _REPR.repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


#: YAML 1.2 core-schema floats (https://yaml.org/spec/1.2.2/#10214-floating-point), with ``_`` separators as YAML 1.1
_FLOAT_12 = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)?
    |[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader that refuses a key given twice in one mapping and reads YAML 1.2 floats."""

    source = ""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key: the constructor reports it
                continue
            if first is not None:
                raise ConfigError(
                    f"{self.source}: key {key!r} appears twice in one mapping (lines {first} and {line})",
                    "keep one of them: YAML would silently drop the first",
                )
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


# the YAML 1.2 float pattern replaces YAML 1.1's (a copy of the resolver table: yaml.SafeLoader is unchanged)
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:float"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_12, list("-+0123456789."))


def _expanded_size(node: yaml.Node, memo: dict[int, int], limit: int) -> int:
    """Number of values of ``node`` with every alias expanded (stops counting past ``limit``)."""
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = limit + 1  # a recursive alias expands forever
    if isinstance(node, yaml.ScalarNode):
        size = 1
    elif isinstance(node, yaml.SequenceNode):
        size = 1
        for child in node.value:
            size += _expanded_size(child, memo, limit)
            if size > limit:
                break
    else:
        size = 1
        for k, v in node.value:
            size += _expanded_size(k, memo, limit) + _expanded_size(v, memo, limit)
            if size > limit:
                break
    memo[key] = size
    return size


def load_yaml_text(text: str, source: str) -> Any:
    """Parse one YAML document with the checks of this module.

    Raises
    ------
    ConfigError
        Not YAML, a duplicate key, or more than :data:`MAX_NODES` values with aliases expanded.
    """
    try:
        loader = _Loader(text)
    except yaml.YAMLError as exc:  # characters YAML does not allow
        raise ConfigError(f"{source}: not valid YAML: {exc}") from None
    loader.source = source
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node, {}, MAX_NODES) > MAX_NODES:
            raise ConfigError(
                f"{source}: the YAML expands to more than {MAX_NODES:,} values (anchors and aliases "
                "that refer to each other)",
                "write the values out instead of nesting aliases",
            )
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {exc}") from None
    finally:
        loader.dispose()


def read_config_file(path: Path) -> Any:
    """Read a config YAML file: a regular file of at most :data:`MAX_BYTES`, UTF-8, parsed safely.

    Raises
    ------
    ConfigError
        Missing, not a regular file, too large, not UTF-8, or not valid YAML (:func:`load_yaml_text`).
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise ConfigError(f"{path} is not a regular file", "a config (and the file it `extends`) is a YAML text file")
    if st.st_size > MAX_BYTES:
        raise ConfigError(
            f"{path} has {st.st_size:,} bytes: too large for a config (at most {MAX_BYTES:,})",
            "is this the right file? A config is a short YAML text",
        )
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path} is not UTF-8 text (byte {exc.start}: {data[exc.start : exc.start + 1]!r})",
            "save the file as UTF-8 (e.g. in your editor: Save with Encoding > UTF-8)",
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    return load_yaml_text(text, str(path))
