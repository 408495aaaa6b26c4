"""Debian's net-snmp agent (``snmpd``) run from a test, on a free loopback port.

The agent gets its own configuration and state directory under the test's
``tmp_path`` and never reads the system's. It logs to its stdout, which a task
drains so the pipe never fills.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

SNMPD = shutil.which("snmpd") or "/usr/sbin/snmpd"
COMMUNITY = "public"
V3_USERS = {
    # user: (auth protocol, auth key, priv protocol, priv key), net-snmp spelling
    "warden": ("SHA", "auth-secret-1", "AES", "priv-secret-1"),
    "warden256": ("SHA-256", "auth-secret-2", "AES", "priv-secret-2"),
}


def require_snmpd() -> None:
    if not Path(SNMPD).is_file():
        pytest.skip("snmpd is not installed (apt-get install -y snmpd snmp)")


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Snmpd:
    """One snmpd process; :meth:`restart` keeps its port and state directory."""

    def __init__(self, directory: Path, trap_lines: Sequence[str] = ()) -> None:
        self.directory = directory
        self.port = free_udp_port()
        self.config = directory / "snmpd.conf"
        state = directory / "state"
        state.mkdir(parents=True, exist_ok=True)
        users = [
            f'createUser {user} {auth} "{auth_key}" {priv} "{priv_key}"'
            for user, (auth, auth_key, priv, priv_key) in V3_USERS.items()
        ]
        self.config.write_text(
            "\n".join(
                [
                    "[snmp] mibs :",
                    f"[snmp] persistentDir {state}",
                    "dontLogTCPWrappersConnects yes",
                    # A fixed engine id, as switches keep theirs across reboots.
                    "engineID warden-snmpd-test",
                    f"rocommunity {COMMUNITY} 127.0.0.1",
                    *users,
                    *(f"rouser {user} priv" for user in V3_USERS),
                    "sysName warden-snmpd",
                    "sysLocation test rack",
                    "sysContact network team",
                    *trap_lines,
                    "",
                ]
            ),
            encoding="utf-8",
        )
        # For the net-snmp command-line tools run against this agent.
        (directory / "snmp.conf").write_text("mibs :\n", encoding="utf-8")
        self._env = {"SNMPCONFPATH": str(directory), "SNMP_PERSISTENT_DIR": str(state)}
        self._process: asyncio.subprocess.Process | None = None
        self._drain: asyncio.Task[None] | None = None
        self.log: list[str] = []

    @property
    def env(self) -> dict[str, str]:
        """Environment for net-snmp tools: this directory's config, no MIBs."""
        return dict(self._env)

    async def start(self) -> None:
        process = await asyncio.create_subprocess_exec(
            SNMPD,
            "-f",
            "-Lo",
            "-I",
            "-smux",
            "-C",
            "-c",
            str(self.config),
            f"udp:127.0.0.1:{self.port}",
            env=self._env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        self._process = process
        assert process.stdout is not None
        async with asyncio.timeout(10):
            # snmpd prints its version once it has opened its ports.
            while True:
                line = (await process.stdout.readline()).decode(errors="replace")
                if not line:
                    raise RuntimeError(f"snmpd exited: {''.join(self.log)}")
                self.log.append(line)
                if "NET-SNMP version" in line:
                    break
        self._drain = asyncio.create_task(self._read(process), name="snmpd-log")

    async def _read(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        while line := await process.stdout.readline():
            self.log.append(line.decode(errors="replace"))

    async def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            process.terminate()
            try:
                async with asyncio.timeout(5):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()
        drain, self._drain = self._drain, None
        if drain is not None:
            drain.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await drain

    async def restart(self) -> None:
        await self.stop()
        await self.start()


@contextlib.asynccontextmanager
async def running_snmpd(
    directory: Path, trap_lines: Sequence[str] = ()
) -> AsyncIterator[Snmpd]:
    """Start snmpd for the block (skips the test when snmpd is missing)."""
    require_snmpd()
    agent = Snmpd(directory, trap_lines)
    await agent.start()
    try:
        yield agent
    finally:
        await agent.stop()
