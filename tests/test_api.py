"""The REST API's own rules: authentication, CRUD, paging and error bodies."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from tests.conftest import unique
from tests.server import Server, wait_for


async def test_health_needs_no_token(server: Server) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{server.http_url}/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_everything_else_needs_the_token(server: Server) -> None:
    async with httpx.AsyncClient(base_url=f"{server.http_url}/api/v1") as client:
        assert (await client.get("/charge-points")).status_code == 401
        wrong = await client.get("/charge-points", headers={"Authorization": "Bearer wrong"})
        assert wrong.status_code == 401
        assert "detail" in wrong.json()
        assert (await client.post("/id-tags", json={"idTag": "X"})).status_code == 401


async def test_openapi_is_served(server: Server) -> None:
    async with httpx.AsyncClient() as client:
        spec = (await client.get(f"{server.http_url}/openapi.json")).json()
        docs = await client.get(f"{server.http_url}/docs")
    assert "/api/v1/charge-points/{charge_point_id}/commands/{action}" in spec["paths"]
    assert docs.status_code == 200
    # tests/unit/test_openapi.py checks the description itself; this, that it is served.
    listed = spec["paths"]["/api/v1/charge-points"]["get"]
    assert listed["operationId"] == "listChargePoints"
    assert "$ref" in listed["responses"]["200"]["content"]["application/json"]["schema"]


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_need_nothing_from_outside(server: Server, page: str) -> None:
    async with httpx.AsyncClient(base_url=server.http_url) as client:
        html = await client.get(page)
        assert html.status_code == 200 and "text/html" in html.headers["content-type"]
        outside = [
            url
            for url in re.findall(r"https?://[^\s\"'<>)]+", html.text)
            if not url.startswith(server.http_url)
        ]
        assert outside == [], outside
        assets = re.findall(r'(?:src|href|spec-url)="([^"]+)"', html.text)
        assert len(assets) >= 2, html.text
        for asset in assets:
            loaded = await client.get(asset)
            assert loaded.status_code == 200 and loaded.content, asset
        if page == "/docs":
            assert '"validatorUrl": null' in html.text  # no badge from validator.swagger.io
            assert (await client.get("/docs/oauth2-redirect")).status_code == 200


async def test_charge_point_crud(api: httpx.AsyncClient) -> None:
    identity = unique()
    created = await api.post("/charge-points", json={"id": identity})
    assert created.status_code == 201
    body = created.json()
    assert body["id"] == identity and body["connected"] is False
    assert body["registrationStatus"] == "Accepted" and body["securityProfile"] == 0
    assert body["connectors"] == []
    duplicate = await api.post("/charge-points", json={"id": identity})
    assert duplicate.status_code == 409 and identity in duplicate.json()["detail"]
    patched = await api.patch(f"/charge-points/{identity}", json={"registrationStatus": "Pending"})
    assert patched.json()["registrationStatus"] == "Pending"
    patched = await api.patch(f"/charge-points/{identity}", json={"password": "pw-123456"})
    assert patched.json()["securityProfile"] == 1
    bad = await api.patch(f"/charge-points/{identity}", json={"registrationStatus": "Maybe"})
    assert bad.status_code == 422 and isinstance(bad.json()["detail"], str)
    assert (await api.delete(f"/charge-points/{identity}")).status_code == 204
    assert (await api.get(f"/charge-points/{identity}")).status_code == 404
    assert (await api.delete(f"/charge-points/{identity}")).status_code == 404


async def test_security_profile_needs_a_password(api: httpx.AsyncClient) -> None:
    response = await api.post("/charge-points", json={"id": unique(), "securityProfile": 1})
    assert response.status_code == 422
    assert "password" in response.json()["detail"]


async def test_lists_are_paged(api: httpx.AsyncClient) -> None:
    for _ in range(3):
        await api.post("/charge-points", json={"id": unique("PAGE")})
    first = (await api.get("/charge-points", params={"limit": 2})).json()
    assert len(first["items"]) == 2 and first["total"] >= 3
    second = (await api.get("/charge-points", params={"limit": 2, "offset": 2})).json()
    assert {c["id"] for c in first["items"]}.isdisjoint({c["id"] for c in second["items"]})
    assert (await api.get("/charge-points", params={"limit": 0})).status_code == 422


async def test_id_tag_crud_is_case_insensitive(api: httpx.AsyncClient) -> None:
    tag = unique("Tag")[:20]
    created = await api.post(
        "/id-tags",
        json={"idTag": tag, "expiryDate": "2030-01-01T00:00:00+02:00", "parentIdTag": "GROUP"},
    )
    assert created.status_code == 201
    assert created.json()["expiryDate"] == "2029-12-31T22:00:00.000Z"
    assert (await api.post("/id-tags", json={"idTag": tag.upper()})).status_code == 409
    fetched = await api.get(f"/id-tags/{tag.lower()}")
    assert fetched.json()["idTag"] == tag and fetched.json()["status"] == "Accepted"
    patched = await api.patch(f"/id-tags/{tag}", json={"status": "Blocked"})
    assert patched.json()["status"] == "Blocked"
    assert (await api.post("/id-tags", json={"idTag": "X" * 21})).status_code == 422
    assert (await api.post("/id-tags", json={"idTag": "Y", "status": "Nope"})).status_code == 422
    assert (await api.delete(f"/id-tags/{tag.upper()}")).status_code == 204
    assert (await api.get(f"/id-tags/{tag}")).status_code == 404


async def test_unknown_transaction_is_404(api: httpx.AsyncClient) -> None:
    response = await api.get("/transactions/999999999")
    assert response.status_code == 404 and "999999999" in response.json()["detail"]


async def test_password_changes_keep_the_security_profile_sensible(
    api: httpx.AsyncClient,
) -> None:
    identity = unique()
    await api.post(
        "/charge-points", json={"id": identity, "password": "first-pass", "securityProfile": 2}
    )
    changed = await api.patch(f"/charge-points/{identity}", json={"password": "second-pass"})
    assert changed.json()["securityProfile"] == 2
    removed = await api.patch(f"/charge-points/{identity}", json={"password": None})
    assert removed.json()["securityProfile"] == 0 and removed.json()["hasPassword"] is False


async def test_last_seen_follows_every_message(
    server: Server, cp_id: str, api: httpx.AsyncClient
) -> None:
    from tests.ocpp_client import OcppClient

    async with OcppClient.connect(server.ws_url, cp_id) as client:
        await client.boot()
        booted = (await api.get(f"/charge-points/{cp_id}")).json()["lastSeen"]
        await asyncio.sleep(0.05)
        await client.call("Authorize", {"idTag": "WHOEVER"})

        async def later() -> str | None:
            # At once from the process holding the connection; from another worker or
            # node of a cluster within a quarter of a second.
            seen = (await api.get(f"/charge-points/{cp_id}")).json()["lastSeen"]
            return seen if seen > booted else None

        after = await wait_for(later, timeout=3)
    await asyncio.sleep(0.2)
    assert (await api.get(f"/charge-points/{cp_id}")).json()["lastSeen"] >= after


async def test_charge_point_ids_with_a_slash_are_refused(api: httpx.AsyncClient) -> None:
    response = await api.post("/charge-points", json={"id": "depot/4"})
    assert response.status_code == 422
    assert "/" in response.json()["detail"]


async def test_timestamps_without_a_zone_are_utc(api: httpx.AsyncClient) -> None:
    tag = unique("Z")[:20]
    created = await api.post("/id-tags", json={"idTag": tag, "expiryDate": "2031-05-01T10:00:00"})
    assert created.status_code == 201
    assert created.json()["expiryDate"] == "2031-05-01T10:00:00.000Z"
    bad = await api.post("/id-tags", json={"idTag": unique("Z")[:20], "expiryDate": "tomorrow"})
    assert bad.status_code == 422 and "expiryDate" in bad.json()["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/transactions/9223372036854775808",
        "/transactions?offset=9223372036854775808",
        "/charge-points?offset=99999999999999999999",
        "/reservations/9223372036854775808",
        "/remote-starts/9223372036854775808",
    ],
)
async def test_numbers_no_column_holds_are_422_not_500(api: httpx.AsyncClient, path: str) -> None:
    response = await api.get(path)
    assert response.status_code == 422, response.text
    assert "out of range" in response.json()["detail"]
