"""Validating a parsed file with its pydantic model while collecting every error.

pydantic reports all errors of one pass. To check cross-references of the items
that *are* valid, the items that failed are dropped and the rest validated again;
``indexes`` remembers where each kept item was in the file, so later checks can
still name its line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError

from topology._messages import explain
from topology._yaml import YamlDocument
from topology.problems import Problem

ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass(slots=True)
class Validated(Generic[ModelT]):
    """The model built from the valid part of a file, or ``None`` if the file's
    top level is broken; ``indexes[name][i]`` is the position in the file of the
    ``i``-th kept item of list ``name``; ``dropped`` holds the keys removed from
    mapping sections."""

    model: ModelT | None
    problems: list[Problem]
    indexes: dict[str, list[int]] = field(default_factory=dict)
    dropped: dict[str, set[str]] = field(default_factory=dict)


def validate(
    document: YamlDocument,
    model: type[ModelT],
    file_noun: str,
    lists: Iterable[str] = (),
    mappings: Iterable[str] = (),
) -> Validated[ModelT]:
    """Validate ``document.data`` as ``model``; items of the named top-level
    ``lists`` and entries of the named ``mappings`` that fail are reported and
    left out, so the rest of the file can still be checked."""
    lists = tuple(lists)
    mappings = tuple(mappings)
    data = document.data
    identity = _identity_indexes(data, lists)

    try:
        return Validated(model.model_validate(data), [], identity)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)

    problems = [
        Problem(
            document.path,
            document.line_of(e["loc"]),
            explain(e, data, model, file_noun),
        )
        for e in errors
    ]
    bad_items: dict[str, set[int]] = {name: set() for name in lists}
    bad_keys: dict[str, set[str]] = {name: set() for name in mappings}
    for error in errors:
        loc = error["loc"]
        if len(loc) >= 2 and loc[0] in bad_items and isinstance(loc[1], int):
            bad_items[str(loc[0])].add(loc[1])
        elif len(loc) >= 2 and loc[0] in bad_keys:
            bad_keys[str(loc[0])].add(str(loc[1]))
        else:
            # The top level itself is wrong (a missing section, a wrong type):
            # there is no trustworthy model to check further.
            return Validated(None, problems)

    pruned = dict(data)
    indexes: dict[str, list[int]] = {}
    for name, bad in bad_items.items():
        items = data.get(name)
        if isinstance(items, list):
            indexes[name] = [i for i in range(len(items)) if i not in bad]
            pruned[name] = [items[i] for i in indexes[name]]
    for name, bad_names in bad_keys.items():
        entries = data.get(name)
        if isinstance(entries, dict):
            pruned[name] = {k: v for k, v in entries.items() if str(k) not in bad_names}

    try:
        kept = model.model_validate(pruned)
    except ValidationError:
        return Validated(None, problems)
    return Validated(kept, problems, indexes, bad_keys)


def _identity_indexes(data: object, lists: tuple[str, ...]) -> dict[str, list[int]]:
    if not isinstance(data, dict):
        return {}
    found: dict[str, list[int]] = {}
    for name in lists:
        items = data.get(name)
        if isinstance(items, list):
            found[name] = list(range(len(items)))
    return found
