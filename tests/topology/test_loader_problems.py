"""Each kind of mistake in a site or profile file: the exact line and message."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.topology.files import PROFILE, SITE, WriteSite, edit
from topology.loader import SiteError, load_site


@dataclass(frozen=True)
class Case:
    name: str
    site: str
    line: int | None
    phrase: str
    profile: str = PROFILE
    in_profile: bool = False  # the problem points into the profile file


CASES = [
    Case(
        "bad YAML",
        edit(SITE, "    between: [HALL, CELL-1]\n", "    between: [HALL, CELL-1\n"),
        12,
        "not valid YAML",
    ),
    Case(
        "duplicate key",
        edit(SITE, "    profile: dc\n", "    profile: dc\n    profile: dc\n"),
        22,
        'duplicate key "profile"',
    ),
    Case(
        "unknown field",
        edit(SITE, "    between:", "    betwen:"),
        11,
        "door D-1 has an unknown field 'betwen' (did you mean 'between'?)",
    ),
    Case(
        "missing field",
        edit(SITE, "      closed: DC-1/contact_1\n", ""),
        13,
        "door D-1 is missing the required field 'bindings.closed'",
    ),
    Case(
        "wrong type",
        edit(SITE, "port: 15020", "port: fast"),
        20,
        "device DC-1: 'endpoint.port' should be a valid integer",
    ),
    Case(
        "unknown space kind",
        edit(SITE, "kind: cell", "kind: cel"),
        8,
        "space CELL-1: 'kind' should be 'site', 'building'",
    ),
    Case(
        "malformed point reference",
        edit(SITE, "locked: DC-1/bolt_1", "locked: DC-1"),
        14,
        "door D-1: 'bindings.locked' expected DEVICE/POINT, got 'DC-1'",
    ),
    Case(
        "bad id",
        edit(SITE, "{id: HALL,", "{id: main hall,"),
        7,
        "should be an id made of letters, digits",
    ),
    Case(
        "unknown profile id",
        edit(SITE, "    profile: dc\n", "    profile: dcc\n"),
        21,
        "device DC-1 uses profile dcc, which is not listed under 'profiles' "
        "(did you mean dc?)",
    ),
    Case(
        "profile file missing",
        edit(SITE, "profiles/dc.yaml", "profiles/door.yaml"),
        4,
        "profile dc: file profiles/door.yaml not found",
    ),
    Case(
        "profile file is bad YAML",
        SITE,
        7,
        "not valid YAML",
        profile=edit(PROFILE, "address: 1, writable", "address: [1, writable"),
        in_profile=True,
    ),
    Case(
        "profile point of the wrong shape",
        SITE,
        10,
        "point count_1: the input_register table holds 16-bit words",
        profile=edit(PROFILE, ", data_type: uint32}", "}"),
        in_profile=True,
    ),
    Case(
        "profile unknown table",
        SITE,
        6,
        "point bolt_1: 'table' should be 'coil', 'discrete_input'",
        profile=edit(PROFILE, "bolt_1, table: discrete_input", "bolt_1, table: di"),
        in_profile=True,
    ),
    Case(
        "profile with another id",
        SITE,
        1,
        "this profile's id is 'door', but the site file lists it as 'dc' "
        "(site.yaml line 4)",
        profile=edit(PROFILE, "id: dc", "id: door"),
        in_profile=True,
    ),
    Case(
        "profile with two points of one name",
        SITE,
        9,
        "point name 'bolt_1' is already used on line 6",
        profile=edit(PROFILE, "name: bolt_2", "name: bolt_1"),
        in_profile=True,
    ),
    Case(
        "profile with overlapping addresses",
        SITE,
        11,
        "point level (input_register 17) overlaps point count_1 "
        "(uint32 at input_register 16-17) on line 10",
        profile=PROFILE
        + "  - {name: level, table: input_register, address: 17, data_type: int16}\n",
        in_profile=True,
    ),
    Case(
        "duplicate id across kinds",
        edit(
            SITE,
            "  - {id: CELL-1, kind: cell, parent: S}\n",
            "  - {id: CELL-1, kind: cell, parent: S}\n  - {id: DC-1, kind: room}\n",
        ),
        18,
        "id DC-1 is already used by the space on line 9",
    ),
    Case(
        "unknown parent",
        edit(SITE, "kind: corridor, parent: S}", "kind: corridor, parent: SITE}"),
        7,
        "space HALL has parent space SITE, which is not defined",
    ),
    Case(
        "parent is a door",
        edit(SITE, "kind: corridor, parent: S}", "kind: corridor, parent: D-1}"),
        7,
        "space HALL has parent D-1, which is a door, not a space",
    ),
    Case(
        "containment loop",
        edit(SITE, "{id: S, kind: site}", "{id: S, kind: site, parent: CELL-1}"),
        6,
        "spaces contain each other in a loop: S is inside CELL-1 is inside S",
    ),
    Case(
        "own parent",
        edit(SITE, "{id: S, kind: site}", "{id: S, kind: site, parent: S}"),
        6,
        "space S is its own parent",
    ),
    Case(
        "door to an unknown space",
        edit(SITE, "[HALL, CELL-1]", "[HALL, CELL-2]"),
        11,
        "door D-1 connects space CELL-2, which is not defined (did you mean CELL-1?)",
    ),
    Case(
        "door between a space and itself",
        edit(SITE, "[HALL, CELL-1]", "[HALL, HALL]"),
        11,
        "door D-1 connects space HALL to itself",
    ),
    Case(
        "binding to an unknown device",
        edit(SITE, "locked: DC-1/bolt_1", "locked: DC-2/bolt_1"),
        14,
        "door D-1: 'locked' is bound to device DC-2, which is not defined",
    ),
    Case(
        "binding to a point the profile lacks",
        edit(SITE, "locked: DC-1/bolt_1", "locked: DC-1/bolt_3"),
        14,
        "door D-1: 'locked' is bound to point bolt_3 of device DC-1, but its "
        "profile dc has no such point",
    ),
    Case(
        "closed bound to a number",
        edit(SITE, "closed: DC-1/contact_1", "closed: DC-1/count_1"),
        15,
        "'closed' is bound to DC-1/count_1, a uint32 point; 'closed' needs a bool",
    ),
    Case(
        "tamper bound to a number",
        edit(
            SITE,
            "      closed: DC-1/contact_1\n",
            "      closed: DC-1/contact_1\n      tamper: DC-1/count_1\n",
        ),
        16,
        "'tamper' needs a bool point",
    ),
    Case(
        "request_to_exit bound to a number",
        edit(
            SITE,
            "      closed: DC-1/contact_1\n",
            "      closed: DC-1/contact_1\n      request_to_exit: DC-1/count_1\n",
        ),
        16,
        "'request_to_exit' needs a bool point",
    ),
    Case(
        "lock on a read-only point",
        edit(SITE, '"!DC-1/relay_1"', '"!DC-1/contact_2"'),
        12,
        "door D-1: lock point DC-1/contact_2 is not writable in profile dc",
    ),
    Case(
        "one contact serving two doors",
        edit(
            SITE,
            "devices:\n",
            "  - id: D-2\n"
            "    between: [HALL, S]\n"
            "    bindings: {locked: DC-1/bolt_2, closed: DC-1/contact_1}\n"
            "devices:\n",
        ),
        18,
        "door D-2: 'closed' is bound to DC-1/contact_1, which already serves door "
        "D-1 ('closed' on line 15)",
    ),
    Case(
        "modbus device without endpoint",
        edit(SITE, "    endpoint: {host: 127.0.0.1, port: 15020}\n", ""),
        17,
        "device DC-1 speaks modbus but has no endpoint",
    ),
    Case(
        "modbus device without profile",
        edit(SITE, "    profile: dc\n", ""),
        17,
        "device DC-1 speaks modbus but names no profile",
    ),
    Case(
        "two devices on one endpoint",
        SITE
        + "  - id: DC-2\n"
        + "    kind: door_controller\n"
        + "    protocol: modbus\n"
        + "    endpoint: {host: 127.0.0.1, port: 15020, unit_id: 1}\n"
        + "    profile: dc\n",
        25,
        "device DC-2 has the same endpoint 127.0.0.1:15020 unit 1 as device DC-1 "
        "on line 20",
    ),
    Case(
        "device in an unknown space",
        edit(SITE, "    profile: dc\n", "    profile: dc\n    location: ROOM\n"),
        22,
        "device DC-1 is located in space ROOM, which is not defined",
    ),
    Case(
        "interlock naming an unknown door",
        SITE + "interlocks:\n  - {id: IL-1, doors: [D-1, D-9]}\n",
        23,
        "interlock IL-1 names door D-9, which is not defined (did you mean D-1?)",
    ),
    Case(
        "interlock naming a space",
        SITE + "interlocks:\n  - {id: IL-1, doors: [D-1, HALL]}\n",
        23,
        "interlock IL-1 names HALL, which is a space, not a door",
    ),
    Case(
        "interlock naming a door twice",
        SITE + "interlocks:\n  - id: IL-1\n    doors:\n      - D-1\n      - D-1\n",
        26,
        "interlock IL-1 lists door D-1 twice",
    ),
    Case(
        "merged setting with a wrong value points at the anchor",
        SITE.replace(
            "    kind: door_controller\n    protocol: modbus\n",
            "    <<: &controller\n"
            "      kind: door_controller\n"
            "      protocol: modbus\n"
            "      poll_interval_s: -1\n",
        )
        + "  - id: DC-2\n"
        + "    endpoint: {host: 127.0.0.1, port: 15021}\n"
        + "    profile: dc\n"
        + "    <<: *controller\n",
        21,
        "device DC-2: 'poll_interval_s' should be greater than 0, not -1",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_mistake_is_reported_at_its_line(case: Case, write_site: WriteSite) -> None:
    path = write_site(case.site, case.profile)
    expected_file = path.parent / "profiles" / "dc.yaml" if case.in_profile else path

    with pytest.raises(SiteError) as caught:
        load_site(path)

    found = [
        p
        for p in caught.value.problems
        if p.file == expected_file and p.line == case.line and case.phrase in p.message
    ]
    assert found, "\n".join(str(p) for p in caught.value.problems)
