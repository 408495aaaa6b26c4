"""What ``warden check SITE`` runs: every problem of a site file, without raising."""

from __future__ import annotations

from pathlib import Path

from topology.loader import load_site
from topology.problems import Problem, SiteError


def check_site(path: str | Path) -> list[Problem]:
    """Every problem in the site file at ``path`` and the profiles it lists.

    An empty list means the site loads. Problems are ordered as
    :func:`topology.loader.load_site` reports them (site file first, by line).
    """
    try:
        load_site(path)
    except SiteError as exc:
        return list(exc.problems)
    return []
