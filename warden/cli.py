"""The ``warden`` command: run, simulate, check, discover.

Exit codes: 0 success, 1 runtime failure (for ``discover``: links missing or
unexpected), 2 invalid site file or arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from api.auth import TokenError
from simulators.errors import SimulatorStartError
from store.base import StoreError
from topology.loader import SiteError

log = logging.getLogger("warden")


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is not in 0-65535")
    return port


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="warden", description="Live digital twin of a secure facility."
    )
    parser.add_argument("-v", "--verbose", action="count", default=0)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the platform for a site")
    source = run.add_mutually_exclusive_group(required=True)
    source.add_argument("--site", type=Path, help="site file (YAML)")
    source.add_argument(
        "--demo",
        action="store_true",
        help="the demo prison, with its simulated devices started in this process",
    )
    run.add_argument("--host", default="127.0.0.1", help="API address")
    run.add_argument("--port", type=_port, default=8000, help="API port (0 = any)")
    run.add_argument(
        "--store",
        default=None,
        help="time-series store URL (default: $WARDEN_STORE_URL, else "
        "sqlite:///var/warden.db)",
    )
    run.add_argument(
        "--no-simulators",
        action="store_true",
        help="with --demo: poll the demo site's devices simulated elsewhere "
        "(warden simulate --demo)",
    )
    run.add_argument(
        "--free-ports",
        action="store_true",
        help="with --demo: simulated devices listen on free ports, not the site's",
    )

    simulate = commands.add_parser("simulate", help="simulate a site's devices")
    target = simulate.add_mutually_exclusive_group(required=True)
    target.add_argument("site", type=Path, nargs="?", help="site file (YAML)")
    target.add_argument("--demo", action="store_true", help="the demo prison")
    simulate.add_argument(
        "--control-port", type=_port, default=8100, help="control interface port"
    )

    simulate.add_argument("--scenario", type=Path, help="scenario file to play")

    check = commands.add_parser("check", help="validate a site file")
    check.add_argument("site", type=Path)

    discover = commands.add_parser(
        "discover", help="compare a site's declared links with what its switches see"
    )
    discover.add_argument("site", type=Path)
    commands.add_parser(
        "bench",
        help="benchmark the Modbus path against a bare pymodbus loop "
        "(options: warden bench -- --help)",
        add_help=False,
    )
    return parser


def _configure_logging(verbosity: int) -> None:
    level = logging.DEBUG if verbosity > 1 else logging.INFO
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if verbosity < 2:
        for noisy in ("pymodbus", "asyncua", "pysnmp", "uvicorn.error"):
            logging.getLogger(noisy).setLevel(logging.WARNING)


def _check(site: Path) -> int:
    from topology.check import check_site

    problems = check_site(site)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{site}: {len(problems)} problem(s)", file=sys.stderr)
        return 2
    print(f"{site}: ok")
    return 0


async def _main(args: argparse.Namespace) -> int:
    from warden import commands

    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    assert main is not None
    with contextlib.suppress(NotImplementedError):
        loop.add_signal_handler(signal.SIGTERM, main.cancel)
    if args.command == "run":
        await commands.run(args)
    elif args.command == "simulate":
        await commands.simulate(args)
    elif args.command == "discover":
        return await commands.discover(args)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["bench"]:
        from bench.modbus import main as bench

        rest = argv[1:]
        return bench(rest[1:] if rest[:1] == ["--"] else rest)
    args = _parser().parse_args(argv)
    _configure_logging(args.verbose)
    try:
        if args.command == "check":
            return _check(args.site)
        return asyncio.run(_main(args))
    except SiteError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 2
    except (TokenError, StoreError) as exc:
        print(f"warden: {exc}", file=sys.stderr)
        return 2
    except SimulatorStartError as exc:
        hint = (
            " (with --demo, --free-ports picks free ones)"
            if args.command == "run"
            else ""
        )
        print(f"warden: {exc}{hint}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, asyncio.CancelledError):
        log.info("stopped")
        return 0
    except OSError as exc:
        log.error("%s", exc)
        return 1


if __name__ == "__main__":
    sys.exit(main())
