"""Stores chosen and configured from a URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.base import StoreError
from store.factory import parse_duration, parse_size, read_token, store_from_url
from store.influx import InfluxStore
from store.spool import SpoolPolicy
from store.sqlite import SqliteStore

ENV = {"WARDEN_INFLUXDB_TOKEN": "s3cret-token"}


def test_sqlite_relative_and_absolute_paths() -> None:
    relative = store_from_url("sqlite:///var/history.db?retention=30d")
    absolute = store_from_url("sqlite:////srv/warden/history.db")

    assert isinstance(relative, SqliteStore) and isinstance(absolute, SqliteStore)
    assert relative.path == Path("var/history.db")
    assert absolute.path == Path("/srv/warden/history.db")
    assert relative._retention_s == 30 * 86400


def test_influx_url_with_options() -> None:
    store = store_from_url(
        "influxdb+http://127.0.0.1:8086?org=facility&bucket=warden"
        "&spool=/tmp/warden-spool&spool_policy=refuse_newest&spool_max_bytes=64MiB"
        "&tag.site=HMP-North&measurement=samples&timeout=5s",
        environ=ENV,
    )

    assert isinstance(store, InfluxStore)
    assert store.url == "http://127.0.0.1:8086"
    assert store._spool.directory == Path("/tmp/warden-spool")
    assert store._spool.policy is SpoolPolicy.REFUSE_NEWEST
    assert store._spool.max_bytes == 64 * 2**20
    assert store._schema.extra_tags == {"site": "HMP-North"}
    assert store._schema.measurement == "samples"


def test_the_token_may_come_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "token"
    secret.write_text("from-file\n")

    token = read_token(token_file=str(secret), environ={})

    assert token == "from-file"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgres://127.0.0.1/x", "unknown store URL"),
        ("sqlite://history.db", "sqlite:///relative"),
        ("sqlite:///h.db?retention=forever", "not a duration"),
        ("sqlite:///h.db?retension=30d", "unknown sqlite store option"),
        ("influxdb+http://127.0.0.1:8086?bucket=b", "needs org="),
        ("influxdb+http://127.0.0.1:8086?org=o&bucket=b&token=abc", "do not put"),
        (
            "influxdb+http://127.0.0.1:8086?org=o&bucket=b&spool_policy=x",
            "spool_policy",
        ),
        ("influxdb+http://127.0.0.1:8086?org=o&bucket=b&batch=5", "unknown influxdb"),
        ("influxdb+http://127.0.0.1:8086?org=o&bucket=b&measurement=_x", "reserved"),
    ],
)
def test_bad_urls_say_what_is_wrong(url: str, message: str) -> None:
    with pytest.raises(StoreError, match=message):
        store_from_url(url, environ=ENV)


def test_a_missing_token_names_where_to_put_it() -> None:
    with pytest.raises(StoreError, match="WARDEN_INFLUXDB_TOKEN") as caught:
        store_from_url("influxdb+http://127.0.0.1:8086?org=o&bucket=b", environ={})

    assert "s3cret" not in str(caught.value)


def test_an_unreadable_token_file_does_not_leak_anything(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot read the InfluxDB token file"):
        read_token(token_file=str(tmp_path / "missing"), environ=ENV)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90.0), ("90s", 90.0), ("15m", 900.0), ("12h", 43200.0), ("2w", 1209600.0)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "size"), [("65536", 65536), ("512MiB", 512 * 2**20), ("2GiB", 2 * 2**30)]
)
def test_sizes(text: str, size: int) -> None:
    assert parse_size(text) == size
