"""Reading a YAML file into plain Python data that remembers its line numbers.

The round-trip parser of ruamel.yaml keeps the line of every mapping key and
sequence item. We copy the parsed tree into plain ``dict``/``list``/scalars (what
pydantic validates fastest and most predictably) and keep the lines aside, keyed
by the path of keys and indexes that leads to each value, which is the same shape
as a pydantic error location.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

Location = tuple[str | int, ...]


class YamlReadError(Exception):
    """The file could not be read or is not valid YAML; ``line`` is 1-based."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(slots=True)
class YamlDocument:
    """A parsed YAML file: plain ``data`` and the 1-based line of each location."""

    path: Path
    data: Any
    lines: dict[Location, int] = field(default_factory=dict)

    def line_of(self, location: Sequence[str | int]) -> int:
        """The line of ``location``, or of its nearest ancestor that has one.

        Locations that do not exist in the file (a missing field) fall back to the
        mapping that should have held them; the document itself is line 1.
        """
        loc = tuple(location)
        while loc:
            line = self.lines.get(loc)
            if line is not None:
                return line
            loc = loc[:-1]
        return 1


def read_yaml(path: Path) -> YamlDocument:
    """Parse ``path``; raise :class:`YamlReadError` if it is unreadable or bad YAML.

    Duplicate keys in a mapping are a YAML error here, not a silent overwrite.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise YamlReadError("file not found", None) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise YamlReadError(f"cannot read the file: {exc}", None) from exc

    try:
        tree = YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        raise YamlReadError(_describe_yaml_error(exc), _error_line(exc)) from exc
    except YAMLError as exc:
        raise YamlReadError(f"the file is not valid YAML: {exc}", None) from exc

    document = YamlDocument(path=path, data=None)
    try:
        document.data = _copy(tree, (), document.lines, [_MAX_NODES])
    except _TooLarge:
        raise YamlReadError(
            f"the file expands to more than {_MAX_NODES:,} values "
            "(aliases repeated too often?)",
            None,
        ) from None
    except (AttributeError, TypeError, ValueError) as exc:
        raise YamlReadError(
            f"the file uses YAML tags or structures a site file cannot hold ({exc})",
            None,
        ) from exc
    return document


_MAX_NODES = 500_000
"""Values a file may expand to: far above any real site, far below a memory
exhaustion by nested aliases ("billion laughs")."""


class _TooLarge(Exception):
    pass


def _error_line(exc: MarkedYAMLError) -> int | None:
    mark = exc.problem_mark or exc.context_mark
    return None if mark is None else int(mark.line) + 1


def _describe_yaml_error(exc: MarkedYAMLError) -> str:
    problem = str(exc.problem or exc.context or "unreadable YAML")
    context = ""
    if exc.context and exc.problem and exc.context_mark is not None:
        context = f" ({exc.context} that starts on line {exc.context_mark.line + 1})"
    return f"the file is not valid YAML: {problem}{context}"


def _copy(
    node: Any, location: Location, lines: dict[Location, int], budget: list[int]
) -> Any:
    """Copy a ruamel tree into plain containers and scalars, recording lines.

    Recursion depth equals the nesting depth of the file, which is small for
    site and profile files. ``budget`` counts down the values still allowed.
    """
    budget[0] -= 1
    if budget[0] < 0:
        raise _TooLarge
    if isinstance(node, Mapping):
        key_lines = _key_lines(node)
        copied: dict[Any, Any] = {}
        for key, value in node.items():
            plain_key = _scalar(key)
            child = (*location, plain_key)
            line = key_lines.get(key)
            if line is not None:
                lines[child] = line
            copied[plain_key] = _copy(value, child, lines, budget)
        return copied

    if isinstance(node, list):
        item_lines = getattr(getattr(node, "lc", None), "data", {})
        items: list[Any] = []
        for index, value in enumerate(node):
            child = (*location, index)
            position = item_lines.get(index)
            if position is not None:
                lines[child] = int(position[0]) + 1
            items.append(_copy(value, child, lines, budget))
        return items

    return _scalar(node)


def _key_lines(node: Mapping[Any, Any]) -> dict[Any, int]:
    """Lines of a mapping's own keys and of keys it takes from ``<<:`` merges."""
    found: dict[Any, int] = {}
    # Merged keys have no position in the mapping that merges them; use the
    # line in the anchored mapping they came from, which is where to fix them.
    for source in reversed(list(getattr(node, "merge", None) or [])):
        merged = source[1] if isinstance(source, tuple) else source
        found.update(_key_lines(merged))
    own = getattr(getattr(node, "lc", None), "data", {})
    for key, position in own.items():
        found[key] = int(position[0]) + 1
    return found


def _scalar(value: Any) -> Any:
    """Turn ruamel's scalar subclasses (kept for round-tripping) into plain ones."""
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        # ScalarBoolean is an int subclass; it only appears for anchored booleans.
        if type(value).__name__ == "ScalarBoolean":
            return bool(value)
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value
