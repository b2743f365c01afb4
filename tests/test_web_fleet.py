"""The console's fleet pages in a real browser: the dashboard, stopping a transaction, a
firmware rollout's progress, the composite schedule chart and the schema-generated command
fields. Same browser and fixtures as tests/test_web_browser.py (skipped where it is)."""

# The fixtures imported from test_web_browser are named again as test arguments.
# ruff: noqa: F811

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ampyre.services.clock import format_timestamp
from tests.conftest import api_client, unique
from tests.ocpp_client import OcppClient
from tests.server import Server
from tests.test_web_browser import (  # noqa: F401  (fixtures)
    browser,
    console,
    fresh_server,
    sign_in,
)

from playwright.async_api import Page, expect  # isort: skip


async def _register(server: Server, *ids: str) -> None:
    async with api_client(server) as api:
        for cp_id in ids:
            assert (await api.post("/charge-points", json={"id": cp_id})).status_code == 201


async def _start(client: OcppClient, connector: int = 1) -> int:
    started = await client.call(
        "StartTransaction",
        {
            "connectorId": connector,
            "idTag": "ANY",
            "meterStart": 0,
            "timestamp": format_timestamp(datetime.now(UTC)),
        },
    )
    transaction_id: int = started["transactionId"]
    return transaction_id


