"""Files built to crash or exhaust the loader get a plain problem instead."""

from __future__ import annotations

from pathlib import Path

from topology.check import check_site


def test_nested_aliases_stop_at_a_bound(tmp_path: Path) -> None:
    lines = ['l0: &l0 ["x","x","x","x","x","x","x","x","x","x"]']
    for level in range(1, 9):
        refs = ",".join([f"*l{level - 1}"] * 10)
        lines.append(f"l{level}: &l{level} [{refs}]")
    site = tmp_path / "laughs.yaml"
    site.write_text("\n".join(lines) + "\n", encoding="utf-8")

    (problem,) = check_site(site)

    assert "expands to more than" in problem.message


def test_a_python_tag_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    site = tmp_path / "tagged.yaml"
    site.write_text(
        'site: !!python/object/apply:os.system ["true"]\n', encoding="utf-8"
    )

    (problem,) = check_site(site)

    assert "YAML tags" in problem.message
