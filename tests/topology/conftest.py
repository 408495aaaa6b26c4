"""Fixtures for topology tests: small site files written to a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.topology.files import PROFILE, SITE, WriteSite


@pytest.fixture
def write_site(tmp_path: Path) -> WriteSite:
    """Write a site file (and its profile) to tmp_path; return the site path."""

    def write(site: str = SITE, profile: str | None = PROFILE) -> Path:
        if profile is not None:
            (tmp_path / "profiles").mkdir(exist_ok=True)
            (tmp_path / "profiles" / "dc.yaml").write_text(profile, encoding="utf-8")
        path = tmp_path / "site.yaml"
        path.write_text(site, encoding="utf-8")
        return path

    return write
