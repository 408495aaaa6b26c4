"""Turning pydantic validation errors into sentences about a site or profile file.

pydantic says ``doors.3.held_open_s: Input should be greater than 0``; an engineer
wants ``door D-A1-101: 'held_open_s' should be greater than 0, not -5``. The item
is named by its ``id`` (or ``name`` for profile points) when it has one.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from topology.site import PointRef

# Lists whose items are named in messages, and the noun for one item.
_ITEM_NOUNS = {
    "spaces": "space",
    "doors": "door",
    "devices": "device",
    "interlocks": "interlock",
    "points": "point",
}

_ID_PATTERN_HINT = (
    "should be an id made of letters, digits, '_', '.' and '-' that starts with "
    "a letter or digit"
)
_NAME_PATTERN_HINT = (
    "should be a name made of letters, digits and '_' that does not start with a digit"
)


def describe_item(data: Any, location: Sequence[str | int], file_noun: str) -> str:
    """How to name the thing at ``location`` in a message: ``door D-1``,
    ``profile moxa``, ``the site section`` or ``the site file``."""
    if not location:
        return f"the {file_noun}"
    head = location[0]
    if head in _ITEM_NOUNS and len(location) >= 2 and isinstance(location[1], int):
        noun = _ITEM_NOUNS[str(head)]
        index = location[1]
        item = _get(data, (head, index))
        if isinstance(item, dict):
            label = item.get("id", item.get("name"))
            if isinstance(label, str) and label:
                return f"{noun} {label}"
        return f"{noun} number {index + 1}"
    if head == "profiles" and len(location) >= 2:
        return f"profile {location[1]}"
    if head == "site" and len(location) == 1:
        return "the site section"
    return f"the {file_noun}"


def explain(
    error: ErrorDetails, data: Any, root: type[BaseModel], file_noun: str
) -> str:
    """One plain sentence for one pydantic error on the file's ``data``."""
    loc = tuple(error["loc"])
    subject_len = _subject_length(loc)
    subject = describe_item(data, loc[:subject_len], file_noun)
    rest = loc[subject_len:]
    field = _dotted(rest)
    kind = error["type"]

    if kind == "extra_forbidden":
        return f"{subject} has an unknown field '{field}'{_hint(root, loc)}"
    if kind == "missing":
        return f"{subject} is missing the required field '{field}'"
    if kind in ("value_error", "assertion_error"):
        reason = str(error.get("ctx", {}).get("error", error["msg"]))
        return f"{subject}: '{field}' {reason}" if field else f"{subject}: {reason}"

    wording = _wording(error, root, loc)
    if ", not " not in wording:
        wording = f"{wording}, not {_show(error['input'])}"
    return f"{subject}: '{field}' {wording}" if field else f"{subject} {wording}"


def _subject_length(loc: tuple[str | int, ...]) -> int:
    if len(loc) >= 2 and loc[0] in _ITEM_NOUNS and isinstance(loc[1], int):
        return 2
    if len(loc) >= 2 and loc[0] == "profiles":
        return 2
    if len(loc) >= 2 and loc[0] == "site":
        return 1
    return 0


def _wording(error: ErrorDetails, root: type[BaseModel], loc: tuple[Any, ...]) -> str:
    kind = error["type"]
    if kind == "string_pattern_mismatch":
        pattern = str(error.get("ctx", {}).get("pattern", ""))
        return (
            _NAME_PATTERN_HINT
            if pattern.startswith("^[A-Za-z_]")
            else (_ID_PATTERN_HINT)
        )
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        if _model_at(root, loc) is PointRef:
            return "should be written DEVICE/POINT (or !DEVICE/POINT to invert)"
        return "should be a mapping of fields"
    if kind == "list_type":
        return "should be a list"
    message = str(error["msg"]).replace(" after validation", "")
    for prefix in ("Input should", "String should", "List should", "Value should"):
        if message.startswith(prefix):
            return "should" + message[len(prefix) :]
    return message[:1].lower() + message[1:]


def _hint(root: type[BaseModel], loc: tuple[Any, ...]) -> str:
    model = _model_at(root, loc[:-1])
    if model is None:
        return ""
    known = sorted(model.model_fields)
    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
    if close:
        return f" (did you mean '{close[0]}'?)"
    return f" (known fields: {', '.join(known)})"


def _model_at(root: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model that validates the value at ``loc``, if there is one."""
    current: Any = root
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            info = current.model_fields.get(part) if isinstance(part, str) else None
            if info is None:
                return None
            current = info.annotation
        elif get_origin(current) in (list, dict):
            current = get_args(current)[-1]
        else:
            return None
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return current
    return None


def _unwrap(annotation: Any) -> Any:
    """Strip ``Annotated[...]`` and ``X | None`` down to ``X``."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            options = [a for a in get_args(annotation) if a is not type(None)]
            if len(options) != 1:
                return annotation
            annotation = options[0]
        else:
            return annotation


def _dotted(parts: Sequence[str | int]) -> str:
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _show(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _get(data: Any, location: Sequence[str | int]) -> Any:
    current = data
    for part in location:
        try:
            current = current[part]
        except (KeyError, IndexError, TypeError):
            return None
    return current
