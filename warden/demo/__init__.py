"""The demo prison, shipped with the package so an installed ``warden`` finds it.

``site.yaml`` and ``profiles/`` are plain data files next to this module.
"""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def site_path() -> Path:
    """Absolute path of the demo site file (its profiles are beside it)."""
    return _HERE / "site.yaml"
