"""The warden command as a user runs it: a real process, real signals."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from topology.loader import load_site
from topology.site import Protocol
from warden.cli import main
from warden.demo import site_path


def test_check_accepts_the_demo_site(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(site_path())]) == 0
    assert capsys.readouterr().out.strip().endswith(": ok")


def test_check_names_file_line_and_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site.yaml"
    site.write_text(
        "site: {id: s, name: S}\n"
        "spaces:\n"
        "  - {id: yard, kind: yard}\n"
        "  - {id: yard, kind: cell}\n",
        encoding="utf-8",
    )

    assert main(["check", str(site)]) == 2
    out = capsys.readouterr().out
    assert f"{site}:4:" in out and "yard" in out


def _read_until(stream: object, pattern: str, deadline: float) -> re.Match[str]:
    assert hasattr(stream, "readline")
    seen = []
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            break
        seen.append(line)
        match = re.search(pattern, line)
        if match:
            return match
    raise AssertionError(f"no line matched {pattern!r}; got: {''.join(seen)}")


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_demo_runs_and_stops_cleanly_on_a_signal(
    tmp_path: Path, stop: signal.Signals
) -> None:
    db = tmp_path / "demo.db"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "warden",
            "run",
            "--demo",
            "--free-ports",
            "--port",
            "0",
            "--store",
            f"sqlite:///{db}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        url = _read_until(
            process.stdout,
            r"API (http://127\.0\.0\.1:\d+)/api/v1",
            time.monotonic() + 30,
        ).group(1)
        deadline = time.monotonic() + 20
        while True:
            with urllib.request.urlopen(f"{url}/api/v1/health", timeout=5) as response:
                health = json.load(response)
            settled = health["doors"].get("secure") == 95 and set(
                health["devices"]
            ) == {"online"}
            if settled or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert health["doors"] == {"secure": 95}

        process.send_signal(stop)
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert process.returncode == 0, err
    assert "Traceback" not in err
    site = load_site(site_path())
    polled = [
        d for d in site.site.devices if d.protocol in (Protocol.MODBUS, Protocol.OPCUA)
    ]
    points = sum(
        len(site.profile_for(d.id).points)
        for d in polled
        if d.protocol is Protocol.MODBUS
    ) + sum(
        len(site.opcua_profile_for(d.id).points)
        for d in polled
        if d.protocol is Protocol.OPCUA
    )
    # Switches add their interfaces' series: count the other devices' only.
    controllers = [d.id for d in polled]
    marks = ",".join("?" * len(controllers))
    connection = sqlite3.connect(db)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        (series,) = connection.execute(
            f"SELECT count(*) FROM series WHERE device IN ({marks})", controllers
        ).fetchone()
        (samples,) = connection.execute("SELECT count(*) FROM samples").fetchone()
    finally:
        connection.close()
    assert series == points  # every point polled at least once reached the file
    assert samples >= points
