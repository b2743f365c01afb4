"""`GET /metrics`: the Prometheus text format, without a token, counting what happened."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.ocpp_client import CallErrorReceived, OcppClient
from tests.server import Server


async def scrape(server: Server) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{server.http_url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


async def test_metrics_count_messages_errors_commands_and_the_process(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    before = await scrape(server)
    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        await client.call("Heartbeat", {})
        try:
            await client.call(
                "StatusNotification",
                {"connectorId": -1, "errorCode": "NoError", "status": "Available"},
            )
        except CallErrorReceived:
            pass
        response = await api.post(f"/charge-points/{cp_id}/commands/ClearCache", json={})
        assert response.status_code == 200
        after = await scrape(server)
        assert after[("ampyre_connected_charge_points", (("where", "here"),))] >= 1

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert grew("ampyre_ocpp_answer_seconds_count", action="Heartbeat") >= 1
    assert grew("ampyre_ocpp_answer_seconds_bucket", action="Heartbeat", le="+Inf") >= 1
    assert (
        grew(
            "ampyre_ocpp_errors_total",
            action="StatusNotification",
            code="PropertyConstraintViolation",
        )
        >= 1
    )
    assert grew("ampyre_commands_total", action="ClearCache", outcome="answered") >= 1
    assert after[("process_resident_memory_bytes", ())] > 0
    assert ("ampyre_event_loop_lag_seconds", (("of", "worst"),)) in after
    assert grew("ampyre_db_batches_total") >= 1
    # The message log: the 8 frames above are written or still waiting, none dropped.
    assert grew("ampyre_message_log_written_total") + after[("ampyre_message_log_waiting", ())] >= 8
    assert grew("ampyre_message_log_dropped_total") == 0
