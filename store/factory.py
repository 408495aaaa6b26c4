"""Choosing and configuring a store from one URL, as the command line takes it.

Forms (paths follow the SQLAlchemy convention: three slashes then a relative
path, four for an absolute one)::

    sqlite:///var/history.db                      ./var/history.db
    sqlite:////var/lib/warden/history.db          /var/lib/warden/history.db
    sqlite:///var/history.db?retention=30d&batch_size=50000
    influxdb+http://127.0.0.1:8086?org=facility&bucket=warden
    influxdb+https://127.0.0.1:8086?org=facility&bucket=warden
        &token_file=/run/secrets/influx&spool=var/spool&tag.site=HMP-North

InfluxDB options: ``org`` and ``bucket`` (required), ``measurement``,
``tag.<key>=<value>`` (extra tags on every line), ``spool`` (directory, default
``var/spool``), ``spool_max_bytes`` (``512MiB``, ``2GiB``...),
``spool_policy`` (``drop_oldest`` or ``refuse_newest``), ``spool_fsync``
(``true``/``false``), ``batch_size``, ``timeout`` (a duration) and ``gzip``.
SQLite options: ``retention`` (a duration: ``90s``, ``15m``, ``12h``, ``30d``
or plain seconds), ``batch_size`` and ``max_bytes``. An unknown option is an
error, so a typo is not silently ignored.

The InfluxDB token is never part of the URL (URLs end up in logs and process
lists): it is read from the environment variable ``WARDEN_INFLUXDB_TOKEN``
(another name can be given) or, with ``token_file=PATH``, from that file.
Nothing here logs it.

Errors: every problem is a :class:`~store.base.StoreError` naming the option.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Final
from urllib.parse import parse_qsl, urlsplit

from store.base import StoreError, TimeSeriesStore
from store.influx import InfluxStore
from store.line_protocol import DEFAULT_MEASUREMENT
from store.spool import SpoolPolicy
from store.sqlite import SqliteStore

TOKEN_ENV: Final = "WARDEN_INFLUXDB_TOKEN"
DEFAULT_SPOOL: Final = Path("var/spool")

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)?\s*$")
_DURATION_UNITS = {None: 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SIZE = re.compile(r"^\s*(\d+)\s*(B|KiB|MiB|GiB|TiB)?\s*$")
_SIZE_UNITS = {None: 1, "B": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}
_SQLITE_OPTIONS = {"retention", "batch_size", "max_bytes"}
_INFLUX_OPTIONS = {
    "org",
    "bucket",
    "token_file",
    "measurement",
    "spool",
    "spool_max_bytes",
    "spool_policy",
    "spool_fsync",
    "batch_size",
    "timeout",
    "gzip",
}
_FORMS = (
    "sqlite:///relative/path.db, sqlite:////absolute/path.db or "
    "influxdb+http(s)://HOST:PORT?org=ORG&bucket=BUCKET"
)


def parse_duration(text: str) -> float:
    """Seconds in ``"90"``, ``"90s"``, ``"15m"``, ``"12h"``, ``"30d"``, ``"2w"``."""
    match = _DURATION.match(text)
    if match is None:
        raise StoreError(f"{text!r} is not a duration such as 90s, 15m, 12h or 30d")
    return float(match[1]) * _DURATION_UNITS[match[2]]


def parse_size(text: str) -> int:
    """Bytes in ``"1048576"``, ``"512MiB"``, ``"2GiB"``."""
    match = _SIZE.match(text)
    if match is None:
        raise StoreError(f"{text!r} is not a size such as 65536, 512MiB or 2GiB")
    return int(match[1]) * _SIZE_UNITS[match[2]]


def _parse_bool(name: str, text: str) -> bool:
    lowered = text.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise StoreError(f"store option {name}={text!r} must be true or false")


def _parse_int(name: str, text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise StoreError(f"store option {name}={text!r} must be a positive integer")
    return number


def read_token(
    *,
    token_file: str | None = None,
    env: str = TOKEN_ENV,
    environ: Mapping[str, str] | None = None,
) -> str:
    """The InfluxDB token from ``token_file`` (surrounding whitespace removed)
    or else from the environment variable ``env``; raises :class:`StoreError`
    saying where it looked, never what it found."""
    if token_file is not None:
        try:
            token = Path(token_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise StoreError(
                f"cannot read the InfluxDB token file {token_file}: {exc.strerror}"
            ) from exc
        if not token:
            raise StoreError(f"the InfluxDB token file {token_file} is empty")
        return token
    token = (os.environ if environ is None else environ).get(env, "").strip()
    if not token:
        raise StoreError(
            f"no InfluxDB token: set the environment variable {env} "
            "or add token_file=PATH to the store URL"
        )
    return token


def store_from_url(
    url: str,
    *,
    token_env: str = TOKEN_ENV,
    environ: Mapping[str, str] | None = None,
) -> TimeSeriesStore:
    """A configured, not yet started store for ``url`` (see the module doc).

    Raises :class:`StoreError` for an unknown scheme, a missing or unknown
    option, or a missing token.
    """
    parts = urlsplit(url)
    options = dict(parse_qsl(parts.query, keep_blank_values=True))
    if "token" in options:
        raise StoreError(
            f"do not put the InfluxDB token in the store URL; set {token_env} "
            "or use token_file=PATH"
        )
    if parts.scheme == "sqlite":
        return _sqlite(parts.netloc, parts.path, options)
    if parts.scheme in ("influxdb+http", "influxdb+https"):
        return _influx(
            parts.scheme.removeprefix("influxdb+"),
            parts.netloc,
            options,
            token_env,
            environ,
        )
    raise StoreError(f"unknown store URL {_redacted(url)!r}; use {_FORMS}")


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"


def _check_options(kind: str, options: Mapping[str, str], allowed: set[str]) -> None:
    unknown = sorted(
        k for k in options if k not in allowed and not k.startswith("tag.")
    )
    if kind == "sqlite":
        unknown += sorted(k for k in options if k.startswith("tag."))
    if unknown:
        raise StoreError(
            f"unknown {kind} store option(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(allowed))}"
        )


def _sqlite(netloc: str, path: str, options: dict[str, str]) -> SqliteStore:
    _check_options("sqlite", options, _SQLITE_OPTIONS)
    if netloc or not path.startswith("/") or path == "/":
        raise StoreError(
            "a SQLite store URL is sqlite:///relative/path.db or "
            "sqlite:////absolute/path.db"
        )
    file = Path(path[1:])
    kwargs: dict[str, int | float] = {}
    if "retention" in options:
        kwargs["retention_s"] = parse_duration(options["retention"])
    if "batch_size" in options:
        kwargs["batch_size"] = _parse_int("batch_size", options["batch_size"])
    if "max_bytes" in options:
        kwargs["max_bytes"] = parse_size(options["max_bytes"])
    return SqliteStore(file, **kwargs)  # type: ignore[arg-type]


def _influx(
    scheme: str,
    netloc: str,
    options: dict[str, str],
    token_env: str,
    environ: Mapping[str, str] | None,
) -> InfluxStore:
    _check_options("influxdb", options, _INFLUX_OPTIONS)
    if not netloc or "@" in netloc:
        raise StoreError("an InfluxDB store URL needs HOST:PORT and no user part")
    missing = [k for k in ("org", "bucket") if not options.get(k)]
    if missing:
        raise StoreError(f"the InfluxDB store URL needs {' and '.join(missing)}=")
    token = read_token(
        token_file=options.get("token_file"), env=token_env, environ=environ
    )
    tags = {
        k.removeprefix("tag."): v for k, v in options.items() if k.startswith("tag.")
    }

    store_options: dict[str, object] = {}
    if "batch_size" in options:
        store_options["batch_size"] = _parse_int("batch_size", options["batch_size"])
    if "timeout" in options:
        store_options["timeout_s"] = parse_duration(options["timeout"])
    if "gzip" in options:
        store_options["gzip"] = _parse_bool("gzip", options["gzip"])
    if "spool_max_bytes" in options:
        store_options["spool_max_bytes"] = parse_size(options["spool_max_bytes"])
    if "spool_fsync" in options:
        store_options["spool_fsync"] = _parse_bool(
            "spool_fsync", options["spool_fsync"]
        )
    if "spool_policy" in options:
        try:
            store_options["spool_policy"] = SpoolPolicy(options["spool_policy"])
        except ValueError as exc:
            raise StoreError(
                f"spool_policy must be drop_oldest or refuse_newest, "
                f"not {options['spool_policy']!r}"
            ) from exc
    return InfluxStore(
        f"{scheme}://{netloc}",
        org=options["org"],
        bucket=options["bucket"],
        token=token,
        spool_dir=Path(options.get("spool", DEFAULT_SPOOL)),
        measurement=options.get("measurement", DEFAULT_MEASUREMENT),
        extra_tags=tags,
        **store_options,  # type: ignore[arg-type]
    )
