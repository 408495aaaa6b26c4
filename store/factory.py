"""Choosing a store back-end from a URL such as ``sqlite:///var/warden.db``."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from store.base import StoreError, TimeSeriesStore
from store.sqlite import SqliteStore


def store_from_url(url: str) -> TimeSeriesStore:
    """Build the store a URL names. ``sqlite:///relative.db`` and
    ``sqlite:////absolute/path.db`` give the embedded store; the parent folder is
    created. Raises :class:`StoreError` for any other scheme or a missing path."""
    parts = urlsplit(url)
    if parts.scheme != "sqlite":
        raise StoreError(f"unsupported store URL {url!r}: expected sqlite:///PATH")
    path = parts.path.removeprefix("/")
    if not path:
        raise StoreError(f"store URL {url!r} names no file: use sqlite:///PATH")
    file = Path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    return SqliteStore(file)
