"""The benchmark measures what it says: its site and polls drive real doors."""

from __future__ import annotations

from twin.bench import make_poll, run, synthetic_site
from twin.model import Twin


def test_synthetic_site_and_polls_drive_the_doors() -> None:
    twin = Twin(synthetic_site(40))
    assert len(twin.nodes("door")) == 40
    assert len(twin.nodes("device")) == 3

    for batch in make_poll(40, set(), 0.0):
        twin.publish_samples(batch)
    assert {n.state["status"] for n in twin.nodes("door")} == {"secure"}

    for batch in make_poll(40, {(33, "closed")}, 0.0):
        twin.publish_samples(batch)
    assert twin.node("D33").state["status"] == "forced_open"
    assert twin.node("U1").state["status"] == "breach"
    assert twin.stats()["samples"] == 2 * 40 * 4


def test_run_reports_each_load() -> None:
    results = run(doors=20, rounds=2)

    assert [load for load, _, _ in results] == ["steady", "1%", "all"]
    assert all(rate > 0 and baseline > 0 for _, rate, baseline in results)