async def test_the_dashboard_is_the_landing_page_and_counts_the_fleet(
    fresh_server: Server, console: Page, tmp_path: Path
) -> None:
    server = fresh_server
    broken, absent = unique(), unique()
    await _register(server, broken, absent)
    async with OcppClient.connect(server.ws_url, broken) as client:
        await client.boot()
        await client.call(
            "StatusNotification",
            {"connectorId": 1, "status": "Faulted", "errorCode": "GroundFailure"},
        )
        await client.call(
            "StatusNotification", {"connectorId": 2, "status": "Available", "errorCode": "NoError"}
        )
        await client.call(
            "SecurityEventNotification",
            {"type": "TamperDetectionActivated", "timestamp": format_timestamp(datetime.now(UTC))},
        )
        transaction_id = await _start(client, 2)
        await client.call(
            "StopTransaction",
            {
                "transactionId": transaction_id,
                "meterStop": 2500,
                "timestamp": format_timestamp(datetime.now(UTC)),
            },
        )
        await _start(client, 2)

        await sign_in(console, server)
        await expect(console.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
        assert console.url.endswith("#/dashboard")
        for key, value in {
            "total": "2",
            "online": "1",
            "offline": "1",
            "faulted": "1",
            "active": "1",
            "energy-today": "2.50 kWh",
            "energy-month": "2.50 kWh",
        }.items():
            await expect(console.get_by_test_id(f"stat-{key}")).to_have_text(value)
        await expect(console.get_by_test_id("connectors-Faulted")).to_have_text("Faulted: 1")
        await expect(console.get_by_test_id("connectors-Charging")).to_have_count(0)
        faults = console.get_by_role("region", name="Recent faults")
        await expect(faults.get_by_role("row", name=broken)).to_contain_text("GroundFailure")
        security = console.get_by_role("region", name="Recent security events")
        await expect(security.get_by_role("row", name=broken)).to_contain_text(
            "TamperDetectionActivated"
        )
        await console.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)

    # Refreshed in place: the charge point went offline.
    await expect(console.get_by_test_id("stat-online")).to_have_text("0", timeout=20000)
    await console.get_by_role("link", name="Charge points", exact=True).click()
    await expect(console.get_by_role("heading", name="Charge points", level=1)).to_be_visible()
    await console.get_by_role("link", name="Dashboard").click()
    await expect(console.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()


async def test_an_active_transaction_is_stopped_after_a_confirmation(
    server: Server, cp_id: str, console: Page
) -> None:
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        transaction_id = await _start(client)
        await sign_in(console, server)
        await console.goto(f"{server.http_url}/#/transactions/{transaction_id}")
        stop = console.get_by_role("button", name=f"Stop transaction #{transaction_id}")

        # Dismissed: nothing is sent.
        console.once("dialog", lambda dialog: dialog.dismiss())
        await stop.click()
        await console.wait_for_timeout(300)
        assert not [a for a, _ in client.received if a == "RemoteStopTransaction"]

        console.once("dialog", lambda dialog: dialog.accept())
        await stop.click()
        answer = console.get_by_test_id(f"stop-answer-{transaction_id}")
        await expect(answer).to_contain_text("Accepted")
        assert ("RemoteStopTransaction", {"transactionId": transaction_id}) in client.received

        # From the charge point's page: the answer shown is the charge point's.
        client.answers["RemoteStopTransaction"] = {"status": "Rejected"}
        await console.goto(f"{server.http_url}/#/charge-points/{cp_id}")
        row = console.locator("#cp-transactions").get_by_role("row", name=f"#{transaction_id}")
        console.once("dialog", lambda dialog: dialog.accept())
        await row.get_by_role("button", name=f"Stop transaction #{transaction_id}").click()
        await expect(row.get_by_test_id(f"stop-answer-{transaction_id}")).to_contain_text(
            "Rejected"
        )

        # Stopped by the charge point: the button goes.
        await client.call(
            "StopTransaction",
            {
                "transactionId": transaction_id,
                "meterStop": 10,
                "timestamp": format_timestamp(datetime.now(UTC)),
            },
        )
        await console.goto(f"{server.http_url}/#/transactions/{transaction_id}")
        await expect(console.get_by_text("Finished", exact=True)).to_be_visible()
        await expect(stop).to_have_count(0)


async def test_a_rollout_shows_its_progress_as_it_moves(server: Server, console: Page) -> None:
    online, offline = unique(), unique()
    await _register(server, online, offline)
    async with OcppClient.connect(server.ws_url, online) as client:
        await client.boot()
        async with api_client(server) as api:
            started = await api.post(
                "/firmware-rollouts",
                json={
                    "location": "https://example.com/fw.bin",
                    "chargePointIds": [online, offline],
                },
            )
            assert started.status_code == 202, started.text
            rollout_id = started.json()["rolloutId"]
        await client.wait_for_call("UpdateFirmware")

        await sign_in(console, server)
        await console.get_by_role("link", name="Rollouts", exact=True).click()
        await console.get_by_role("link", name=f"Rollout #{rollout_id}", exact=True).click()
        await expect(console.get_by_role("heading", level=1)).to_have_text(f"Rollout #{rollout_id}")
        await expect(console.get_by_test_id("count-Offline")).to_have_text("1")
        await expect(console.get_by_test_id("count-Sent")).to_have_text("1")
        await expect(console.get_by_text("0 of 2 charge points finished")).to_be_visible()
        bar = console.get_by_role("progressbar", name=f"Rollout #{rollout_id} progress")
        await expect(bar).to_have_attribute("value", "0")

        for status in ("Downloading", "Downloaded", "Installing", "Installed"):
            await client.call("FirmwareStatusNotification", {"status": status})
        # Refreshed every few seconds, without a reload.
        await expect(console.get_by_test_id("count-Installed")).to_have_text("1", timeout=10000)
        await expect(console.get_by_text("1 of 2 charge points finished")).to_be_visible()
        await expect(bar).to_have_attribute("value", "1")
        await expect(console.get_by_role("row", name=online)).to_contain_text("Installed")


async def test_the_composite_schedule_is_drawn_as_a_step_chart(
    server: Server, cp_id: str, console: Page, tmp_path: Path
) -> None:
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        await client.call(
            "StatusNotification", {"connectorId": 1, "status": "Available", "errorCode": "NoError"}
        )
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
        async with api_client(server) as api:
            installed = await api.post(
                f"/charge-points/{cp_id}/charging-profiles",
                json={
                    "connectorId": 0,
                    "csChargingProfiles": {
                        "stackLevel": 0,
                        "chargingProfilePurpose": "ChargePointMaxProfile",
                        "chargingProfileKind": "Absolute",
                        "chargingSchedule": {
                            "startSchedule": format_timestamp(start),
                            "chargingRateUnit": "A",
                            "chargingSchedulePeriod": [
                                {"startPeriod": 0, "limit": 32},
                                {"startPeriod": 1800, "limit": 16},
                            ],
                        },
                    },
                },
            )
            assert installed.status_code == 201, installed.text
        await sign_in(console, server)
        await console.goto(f"{server.http_url}/#/charge-points/{cp_id}")
        panel = console.locator("#cp-schedule")
        chart = panel.get_by_role("img", name="Composite schedule of connector 1")
        await expect(chart).to_be_visible()
        label = await chart.get_attribute("aria-label") or ""
        assert "32 A" in label and "16 A" in label and "24 h" in label
        assert await chart.locator("rect.schedule-step").count() == 2
        path = await chart.locator("path.chart-line").get_attribute("d") or ""
        assert path.startswith("M") and " V" in path  # one line stepping down
        await panel.screenshot(path=str(tmp_path / "composite-schedule.png"))

        # Another window: redrawn.
        await panel.get_by_label("Window").select_option("3600")
        await expect(panel.get_by_role("img", name="for 1 h")).to_be_visible()


async def test_command_fields_follow_the_official_schema(
    server: Server, cp_id: str, console: Page, tmp_path: Path
) -> None:
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        await sign_in(console, server)
        await console.goto(f"{server.http_url}/#/charge-points/{cp_id}")
        fields = console.get_by_test_id("command-fields")
        body = console.get_by_label("Request body (JSON, sent unchanged)")

        async def sent_body() -> Any:
            return json.loads(await body.input_value())

        # An enum is a select, and a required field is marked.
        await console.get_by_label("Action", exact=True).select_option("Reset")
        kind = fields.get_by_role("combobox", name="type")
        await expect(kind).to_have_value("Soft")
        assert await kind.evaluate("(el) => el.required") is True
        await expect(fields.locator("abbr[title=required]")).to_have_count(1)
        await kind.select_option("Hard")
        assert await sent_body() == {"type": "Hard"}
        # The select shows what the JSON holds, also a value the schema refuses.
        await body.fill('{"type": "Sideways"}')
        await expect(kind.locator("option:checked")).to_have_text("Sideways (not allowed)")
        await body.fill("{}")
        await expect(kind.locator("option:checked")).to_have_text("(choose)")

        # An integer is a number input.
        await console.get_by_label("Action", exact=True).select_option("ChangeAvailability")
        connector = fields.get_by_role("spinbutton", name="connectorId")
        await connector.fill("2")
        assert await sent_body() == {"connectorId": 2, "type": "Inoperative"}

        # An array has add and remove; an empty optional one is left out.
        await console.get_by_label("Action", exact=True).select_option("GetConfiguration")
        await fields.get_by_role("button", name="Add key item").click()
        await fields.get_by_role("textbox", name="key item").fill("HeartbeatInterval")
        assert await sent_body() == {"key": ["HeartbeatInterval"]}
        client.answers["GetConfiguration"] = {"configurationKey": []}
        await console.get_by_role("button", name="Send", exact=True).click()
        result = console.get_by_test_id("command-result")
        await expect(result).to_contain_text("200 OK")
        assert client.received[-1] == ("GetConfiguration", {"key": ["HeartbeatInterval"]})
        await fields.get_by_role("button", name="Remove key item").click()
        assert await sent_body() == {}

        # Nested objects are fieldsets; an edit of the JSON shows in the fields.
        await console.get_by_label("Action", exact=True).select_option("SetChargingProfile")
        profile = fields.get_by_role("group", name="csChargingProfiles")
        await expect(
            profile.get_by_role("group", name="chargingSchedule *", exact=True)
        ).to_be_visible()
        await body.fill('{"connectorId": 3, "csChargingProfiles": {"stackLevel": 4}}')
        await expect(fields.get_by_role("spinbutton", name="connectorId")).to_have_value("3")
        await expect(profile.get_by_role("spinbutton", name="stackLevel")).to_have_value("4")
        await console.locator("#cp-command").screenshot(path=str(tmp_path / "command-fields.png"))


async def test_fleet_search_filters_and_sorts_the_whole_fleet_on_the_server(
    server: Server, console: Page
) -> None:
    # More charge points than a page, sorted first by id; the one searched for sorts after
    # them all, so a search of the current page could never find it.
    tag = unique("fleet").lower()
    first_page = [f"aaa-{tag}-{n:02}" for n in range(51)]
    wanted = f"zzz-{tag}"
    await _register(server, *first_page, wanted)
    await sign_in(console, server)
    await console.get_by_role("link", name="Charge points").first.click()
    fleet = console.get_by_role("table", name="Charge points")
    await expect(fleet.get_by_role("row")).to_have_count(51)  # the header and a full page
    await expect(fleet.get_by_role("link", name=wanted)).to_have_count(0)

    await console.get_by_label("Search").fill(wanted)
    await expect(fleet.get_by_role("link", name=wanted)).to_be_visible()
    await expect(fleet.get_by_role("row")).to_have_count(2)  # the header and the match
    await expect(console.get_by_text("1 match")).to_be_visible()

    await console.get_by_label("Search").fill(tag)
    await console.get_by_label("Sort by").select_option("-createdAt")
    await expect(fleet.get_by_role("row").nth(1)).to_contain_text(wanted)  # newest first
    await console.get_by_label("Connection").select_option("true")
    await expect(console.get_by_text("No charge point matches.")).to_be_visible()
