"""Shared pieces for the OPC UA and perimeter tests: a processor profile, a small
site around it, a sample sink that can be waited on, and a task-leak check for
tests that share one event loop per module."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import pytest

from topology.profile_opcua import OpcUaProfile
from topology.sample import DeviceHealth, Sample
from topology.site import Device, SiteFile

URI = "urn:acme:pids:v2"


def perimeter_profile(
    segments: int = 4, *, uri: str = URI, extra: Sequence[dict[str, Any]] = ()
) -> OpcUaProfile:
    """A processor with ``segments`` channels (alarm, tamper, fault, signal),
    a heartbeat (sampled apart, so a session has two subscriptions), a health
    flag and a writable relay output."""
    points: list[dict[str, Any]] = []
    for number in range(1, segments + 1):
        zone = f"Zone{number:02d}"
        points += [
            {"name": f"z{number}_alarm", "node": f"nsu={uri};s={zone}.Alarm"},
            {"name": f"z{number}_tamper", "node": f"nsu={uri};s={zone}.Tamper"},
            {"name": f"z{number}_fault", "node": f"nsu={uri};s={zone}.Fault"},
            {
                "name": f"z{number}_signal",
                "node": f"nsu={uri};s={zone}.Signal",
                "data_type": "float32",
                "unit": "%",
            },
        ]
    points += [
        {"name": "heartbeat", "node": f"nsu={uri};s=Processor.Heartbeat"}
        | {"data_type": "uint32", "sampling_interval_s": 0.5},
        {"name": "health", "node": f"nsu={uri};s=Processor.Healthy"},
        {"name": "relay", "node": f"nsu={uri};s=Outputs.Relay1", "writable": True},
        *extra,
    ]
    return OpcUaProfile.model_validate(
        {
            "id": "pids",
            "vendor": "Acme",
            "model": "PIDS-8",
            "sampling_interval_s": 0.05,
            "points": points,
        }
    )


def perimeter_site(
    segments: int = 4,
    *,
    device: str = "PP-1",
    port: int = 0,
    endpoint: dict[str, Any] | None = None,
) -> SiteFile:
    """A site with one OPC UA processor ``device`` watching an outer fence of
    ``segments`` segments, two cameras and a perimeter zone."""
    return SiteFile.model_validate(
        {
            "site": {"id": "test", "name": "Test prison"},
            "spaces": [
                {"id": "grounds", "kind": "site"},
                {"id": "perimeter", "kind": "zone", "parent": "grounds"},
            ],
            "devices": [
                {
                    "id": device,
                    "kind": "perimeter_processor",
                    "protocol": "opcua",
                    "profile": "pids",
                    "endpoint": endpoint or {"url": f"opc.tcp://127.0.0.1:{port}/p"},
                    "timeout_s": 2.0,
                },
                {"id": "CAM-1", "kind": "camera", "protocol": "none"},
                {"id": "CAM-2", "kind": "camera", "protocol": "none"},
            ],
            "fence_segments": [
                {
                    "id": f"OF-{n:02d}",
                    "fence": "outer",
                    "zone": "perimeter",
                    "bindings": {
                        "alarm": f"{device}/z{n}_alarm",
                        "tamper": f"{device}/z{n}_tamper",
                        "fault": f"{device}/z{n}_fault",
                        "signal": f"{device}/z{n}_signal",
                    },
                    "cameras": ["CAM-1" if n % 2 else "CAM-2"],
                }
                for n in range(1, segments + 1)
            ],
        }
    )


def device_at(site: SiteFile, device_id: str, port: int) -> Device:
    """``device_id`` of ``site`` with its endpoint moved to ``port``."""
    device = next(d for d in site.devices if d.id == device_id)
    assert device.endpoint is not None
    endpoint = device.endpoint.model_copy(update={"port": port})
    return device.model_copy(update={"endpoint": endpoint})


class RecordingSink:
    """Keeps every sample and health update; tests wait on what they expect."""

    def __init__(self) -> None:
        self.samples: list[Sample] = []
        self.health: list[DeviceHealth] = []
        self._changed = asyncio.Event()

    def publish_samples(self, samples: Sequence[Sample]) -> None:
        self.samples.extend(samples)
        self._changed.set()

    def publish_health(self, health: DeviceHealth) -> None:
        self.health.append(health)
        self._changed.set()

    def of(self, point: str) -> list[Sample]:
        return [s for s in self.samples if s.point == point]

    async def wait_for(
        self,
        predicate: Callable[[Sample], bool],
        *,
        after: int = 0,
        within: float = 5.0,
    ) -> Sample:
        """The first sample from index ``after`` on that satisfies ``predicate``,
        waiting up to ``within`` seconds for it to arrive."""
        async with asyncio.timeout(within):
            while True:
                for sample in self.samples[after:]:
                    if predicate(sample):
                        return sample
                after = len(self.samples)
                self._changed.clear()
                await self._changed.wait()

    async def wait_health(
        self, predicate: Callable[[DeviceHealth], bool], *, within: float = 5.0
    ) -> DeviceHealth:
        async with asyncio.timeout(within):
            while True:
                for health in self.health:
                    if predicate(health):
                        return health
                self._changed.clear()
                await self._changed.wait()


async def check_no_leaked_tasks() -> AsyncIterator[None]:
    """The body of the leaked-task check, for modules whose tests share a
    module-wide event loop: the root fixture runs in a function-scoped loop and
    would not see their tasks, so such a module defines its own fixture. Tasks
    that end within a second of the test (a server closing a connection the test
    dropped) are not counted."""
    before = asyncio.all_tasks()
    yield
    current = asyncio.current_task()
    leaked = [
        t for t in asyncio.all_tasks() - before if t is not current and not t.done()
    ]
    if leaked:
        # An in-process server notices a closed connection a few loop turns
        # later; give such teardown a moment before calling it a leak.
        await asyncio.wait(leaked, timeout=1.0)
        leaked = [t for t in leaked if not t.done()]
    if leaked:
        for task in leaked:
            task.cancel()
        await asyncio.gather(*leaked, return_exceptions=True)
        names = ", ".join(sorted(t.get_name() for t in leaked))
        pytest.fail(f"test left {len(leaked)} task(s) running: {names}")
