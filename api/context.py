"""What the API serves from: the site, the twin, the store and the command target."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from store.base import TimeSeriesStore
from topology.loader import LoadedSite
from topology.sample import Value
from twin.model import Twin


class CommandTarget(Protocol):
    """Writes one point on one device; raises on failure."""

    async def write_point(self, device: str, point: str, value: Value) -> None: ...


class StatsSource(Protocol):
    """Anything with counters to show in health: a mapping or a dataclass."""

    def stats(self) -> Any: ...


@dataclass
class ApiContext:
    """Everything a request handler may read. Built once by the composition root."""

    site: LoadedSite
    twin: Twin
    store: TimeSeriesStore
    commands: CommandTarget | None = None
    pollers: StatsSource | None = None
    started: float = field(default_factory=time.time)
