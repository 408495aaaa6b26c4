"""The durable spool: order, persistence, damage and the full-spool policies."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.spool import Spool, SpoolError, SpoolPolicy
from store.spool_format import HEADER_SIZE, encode_record


def opened(directory: Path, **kwargs: object) -> Spool:
    spool = Spool(directory, **kwargs)  # type: ignore[arg-type]
    spool.open()
    return spool


def drain(spool: Spool) -> list[bytes]:
    payloads = []
    while (record := spool.peek()) is not None:
        payloads.append(record.payload)
        spool.ack(record)
    return payloads


def batch(n: int) -> bytes:
    return f"batch {n} ".encode() * 10


def segment_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.seg"))


def test_batches_come_back_in_order_across_segments(tmp_path: Path) -> None:
    spool = opened(tmp_path, segment_bytes=300)
    for n in range(10):
        assert spool.append(batch(n), count=n + 1)

    assert spool.segments > 2
    assert spool.samples == sum(range(1, 11))
    assert drain(spool) == [batch(n) for n in range(10)]
    assert spool.samples == 0
    assert segment_files(tmp_path) == []
    spool.close()


def test_what_was_not_acknowledged_survives_a_reopen(tmp_path: Path) -> None:
    spool = opened(tmp_path, segment_bytes=300)
    for n in range(6):
        spool.append(batch(n), count=1)
    first = spool.peek()
    assert first is not None
    spool.ack(first)
    spool.close()

    again = opened(tmp_path, segment_bytes=300)

    # At least once: the acknowledged batch may come again, nothing is missing.
    replayed = drain(again)
    assert replayed[-5:] == [batch(n) for n in range(1, 6)]
    assert again.torn == again.corrupt == 0
    again.close()


def test_a_torn_tail_is_cut_and_counted(tmp_path: Path) -> None:
    spool = opened(tmp_path)
    for n in range(3):
        spool.append(batch(n), count=1)
    spool.close()
    [path] = segment_files(tmp_path)
    whole = path.stat().st_size
    with path.open("ab") as f:  # a crash in the middle of a fourth append
        f.write(encode_record(batch(3), 1)[: HEADER_SIZE + 5])

    again = opened(tmp_path)

    assert again.torn == 1
    assert path.stat().st_size == whole
    assert drain(again) == [batch(0), batch(1), batch(2)]
    again.close()


def test_a_torn_header_is_cut_too(tmp_path: Path) -> None:
    spool = opened(tmp_path)
    spool.append(batch(0), count=1)
    spool.close()
    [path] = segment_files(tmp_path)
    with path.open("ab") as f:
        f.write(b"WS\x10")

    again = opened(tmp_path)

    assert (again.torn, again.corrupt) == (1, 0)
    assert drain(again) == [batch(0)]
    again.close()


def record_offsets(spool_dir: Path) -> list[int]:
    spool = opened(spool_dir)
    offsets = [offset for offset, _, _ in spool._segments[0].records]
    spool.close()
    return offsets


@pytest.mark.parametrize("where", ["payload", "length"])
def test_a_corrupt_record_is_skipped_and_the_rest_replayed(
    tmp_path: Path, where: str
) -> None:
    spool = opened(tmp_path)
    for n in range(3):
        spool.append(batch(n), count=1)
    spool.close()
    second = record_offsets(tmp_path)[1]
    [path] = segment_files(tmp_path)
    data = bytearray(path.read_bytes())
    if where == "payload":
        data[second + HEADER_SIZE + 3] ^= 0xFF
    else:
        data[second + 2 : second + 6] = (10**6).to_bytes(4, "little")
    path.write_bytes(bytes(data))

    again = opened(tmp_path)

    assert (again.corrupt, again.torn) == (1, 0)
    assert drain(again) == [batch(0), batch(2)]
    again.close()


def test_damage_after_opening_is_found_when_replaying(tmp_path: Path) -> None:
    spool = opened(tmp_path)
    for n in range(2):
        spool.append(batch(n), count=5)
    [path] = segment_files(tmp_path)
    data = bytearray(path.read_bytes())
    data[HEADER_SIZE] ^= 0xFF
    path.write_bytes(bytes(data))

    replayed = drain(spool)

    assert replayed == [batch(1)]
    assert spool.corrupt == 1
    spool.close()


def test_full_spool_drops_the_oldest_segment(tmp_path: Path) -> None:
    record = len(encode_record(batch(0), 1))
    spool = opened(tmp_path, max_bytes=4 * record, segment_bytes=2 * record)
    for n in range(6):
        assert spool.append(batch(n), count=10)

    assert spool.dropped == 20  # the first segment held batches 0 and 1
    assert spool.bytes <= 4 * record
    assert drain(spool) == [batch(n) for n in range(2, 6)]
    spool.close()


def test_full_spool_can_refuse_the_newest_instead(tmp_path: Path) -> None:
    record = len(encode_record(batch(0), 1))
    spool = opened(
        tmp_path,
        max_bytes=4 * record,
        segment_bytes=2 * record,
        policy=SpoolPolicy.REFUSE_NEWEST,
    )
    accepted = [spool.append(batch(n), count=10) for n in range(6)]

    assert accepted == [True] * 4 + [False] * 2
    assert spool.dropped == 20
    assert drain(spool) == [batch(n) for n in range(4)]
    spool.close()


def test_a_batch_bigger_than_the_spool_is_refused(tmp_path: Path) -> None:
    spool = opened(tmp_path, max_bytes=100, segment_bytes=100)

    assert not spool.append(b"x" * 200, count=7)
    assert spool.dropped == 7
    spool.close()


def test_two_processes_cannot_share_a_spool(tmp_path: Path) -> None:
    first = opened(tmp_path)

    with pytest.raises(SpoolError, match="in use"):
        opened(tmp_path)
    first.close()
    opened(tmp_path).close()


def test_an_unusable_directory_is_a_spool_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")

    with pytest.raises(SpoolError, match="cannot open"):
        opened(blocker / "spool")
