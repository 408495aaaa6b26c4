"""What each ``warden`` sub-command does, once its arguments are parsed."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from simulators.runner import start_simulators
from store.base import TimeSeriesStore
from store.factory import store_from_url
from topology.loader import LoadedSite, load_site, with_endpoints
from warden.demo import site_path as demo_site_path
from warden.runtime import running_platform

log = logging.getLogger(__name__)

DEFAULT_STORE = "sqlite:///var/warden.db"


@contextlib.asynccontextmanager
async def _site_for_run(args: argparse.Namespace) -> AsyncIterator[LoadedSite]:
    """The site to run; with ``--demo``, its simulators run for as long as it does."""
    if not args.demo:
        yield load_site(args.site)
        return
    site = load_site(demo_site_path())
    async with start_simulators(site) as sims:
        log.info(
            "simulating %d devices of %s", len(sims.endpoints), site.site.site.name
        )
        yield with_endpoints(site, sims.endpoints)


async def run(args: argparse.Namespace) -> None:
    store: TimeSeriesStore = store_from_url(args.store or DEFAULT_STORE)
    async with (
        _site_for_run(args) as site,
        running_platform(site, store, host=args.host, port=args.port) as platform,
    ):
        print(
            f"warden: {site.site.site.name}: {len(site.site.doors)} doors, "
            f"{len(site.site.devices)} devices"
        )
        print(f"warden: API {platform.url}/api/v1  docs {platform.url}/api/docs")
        print("warden: press Ctrl-C to stop")
        await asyncio.Event().wait()


async def simulate(args: argparse.Namespace) -> None:
    from simulators.cli import simulate as run_simulators

    await run_simulators(
        Path(args.site),
        control_port=args.control_port,
        scenario=args.scenario,
        stop=None,
    )


async def discover(args: argparse.Namespace) -> int:
    """Print how the site's links compare with the switches' neighbour tables;
    1 when a link is missing or something unexpected is seen."""
    from drivers.snmp.discovery import discover_site
    from topology.discovery import MATCHING, MISSING, UNEXPECTED, UNVERIFIED

    report = await discover_site(load_site(args.site))
    for line in report.lines():
        print(line)
    counts = {s: len(report.of(s)) for s in (MATCHING, MISSING, UNEXPECTED, UNVERIFIED)}
    print(", ".join(f"{count} {status}" for status, count in counts.items()))
    return 0 if report.consistent else 1
