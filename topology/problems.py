"""What is wrong with a site file: one :class:`Problem` per mistake, with its line.

Exceptions of the topology layer::

    SiteError        a site file or a profile it references is invalid;
                     ``problems`` lists every mistake found, not only the first

Graph queries raise their own tree, documented in :mod:`topology.graph`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Problem:
    """One mistake in a site or profile file, with the line it is on (1-based)."""

    file: Path
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else str(self.file)
        return f"{where}: {self.message}"


class SiteError(Exception):
    """A site file (or a profile it references) is invalid; ``problems`` says where."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
