"""What each ``warden`` sub-command does, once its arguments are parsed."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

from api.auth import Role, Tokens, User
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
    if args.no_simulators:
        yield site
        return
    if args.free_ports:
        site = with_endpoints(
            site,
            {
                d.id: d.endpoint.model_copy(update={"port": 0})
                for d in site.site.devices
                if d.endpoint is not None
            },
        )
    async with start_simulators(site) as sims:
        log.info(
            "simulating %d devices of %s", len(sims.endpoints), site.site.site.name
        )
        yield with_endpoints(site, sims.endpoints)


def _tokens(demo: bool) -> tuple[Tokens, str | None]:
    """Configured tokens; for the demo without any, a fresh operator token."""
    tokens = Tokens.from_environment()
    if tokens.entries or not demo:
        return tokens, None
    token = secrets.token_urlsafe(24)
    return Tokens(((token, User("demo-operator", Role.OPERATOR)),)), token


async def run(args: argparse.Namespace) -> None:
    url = args.store or os.environ.get("WARDEN_STORE_URL") or DEFAULT_STORE
    store: TimeSeriesStore = store_from_url(url)
    tokens, demo_token = _tokens(args.demo)
    async with (
        _site_for_run(args) as site,
        running_platform(
            site, store, host=args.host, port=args.port, tokens=tokens
        ) as platform,
    ):
        print(
            f"warden: {site.site.site.name}: {len(site.site.doors)} doors, "
            f"{len(site.site.devices)} devices"
        )
        print(f"warden: API {platform.url}/api/v1  docs {platform.url}/api/docs")
        print(f"warden: operators' page {platform.url}/")
        if demo_token is not None:
            print(f"warden: demo operator token (for door commands): {demo_token}")
        print("warden: press Ctrl-C to stop")
        await platform.wait()


async def simulate(args: argparse.Namespace) -> None:
    from simulators.cli import simulate as run_simulators

    await run_simulators(
        demo_site_path() if args.demo else Path(args.site),
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
