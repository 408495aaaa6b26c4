"""History of one point from the time-series store, raw or downsampled."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from api.deps import Context, not_found
from api.routes.devices import known_point
from api.schemas import HistoryOut, HistoryPoint, to_datetime
from store.base import Aggregate, SeriesKey, StoreError
from store.base import Query as StoreQuery

router = APIRouter(tags=["history"])

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_MAX_WINDOW_S = 366 * 86400.0
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(9000, 1, 1, tzinfo=UTC)
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


def parse_duration(text: str) -> float:
    """``"500ms"``, ``"10s"``, ``"5m"``, ``"1h"``, ``"1d"`` or plain seconds."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(
            f"every={text!r} is not a duration; use e.g. 10s, 5m, 1h or seconds"
        )
    seconds = float(match.group(1)) * _UNIT_S[match.group(2)]
    if seconds <= 0:
        raise ValueError("every must be longer than 0 s")
    if seconds > _MAX_WINDOW_S:
        raise ValueError("every must be at most 366d")
    return seconds


def _epoch(value: datetime, name: str) -> float:
    """A query time as epoch seconds; naive times are UTC. Raises 422 outside
    1970-9000, where no sample can be and date arithmetic breaks."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if not _EARLIEST <= value < _LATEST:
        raise HTTPException(
            422, detail=f"{name} must be between 1970-01-01 and 9000-01-01 (UTC)"
        )
    return value.timestamp()


@router.get("/history")
async def get_history(
    context: Context,
    device: Annotated[str, Query(description="device id")],
    point: Annotated[str, Query(description="point name")],
    start: Annotated[
        datetime | None, Query(description="ISO 8601; default one hour before end")
    ] = None,
    end: Annotated[datetime | None, Query(description="ISO 8601; default now")] = None,
    every: Annotated[
        str | None, Query(description="downsample window: 10s, 1m, 1h...")
    ] = None,
    aggregate: Annotated[Aggregate, Query(description="window aggregate")] = (
        Aggregate.MEAN
    ),
    limit: Annotated[int, Query(ge=1, le=100_000)] = 10_000,
) -> HistoryOut:
    """Samples of one point between ``start`` and ``end``; with ``every``, one
    aggregated value per window (windows without samples are left out)."""
    try:
        found = context.site.device(device)
    except KeyError:
        raise not_found("device", device) from None
    if not known_point(context, found, point):
        raise HTTPException(404, detail=f"device {device!r} has no point {point!r}")

    end_s = _epoch(end, "end") if end is not None else time.time()
    start_s = _epoch(start, "start") if start is not None else end_s - 3600.0
    if start_s < 0:
        start_s = 0.0
    if start_s >= end_s:
        raise HTTPException(422, detail="start must be before end")
    try:
        every_s = parse_duration(every) if every is not None else None
    except ValueError as exc:
        raise HTTPException(422, detail=str(exc)) from None
    if every_s is not None and (end_s - start_s) / every_s > 100_000:
        raise HTTPException(422, detail="too many windows; widen every or narrow range")

    query = StoreQuery(
        series=SeriesKey(device, point),
        start=start_s,
        end=end_s,
        every=every_s,
        aggregate=aggregate,
        limit=limit,
    )
    try:
        rows = await context.store.query(query)
    except StoreError as exc:
        raise HTTPException(503, detail=f"history unavailable: {exc}") from None
    return HistoryOut(
        device=device,
        point=point,
        start=datetime.fromtimestamp(start_s, UTC),
        end=datetime.fromtimestamp(end_s, UTC),
        every=every_s,
        aggregate=aggregate.value if every_s is not None else None,
        points=[
            HistoryPoint(time=to_datetime(r.time), value=r.value, quality=r.quality)
            for r in rows
        ],
    )
