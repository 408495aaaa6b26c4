"""What ``warden simulate SITE`` runs: every simulated device of a site, the
control interface and, optionally, a scenario, until stopped.

The command line parses its arguments and calls :func:`simulate`; tests and
embedders that already hold a :class:`LoadedSite` call :func:`simulate_site`.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from simulators.control import ControlServer, serve_control
from simulators.errors import SimulatorError
from simulators.runner import SimulatorSet
from simulators.scenario import Scenario, check_scenario, load_scenario, run_scenario
from topology.loader import LoadedSite, load_site

logger = logging.getLogger(__name__)

ReadyCallback = Callable[[SimulatorSet, ControlServer], None]


async def simulate(
    site_path: Path,
    *,
    control_port: int,
    scenario: Path | None,
    stop: asyncio.Event | None,
) -> None:
    """Simulate the site in ``site_path`` until ``stop`` is set or the task is
    cancelled.

    Prints one line per simulated device (id, protocol, host:port, unit) and the
    control interface's URL. ``control_port`` 0 picks a free port. Raises
    :class:`topology.loader.SiteError` for an invalid site file,
    :class:`ScenarioError` for an invalid scenario (both before anything
    starts) and :class:`SimulatorStartError` when a port is taken.
    """
    site = load_site(site_path)
    plan = load_scenario(scenario) if scenario is not None else None
    await simulate_site(
        site,
        control_port=control_port,
        scenario=plan,
        scenario_path=scenario,
        stop=stop,
    )


async def simulate_site(
    site: LoadedSite,
    *,
    control_port: int = 0,
    scenario: Scenario | None = None,
    scenario_path: Path | None = None,
    stop: asyncio.Event | None = None,
    out: TextIO | None = None,
    on_ready: ReadyCallback | None = None,
) -> None:
    """Like :func:`simulate` for a site already loaded.

    ``out`` receives the endpoint lines (standard output by default) and
    ``on_ready`` is called once everything listens. A scenario that fails while
    running is logged; the devices keep running until stopped.
    """
    sims = SimulatorSet(site)
    if scenario is not None:
        check_scenario(scenario, sims, scenario_path)
    stream = out if out is not None else sys.stdout

    async with sims, serve_control(sims, port=control_port) as control:
        for device_id, endpoint in sims.endpoints.items():
            protocol = site.device(device_id).protocol
            print(
                f"{device_id:<12} {protocol:<7} {endpoint.host}:{endpoint.port}"
                f"  unit {endpoint.unit_id}",
                file=stream,
                flush=True,
            )
        print(f"{'control':<12} http   {control.url}", file=stream, flush=True)
        if on_ready is not None:
            on_ready(sims, control)

        async with asyncio.TaskGroup() as group:
            if scenario is not None:
                playing = group.create_task(_play(scenario, sims), name="scenario")
            else:
                playing = None
            await (stop.wait() if stop is not None else asyncio.Future[None]())
            if playing is not None:
                playing.cancel()


async def _play(scenario: Scenario, sims: SimulatorSet) -> None:
    try:
        await run_scenario(scenario, sims)
    except SimulatorError:
        logger.exception("scenario %s stopped", scenario.name or "(unnamed)")
    else:
        logger.info("scenario %s finished", scenario.name or "(unnamed)")
