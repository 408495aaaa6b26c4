"""Recorded SNMP walks in the snmpsim ``.snmprec`` format.

One variable per line, ``OID|TYPE|VALUE``: TYPE is the ASN.1 tag number of the
value's type (2 Integer32, 4 OCTET STRING, 5 NULL, 6 OBJECT IDENTIFIER,
64 IpAddress, 65 Counter32, 66 Gauge32, 67 TimeTicks, 68 Opaque,
70 Counter64). A type followed by ``x`` (``4x``) carries the value in hex,
used for binary strings such as MAC addresses. Blank lines and lines starting
with ``#`` are ignored. snmpsim's variation modules (``2:numeric``) are not
supported and are reported as errors.

:func:`record_walk` makes such a file from any agent, so a walk of a real
switch can stand in for a simulated one::

    python -m simulators.snmprec --port 1161 --community public \\
        --out switch.snmprec 1.3.6.1.2.1.1 1.3.6.1.2.1.2 1.3.6.1.2.1.31
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from pyasn1.type import univ
from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    bulk_cmd,
)
from pysnmp.proto import rfc1902, rfc1905

Oid = tuple[int, ...]

_TYPES: dict[int, Callable[[Any], Any]] = {
    2: rfc1902.Integer32,
    4: rfc1902.OctetString,
    5: lambda _: univ.Null(""),
    6: rfc1902.ObjectIdentifier,
    64: rfc1902.IpAddress,
    65: rfc1902.Counter32,
    66: rfc1902.Gauge32,
    67: rfc1902.TimeTicks,
    68: rfc1902.Opaque,
    70: rfc1902.Counter64,
}
_INTEGER_TAGS = {2, 65, 66, 67, 70}
_BYTES_TAGS = {4, 64, 68}


def parse_snmprec(text: str, source: str = "<snmprec>") -> dict[Oid, Any]:
    """Values by OID from ``.snmprec`` text.

    Raises ``ValueError`` with ``source:line`` for a malformed line, an
    unknown type, or an OID given twice.
    """
    values: dict[Oid, Any] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{source}:{number}"
        try:
            oid_text, tag_text, value_text = line.split("|", 2)
        except ValueError:
            raise ValueError(f"{where}: expected OID|TYPE|VALUE") from None
        oid = _parse_oid(oid_text, where)
        if oid in values:
            raise ValueError(f"{where}: OID {oid_text} appears twice")
        values[oid] = _parse_value(tag_text.strip(), value_text, where)
    return values


def read_snmprec(path: str | Path) -> dict[Oid, Any]:
    """Values by OID from a ``.snmprec`` file (see :func:`parse_snmprec`)."""
    file = Path(path)
    return parse_snmprec(file.read_text(encoding="utf-8"), str(file))


def _parse_oid(text: str, where: str) -> Oid:
    try:
        oid = tuple(int(arc) for arc in text.strip().lstrip(".").split("."))
    except ValueError:
        raise ValueError(f"{where}: bad OID {text!r}") from None
    if len(oid) < 2 or any(arc < 0 for arc in oid):
        raise ValueError(f"{where}: bad OID {text!r}")
    return oid


def _parse_value(tag_text: str, value_text: str, where: str) -> Any:
    hex_encoded = tag_text.endswith("x")
    tag_digits = tag_text[:-1] if hex_encoded else tag_text
    if not tag_digits.isdigit() or int(tag_digits) not in _TYPES:
        raise ValueError(f"{where}: unsupported type {tag_text!r}")
    tag = int(tag_digits)
    make = _TYPES[tag]
    try:
        if hex_encoded:
            if tag not in _BYTES_TAGS:
                raise ValueError(f"hex is only for string types, not {tag}")
            return make(bytes.fromhex(value_text))
        if tag in _INTEGER_TAGS:
            return make(int(value_text))
        if tag in _BYTES_TAGS and tag != 64:
            return make(value_text.encode("utf-8"))
        return make(value_text)
    except Exception as exc:
        # pyasn1 raises its own errors for out-of-range values.
        raise ValueError(f"{where}: bad value {value_text!r}: {exc}") from exc


def format_snmprec(values: Iterable[tuple[Oid, Any]]) -> str:
    """``.snmprec`` text for ``values`` (pysnmp objects), sorted by OID.

    Strings that are printable text on one line are written as text, others
    in hex. Raises ``ValueError`` for a type the format cannot hold.
    """
    lines = []
    for oid, value in sorted(values, key=lambda item: item[0]):
        tag, text = _format_value(value)
        lines.append(f"{'.'.join(map(str, oid))}|{tag}|{text}")
    return "\n".join(lines) + "\n"


def _format_value(value: Any) -> tuple[str, str]:
    for tag, cls in (
        (70, rfc1902.Counter64),
        (65, rfc1902.Counter32),
        (66, rfc1902.Gauge32),
        (67, rfc1902.TimeTicks),
        (64, rfc1902.IpAddress),
        (68, rfc1902.Opaque),
    ):
        if isinstance(value, cls):
            if tag == 64:
                return "64", value.prettyPrint()
            if tag == 68:
                return "68x", bytes(value).hex()
            return str(tag), str(int(value))
    if isinstance(value, univ.Integer):
        return "2", str(int(value))
    if isinstance(value, univ.ObjectIdentifier):
        return "6", ".".join(map(str, tuple(value)))
    if isinstance(value, univ.Null):
        raise ValueError("a NULL or exception value cannot be recorded")
    if isinstance(value, univ.OctetString):
        data = bytes(value)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return "4x", data.hex()
        if text.isprintable():
            return "4", text
        return "4x", data.hex()
    raise ValueError(f"cannot record a {type(value).__name__}")


async def record_walk(
    host: str,
    port: int,
    community: str,
    roots: Sequence[Oid],
    *,
    timeout_s: float = 2.0,
    retries: int = 1,
    max_rows: int = 100_000,
) -> list[tuple[Oid, Any]]:
    """Walk ``roots`` of a v2c agent with GETBULK; returns (OID, value) pairs.

    Stops each root at its end, at endOfMibView, or with ``RuntimeError`` if
    the agent returns an OID that does not increase or sends more than
    ``max_rows`` rows (an agent that loops).
    """
    snmp_engine = SnmpEngine()
    found: list[tuple[Oid, Any]] = []
    try:
        target = await UdpTransportTarget.create(
            (host, port), timeout=timeout_s, retries=retries
        )
        auth = CommunityData(community)
        for root in roots:
            cursor = root
            while len(found) < max_rows:
                error, status, _, var_binds = await bulk_cmd(
                    snmp_engine,
                    auth,
                    target,
                    ContextData(),
                    0,
                    25,
                    ObjectType(ObjectIdentity(cursor)),
                    lookupMib=False,
                )
                if error or status:
                    raise RuntimeError(
                        f"walk of {host}:{port} failed: {error or status}"
                    )
                done = not var_binds
                for name, value in var_binds:
                    oid = tuple(name)
                    if (
                        isinstance(value, rfc1905.EndOfMibView)
                        or oid[: len(root)] != root
                    ):
                        done = True
                        break
                    if oid <= cursor:
                        raise RuntimeError(f"agent returned {oid} after {cursor}")
                    found.append((oid, value))
                    cursor = oid
                if done:
                    break
            else:
                raise RuntimeError(f"more than {max_rows} rows: the agent loops?")
    finally:
        snmp_engine.close_dispatcher()
    return found


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Record an SNMP walk as .snmprec")
    parser.add_argument("roots", nargs="+", help="OID subtrees to walk")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=161)
    parser.add_argument("--community", default="public")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    roots = [tuple(int(a) for a in r.strip(".").split(".")) for r in args.roots]
    values = asyncio.run(record_walk(args.host, args.port, args.community, roots))
    args.out.write_text(format_snmprec(values), encoding="utf-8")


if __name__ == "__main__":
    main()
