"""The web console in a real browser: headless Chromium driven by Playwright.

Skipped where Debian's chromium (/usr/bin/chromium) or the playwright package is missing:
CI machines start without a browser, and Playwright's own browser download is never used.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from ampyre.ocpp.v16.validation import CSMS_INITIATED, get_validator
from tests.conftest import api_client, unique
from tests.ocpp_client import OcppClient
from tests.server import TOKEN, Server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not CHROMIUM.exists():
    pytest.skip(
        f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)",
        allow_module_level=True,
    )
if importlib.util.find_spec("playwright") is None:
    pytest.skip(
        "browser tests need the playwright package (pip install playwright; "
        "no `playwright install`: the system Chromium is used)",
        allow_module_level=True,
    )

from playwright.async_api import Browser, Page, async_playwright, expect  # noqa: E402


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    # Playwright gives every launch a fresh temporary profile (--user-data-dir).
    async with async_playwright() as playwright:
        instance = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield instance
        await instance.close()


@pytest.fixture
async def console(browser: Browser) -> AsyncIterator[Page]:
    """A fresh tab; any uncaught script error fails the test."""
    context = await browser.new_context(viewport={"width": 1366, "height": 900})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    await context.close()
    assert not errors, errors


@pytest.fixture
async def fresh_server(server_factory: Any) -> Server:
    """A server of its own, so the first page of the charge point list shows our ones."""
    instance: Server = await server_factory()
    return instance


async def sign_in(page: Page, server: Server, token: str = TOKEN) -> None:
    await page.goto(f"{server.http_url}/")
    await page.get_by_label("API token").fill(token)
    await page.get_by_role("button", name="Use token").click()


async def send_command(page: Page, action: str, body: str | None = None) -> Any:
    await page.get_by_label("Action", exact=True).select_option(action)
    if body is not None:
        await page.get_by_label("Request body (JSON, sent unchanged)").fill(body)
    await page.get_by_role("button", name="Send", exact=True).click()
    result = page.get_by_test_id("command-result")
    await expect(result.get_by_role("heading")).to_contain_text(action)
    return result


async def test_operator_signs_in_sees_the_charge_point_and_sends_clear_cache(
    fresh_server: Server, console: Page, tmp_path: Path
) -> None:
    server = fresh_server
    cp_id = unique()
    async with api_client(server) as api:
        assert (await api.post("/charge-points", json={"id": cp_id})).status_code == 201
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot(firmwareVersion="1.2.3")
        await client.call(
            "StatusNotification", {"connectorId": 1, "status": "Charging", "errorCode": "NoError"}
        )

        # A wrong token stays on the login screen and says so.
        await sign_in(console, server, token="not-the-token")
        await expect(console.get_by_role("alert")).to_contain_text("refused")

        await sign_in(console, server)
        await expect(console.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
        await console.get_by_role("link", name="Charge points", exact=True).click()
        row = console.get_by_role("row").filter(has=console.get_by_role("link", name=cp_id))
        await expect(row).to_contain_text("Connected")
        await expect(row).to_contain_text("TestVendor")
        await expect(row).to_contain_text("1.2.3")
        await expect(row).to_contain_text("#1 Charging")
        await console.screenshot(path=str(tmp_path / "charge-points.png"), full_page=True)

        await console.get_by_role("link", name=cp_id).click()
        await expect(console.get_by_role("heading", level=1)).to_have_text(cp_id)
        assert console.url.endswith(f"#/charge-points/{cp_id}")

        result = await send_command(console, "ClearCache")
        await expect(result).to_contain_text("200 OK")
        await expect(result).to_contain_text('"status": "Accepted"')
        assert client.received == [("ClearCache", {})]
        await console.screenshot(path=str(tmp_path / "charge-point.png"), full_page=True)

        # CALLERROR: the 502 with the charge point's error code and description.
        client.answers["Reset"] = ("InternalError", "relay stuck")
        result = await send_command(console, "Reset")
        await expect(result).to_contain_text("502")
        await expect(result).to_contain_text("InternalError")
        await expect(result).to_contain_text("relay stuck")

        # A body the schema refuses: 422 with the server's detail, nothing sent.
        result = await send_command(console, "Reset", '{"type": "Sideways"}')
        await expect(result).to_contain_text("422")
        await expect(result).to_contain_text("type")
        # Not JSON at all: refused in the page, nothing sent.
        await console.get_by_label("Request body (JSON, sent unchanged)").fill("{nope")
        await console.get_by_role("button", name="Send", exact=True).click()
        await expect(console.get_by_test_id("command-result")).to_contain_text("not valid JSON")
        assert [action for action, _ in client.received] == ["ClearCache", "Reset"]

        # GetConfiguration's answer is recorded and shown in the configuration table.
        client.answers["GetConfiguration"] = {
            "configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "77"}]
        }
        await send_command(console, "GetConfiguration")
        configuration = console.locator("#cp-configuration")
        await expect(configuration.get_by_role("row", name="HeartbeatInterval")).to_contain_text(
            "77"
        )

    # Disconnected now: the command is not sent and the 409's detail says why.
    await expect(console.get_by_text("Offline").first).to_be_visible(timeout=15000)
    result = await send_command(console, "ClearCache")
    await expect(result).to_contain_text("409")
    await expect(result).to_contain_text("not connected")


async def test_the_charge_point_page_follows_the_live_event_stream(
    server: Server, cp_id: str, console: Page
) -> None:
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        await sign_in(console, server)
        # This page's stream (the dashboard, where sign-in lands, has its own).
        async with console.expect_request(
            lambda r: "/api/v1/events" in r.url and "chargePointId=" in r.url
        ) as opened:
            await console.goto(f"{server.http_url}/#/charge-points/{quote(cp_id, safe='')}")
        stream = await opened.value
        # The token goes in the header, never in the URL (where access logs keep it).
        assert TOKEN not in stream.url and f"chargePointId={quote(cp_id)}" in stream.url
        assert (await stream.all_headers())["authorization"] == f"Bearer {TOKEN}"
        await expect(console.get_by_role("heading", level=1)).to_have_text(cp_id)
        await console.wait_for_timeout(500)  # the stream is open
        await client.call(
            "StatusNotification",
            {"connectorId": 2, "status": "Faulted", "errorCode": "GroundFailure"},
        )
        # Shown from the event, well before the 30 s fallback refresh.
        await expect(console.get_by_role("row", name="GroundFailure")).to_be_visible(timeout=4000)


async def test_log_out_and_a_refused_token_return_to_the_login_screen(
    server: Server, console: Page
) -> None:
    await sign_in(console, server)
    await expect(console.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    assert await console.evaluate("sessionStorage.getItem('ampyre.apiToken')") == TOKEN

    await console.get_by_role("button", name="Log out").click()
    await expect(console.get_by_label("API token")).to_be_visible()
    assert await console.evaluate("sessionStorage.getItem('ampyre.apiToken')") is None

    # A token the server no longer accepts: the first 401 ends the session.
    await console.evaluate("sessionStorage.setItem('ampyre.apiToken', 'stale')")
    await console.goto(f"{server.http_url}/#/transactions")
    await expect(console.get_by_role("alert")).to_contain_text("refused the token")
    assert await console.evaluate("sessionStorage.getItem('ampyre.apiToken')") is None


async def test_an_account_signs_in_with_its_password_and_out_again(
    server: Server, console: Page
) -> None:
    name, password = unique("operator"), "correct horse battery"
    async with api_client(server) as api:
        created = await api.post(
            "/accounts", json={"name": name, "role": "operator", "password": password}
        )
        assert created.status_code == 201, created.text
    await console.goto(f"{server.http_url}/")
    await console.get_by_label("Account").fill(name)
    await console.get_by_label("Password").fill("not the password")
    await console.get_by_role("button", name="Sign in").click()
    await expect(console.get_by_role("alert")).to_contain_text("Wrong account name or password")

    await console.get_by_label("Password").fill(password)
    await console.get_by_role("button", name="Sign in").click()
    await expect(console.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    # The session is an HttpOnly cookie: the page's scripts cannot read it.
    assert await console.evaluate("document.cookie") == ""
    assert await console.evaluate("sessionStorage.getItem('ampyre.apiToken')") is None
    # A reload keeps the session.
    await console.reload()
    await expect(console.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()

    await console.get_by_role("button", name="Log out").click()
    await expect(console.get_by_label("Account")).to_be_visible()
    await console.reload()
    await expect(console.get_by_label("Account")).to_be_visible()


async def test_data_is_rendered_as_text_never_as_markup(server: Server, console: Page) -> None:
    hostile = f"<img src=x onerror=window.pwned=1>{unique()}"
    async with api_client(server) as api:
        assert (await api.post("/charge-points", json={"id": hostile})).status_code == 201
        tag = unique("T")[:20]
        assert (await api.post("/id-tags", json={"idTag": tag})).status_code == 201
    await sign_in(console, server)
    await console.goto(f"{server.http_url}/#/charge-points/{quote(hostile, safe='')}")
    await expect(console.get_by_role("heading", level=1)).to_have_text(hostile)
    assert await console.evaluate("window.pwned") is None
    assert await console.locator("main img").count() == 0


async def test_id_tags_are_added_blocked_unblocked_and_deleted(
    server: Server, console: Page
) -> None:
    # Sorts first (the list is by id tag): on the first page, however many tags the
    # shared server holds.
    tag = "00" + unique("T")[:18]
    await sign_in(console, server)
    await console.get_by_role("link", name="Id tags").click()
    await console.get_by_label("Id tag", exact=True).fill(tag)
    await console.get_by_role("button", name="Add id tag").click()
    row = console.get_by_role("row", name=tag)
    await expect(row).to_contain_text("Accepted")

    async with api_client(server) as api:
        await row.get_by_role("button", name=f"Block {tag}").click()
        await expect(row).to_contain_text("Blocked")
        assert (await api.get(f"/id-tags/{tag}")).json()["status"] == "Blocked"
        await row.get_by_role("button", name=f"Unblock {tag}").click()
        await expect(row).to_contain_text("Accepted")

        console.once("dialog", lambda dialog: dialog.accept())
        await row.get_by_role("button", name=f"Delete {tag}").click()
        await expect(row).to_have_count(0)
        assert (await api.get(f"/id-tags/{tag}")).status_code == 404


async def test_registering_a_charge_point_opens_its_page(server: Server, console: Page) -> None:
    cp_id = unique()
    await sign_in(console, server)
    await console.get_by_role("link", name="Register charge point").click()
    await console.get_by_label("Charge point identity").fill(cp_id)
    await console.get_by_label("Answer its next BootNotification with").select_option("Pending")
    await console.get_by_role("button", name="Register").click()
    await expect(console.get_by_role("heading", level=1)).to_have_text(cp_id)
    async with api_client(server) as api:
        assert (await api.get(f"/charge-points/{cp_id}")).json()["registrationStatus"] == "Pending"
    # Registering the same id again is a 409, shown on the form.
    await console.goto(f"{server.http_url}/#/register-charge-point")
    await console.get_by_label("Charge point identity").fill(cp_id)
    await console.get_by_role("button", name="Register").click()
    await expect(console.get_by_role("alert")).to_contain_text(cp_id)


async def test_a_transaction_shows_its_meter_values_and_energy_chart(
    server: Server, cp_id: str, console: Page
) -> None:
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        start = await client.call(
            "StartTransaction",
            {
                "connectorId": 1,
                "idTag": "ANY",
                "meterStart": 1000,
                "timestamp": "2025-01-01T10:00:00Z",
            },
        )
        transaction_id = start["transactionId"]
        for minute, register in ((10, 2500), (20, 4200)):
            await client.call(
                "MeterValues",
                {
                    "connectorId": 1,
                    "transactionId": transaction_id,
                    "meterValue": [
                        {
                            "timestamp": f"2025-01-01T10:{minute}:00Z",
                            "sampledValue": [{"value": str(register), "unit": "Wh"}],
                        }
                    ],
                },
            )
        await client.call(
            "StopTransaction",
            {
                "transactionId": transaction_id,
                "meterStop": 6000,
                "timestamp": "2025-01-01T10:30:00Z",
            },
        )
    await sign_in(console, server)
    await console.goto(f"{server.http_url}/#/transactions?chargePointId={cp_id}")
    await console.get_by_label("State").select_option("Active")
    await expect(console.get_by_text("No transactions match.")).to_be_visible()
    assert "active=true" in console.url and f"chargePointId={cp_id}" in console.url
    await console.get_by_label("State").select_option("Finished")
    await console.get_by_role("link", name=f"#{transaction_id}").click()
    await expect(console.get_by_role("heading", level=1)).to_have_text(
        f"Transaction #{transaction_id}"
    )
    await expect(console.get_by_text("5.00 kWh", exact=True)).to_be_visible()
    chart = console.get_by_role("img", name="Energy delivered")
    await expect(chart).to_be_visible()
    assert await chart.locator("circle").count() == 4  # meterStart, two readings, meterStop
    meter_table = console.get_by_role("region", name="Meter values")
    await expect(meter_table.get_by_role("row")).to_have_count(3)  # header + two readings


async def test_every_command_template_is_valid_for_its_action(
    server: Server, console: Page
) -> None:
    """The form offers every CSMS-initiated action, each starting from a schema-valid body."""
    await sign_in(console, server)
    await expect(console.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    templates: dict[str, Any] = json.loads(
        await console.evaluate(
            """async () => {
                const { ACTIONS } = await import('/static/js/commands.js');
                const context = { connectorIds: [0, 1, 2], activeTransactionId: 7 };
                return JSON.stringify(Object.fromEntries(ACTIONS.map((a) => [a.name, a.template(context)])));
            }"""
        )
    )
    assert set(templates) == set(CSMS_INITIATED)
    validator = get_validator()
    for action, body in templates.items():
        validator.validate_request(action, body)  # raises on an invalid template
    assert templates["RemoteStopTransaction"] == {"transactionId": 7}


async def test_the_optional_profiles_records_load_without_errors(
    server: Server, cp_id: str, console: Page
) -> None:
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        async with api_client(server) as api:
            triggered = await api.post(
                f"/charge-points/{cp_id}/trigger", json={"requestedMessage": "Heartbeat"}
            )
            assert triggered.status_code == 200, triggered.text
    await sign_in(console, server)
    await console.get_by_role("link", name="More records").click()
    titles = await console.locator("ul.cards h2 a").all_inner_texts()
    assert titles
    for title in titles:
        await console.get_by_role("link", name="More records", exact=True).click()
        await console.get_by_role("link", name=title, exact=True).click()
        await expect(console.get_by_role("heading", level=1)).to_have_text(title)
        panel = console.locator("section.panel")
        await expect(panel.locator(".loading")).to_have_count(0)
        await expect(panel.get_by_role("alert")).to_have_count(0)
    # The audit log (admins): the trigger sent above, with who sent it.
    await console.goto(f"{server.http_url}/#/records/audit-log")
    await expect(console.locator("section.panel").get_by_role("row").nth(1)).to_be_visible()
    await expect(console.locator("section.panel")).to_contain_text(
        f"/charge-points/{cp_id}/trigger"
    )

    await console.goto(f"{server.http_url}/#/charge-points/{cp_id}")
    records = console.locator("#cp-records")
    await expect(records.get_by_role("row", name="Heartbeat")).to_contain_text("Accepted")
    for button in await records.get_by_role("group").get_by_role("button").all():
        await button.click()
        await expect(button).to_have_attribute("aria-pressed", "true")
        await expect(records.locator(".loading")).to_have_count(0)
        await expect(records.get_by_role("alert")).to_have_count(0)


async def test_the_skip_link_moves_focus_without_changing_the_page(
    server: Server, console: Page
) -> None:
    await sign_in(console, server)
    await expect(console.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    await console.get_by_role("link", name="Skip to content").focus()
    await console.keyboard.press("Enter")
    assert await console.evaluate("document.activeElement.id") == "main"
    assert console.url.endswith("#/dashboard")
    await expect(console.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()


async def test_the_charge_point_page_lists_its_ocpp_messages(
    server: Server, cp_id: str, console: Page
) -> None:
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        await client.call("Heartbeat", {}, unique_id="hb-web")
        await client.send_text("<b>not json</b>", "-1")
    await sign_in(console, server)
    await console.goto(f"{server.http_url}/#/charge-points/{cp_id}")
    log = console.locator("#cp-messages")
    rows = log.get_by_role("row")
    await expect(rows).to_have_count(7)  # the header and six frames
    bad = rows.filter(has_text="not a frame")
    await expect(bad).to_contain_text("<b>not json</b>")  # shown as text, never markup
    await expect(bad.locator("b")).to_have_count(0)

    action = log.get_by_label("Filter by action")
    await action.fill("Heartbeat")
    await action.press("Enter")
    await expect(rows).to_have_count(3)
    answer = rows.filter(has_text="CALLRESULT")
    await expect(answer).to_contain_text("hb-web")
    await answer.locator("summary").click()
    await expect(answer.locator("pre.json")).to_contain_text('"currentTime"')
    await log.get_by_label("Direction").select_option("in")
    await expect(rows).to_have_count(2)
    await expect(rows.nth(1)).to_contain_text("← in")
