"""Talking to InfluxDB 2 over HTTP through ``influxdb-client``: writes and Flux.

Why the synchronous write API under our own batching, not the client's batching
writer: that writer retries on its own thread and reports the fate of a batch
only through callbacks, after the fact. The store needs the answer for each
batch at once and in order (written, which lines were refused, or "try again
after N seconds") to decide between counting, spooling and replaying, and to
keep the loss counters exact. So every call here is one blocking HTTP request,
run on a worker thread the store owns, with no retries inside the client.

Outcomes of a write:

- 2xx: every line written.
- 400 and 422 (malformed or refused points) and 413 (too large): the batch is
  split in halves and each half sent again, down to single lines, so only the
  offending lines are refused (counted) and the rest are written. Re-sending
  lines a 422 had already accepted is harmless: a point is its series and time.
- 429, 5xx, 401/403/404 (a server that refuses now but may accept later, or a
  configuration to fix) and any connection failure or timeout raise
  :class:`RetryLater`, carrying the server's ``Retry-After`` when it sent one.

The token is sent in the ``Authorization`` header by the client and never
appears in a message or log line of ours.
"""

from __future__ import annotations

import email.utils
import logging
import time
from dataclasses import dataclass

import urllib3
from influxdb_client.client.flux_table import TableList
from influxdb_client.client.influxdb_client import InfluxDBClient
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.rest import ApiException

from store.base import StoreError

logger = logging.getLogger(__name__)

_SPLIT_STATUSES = frozenset({400, 413, 422})


class RetryLater(StoreError):
    """The server cannot take the batch now; ``retry_after_s`` is its own hint
    (``Retry-After``) in seconds, or None."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True, slots=True)
class Delivery:
    """What became of one batch of lines."""

    written: int
    rejected: int


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP
    date), or None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class InfluxHttp:
    """One connection pool to an InfluxDB 2 server for ``org`` and ``bucket``.

    ``timeout_s`` bounds each request. Blocking: call from a worker thread.
    """

    def __init__(
        self,
        url: str,
        *,
        org: str,
        bucket: str,
        token: str,
        timeout_s: float = 10.0,
        gzip: bool = False,
    ) -> None:
        self.url = url
        self.org = org
        self.bucket = bucket
        try:
            self._client = InfluxDBClient(
                url=url,
                token=token,
                org=org,
                timeout=int(timeout_s * 1000),
                enable_gzip=gzip,
                retries=False,
            )
        except (ValueError, TypeError) as exc:
            raise StoreError(f"cannot use InfluxDB URL {url}: {exc}") from exc
        self._write_api = self._client.write_api(write_options=SYNCHRONOUS)
        self._query_api = self._client.query_api()

    def close(self) -> None:
        self._client.close()  # type: ignore[no-untyped-call]

    def send(self, payload: bytes) -> Delivery:
        """Write newline-separated lines (timestamps in µs). Refused lines are
        isolated and counted; raises :class:`RetryLater` if the server cannot
        take them now (then none of them counts as written)."""
        if not payload:
            return Delivery(0, 0)
        status, message, retry_after = self._post(payload)
        if status is None:
            return Delivery(payload.count(b"\n") + 1, 0)
        if status not in _SPLIT_STATUSES:
            raise RetryLater(
                f"InfluxDB at {self.url} answered {status}: {message}", retry_after
            )
        lines = payload.split(b"\n")
        if len(lines) == 1:
            logger.warning(
                "InfluxDB refused a line (%s: %s): %.200r", status, message, payload
            )
            return Delivery(0, 1)
        middle = len(lines) // 2
        first = self.send(b"\n".join(lines[:middle]))
        second = self.send(b"\n".join(lines[middle:]))
        return Delivery(
            first.written + second.written, first.rejected + second.rejected
        )

    def _post(self, payload: bytes) -> tuple[int | None, str, float | None]:
        try:
            self._write_api.write(
                bucket=self.bucket,
                org=self.org,
                record=payload,
                write_precision="us",  # type: ignore[arg-type]
            )
        except ApiException as exc:
            if not exc.status:  # TLS failure and the like: no HTTP answer at all
                raise RetryLater(
                    f"cannot reach InfluxDB at {self.url}: {exc.reason}"
                ) from exc
            return exc.status, str(exc.message), parse_retry_after(exc.retry_after)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise RetryLater(f"cannot reach InfluxDB at {self.url}: {exc}") from exc
        return None, "", None

    def query(self, flux: str) -> TableList:
        """Run a Flux script; raises :class:`StoreError` with the server's
        message, or if the server cannot be reached."""
        try:
            return self._query_api.query(flux, org=self.org)
        except ApiException as exc:
            raise StoreError(
                f"InfluxDB at {self.url} refused a query ({exc.status}): "
                f"{exc.message or exc.reason}"
            ) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise StoreError(f"cannot reach InfluxDB at {self.url}: {exc}") from exc
