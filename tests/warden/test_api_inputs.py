"""Bad input gets a clear 4xx, never a 500, over real HTTP."""

from __future__ import annotations

from pathlib import Path

from tests.warden.facility import running_facility


async def test_bad_requests_get_clear_client_errors(tmp_path: Path) -> None:
    async with running_facility(tmp_path) as facility:
        http = facility.http
        cases = {
            "/api/v1/devices/NOPE": (404, "no device with id 'NOPE'"),
            "/api/v1/twin/nodes/NOPE": (404, "no node with id 'NOPE'"),
            "/api/v1/twin/nodes/NOPE/neighbors": (404, "no node"),
            "/api/v1/twin/nodes/NOPE/impact": (404, "no node"),
            "/api/v1/twin/paths?from=A1-01&to=NOPE": (404, "no space with id 'NOPE'"),
            "/api/v1/twin/paths?from=A1-01&to=D-A1-01": (404, "no space"),
            "/api/v1/twin/paths?from=A1-01": (422, "to"),
            "/api/v1/history?device=DC-A1": (422, "point"),
            "/api/v1/history?device=NOPE&point=x": (404, "no device"),
            "/api/v1/history?device=DC-A1&point=nope": (404, "has no point 'nope'"),
            "/api/v1/history?device=DC-A1&point=uptime&every=fortnight": (
                422,
                "not a duration",
            ),
            "/api/v1/history?device=DC-A1&point=uptime&every=0s": (
                422,
                "longer than 0",
            ),
            "/api/v1/history?device=DC-A1&point=uptime"
            "&start=2026-01-02T00:00:00Z&end=2026-01-01T00:00:00Z": (
                422,
                "start must be before end",
            ),
            "/api/v1/history?device=DC-A1&point=uptime&start=yesterday": (422, "start"),
            "/api/v1/history?device=DC-A1&point=uptime&aggregate=median": (
                422,
                "aggregate",
            ),
            "/api/v1/history?device=DC-A1&point=uptime&every=1ms"
            "&start=2020-01-01T00:00:00Z": (422, "too many windows"),
            "/api/v1/history?device=DC-A1&point=uptime&every=99999999999999999999h": (
                422,
                "at most 366d",
            ),
            "/api/v1/history?device=DC-A1&point=uptime&end=0001-01-01T00:00:00Z": (
                422,
                "between 1970-01-01 and 9000-01-01",
            ),
            "/api/v1/history?device=DC-A1&point=uptime&start=9999-12-31T23:00:00Z"
            "&end=9999-12-31T23:59:59Z&every=1h": (422, "between 1970-01-01"),
            "/api/v1/events?limit=0": (422, "limit"),
            "/api/v1/alarms/alm-404/acknowledge": (405, ""),
        }

        for path, (status, phrase) in cases.items():
            response = await http.get(path)
            assert response.status_code == status, (path, response.text)
            assert phrase in response.text, (path, response.text)

        processor = (await http.get("/api/v1/devices/PP-OUTER")).json()
        assert processor["protocol"] == "opcua"
        assert processor["endpoint"]["url"].startswith("opc.tcp://127.0.0.1:")
        assert processor["points"] and all(p["node"] for p in processor["points"])
        assert processor["points"][0]["node"].startswith("nsu=urn:")
        first = processor["points"][0]["name"]
        history = await http.get(
            "/api/v1/history", params={"device": "PP-OUTER", "point": first}
        )
        assert history.status_code == 200, history.text

        switch = await http.get("/api/v1/twin/nodes/SW-A/impact")
        assert switch.status_code == 200
        assert "D-A1-01" in switch.json()["doors"]
        assert "DC-A1" in switch.json()["devices"]

        path = await http.get("/api/v1/twin/paths?from=OUTSIDE&to=A1-01")
        assert path.status_code == 200
        assert {"D-GH-PED-OUTER", "G-VSP-OUTER"} & set(path.json()["doors"])
        assert path.json()["doors"][-1] == "D-A1-01"
