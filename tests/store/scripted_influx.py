"""A scripted stand-in for an InfluxDB write endpoint, for unit tests of what
the store does with each kind of answer (the real-server tests use
victoria-metrics, which cannot be told to answer 429 or 400 on demand)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Request:
    target: str
    headers: dict[str, str]
    lines: list[str]
    at: float  # event loop time when it arrived


# Given a request's lines, the status and extra headers to answer with.
Script = Callable[[list[str]], tuple[int, dict[str, str]]]


def always_ok(lines: list[str]) -> tuple[int, dict[str, str]]:
    return 204, {}


class ScriptedInflux:
    """An HTTP/1.1 server on a loopback port answering each request by ``script``.
    Every request (the answered ones too) is kept in ``requests``."""

    def __init__(self, script: Script = always_ok) -> None:
        self.script = script
        self.requests: list[Request] = []
        self.url = ""
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def accepted_lines(self) -> list[str]:
        """Lines of the requests answered 2xx, in arrival order."""
        return [
            line
            for request, status in zip(self.requests, self.statuses, strict=True)
            if 200 <= status < 300
            for line in request.lines
        ]

    async def start(self) -> None:
        self.statuses: list[int] = []
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for writer in list(self._writers):
            writer.close()
        if self._handlers:
            await asyncio.wait(self._handlers)

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self._writers.add(writer)
        try:
            while await self._answer_one(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            self._handlers.discard(task)
            writer.close()

    async def _answer_one(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        request_line = await reader.readline()
        if not request_line:
            return False
        headers: dict[str, str] = {}
        while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        lines = body.decode().split("\n") if body else []
        target = request_line.decode("latin-1").split(" ")[1]
        self.requests.append(
            Request(target, headers, lines, asyncio.get_running_loop().time())
        )

        status, extra = self.script(lines)
        self.statuses.append(status)
        payload = (
            b""
            if status == 204
            else json.dumps(
                {"code": "scripted", "message": f"scripted answer {status}"}
            ).encode()
        )
        head = [f"HTTP/1.1 {status} Scripted", f"Content-Length: {len(payload)}"]
        if payload:
            head.append("Content-Type: application/json")
        head += [f"{k}: {v}" for k, v in extra.items()]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
        await writer.drain()
        return True
