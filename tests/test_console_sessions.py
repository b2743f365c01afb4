"""Signing in to the web console with an account's name and password (`/session`)."""

from __future__ import annotations

import httpx

from tests.conftest import unique
from tests.server import Server

PASSWORD = "correct horse battery"


async def account_with_password(api: httpx.AsyncClient, role: str) -> str:
    name = unique(role)
    created = await api.post("/accounts", json={"name": name, "role": role, "password": PASSWORD})
    assert created.status_code == 201, created.text
    return name


def browser(server: Server) -> httpx.AsyncClient:
    """A client without a token: what it may do, its cookies decide."""
    return httpx.AsyncClient(base_url=f"{server.http_url}/api/v1", timeout=30)


async def test_sign_in_sets_a_safe_cookie_that_acts_as_the_account(
    server: Server, api: httpx.AsyncClient
) -> None:
    name = await account_with_password(api, "operator")
    async with browser(server) as page:
        assert (await page.get("/charge-points")).status_code == 401
        wrong = await page.post("/session", json={"name": name, "password": "not it at all"})
        assert wrong.status_code == 401
        assert wrong.json()["detail"] == "Wrong account name or password"
        nobody = await page.post("/session", json={"name": "nobody", "password": PASSWORD})
        assert nobody.status_code == 401 and nobody.json() == wrong.json()

        signed_in = await page.post("/session", json={"name": name, "password": PASSWORD})
        assert signed_in.status_code == 200, signed_in.text
        assert signed_in.json()["account"] == name and signed_in.json()["role"] == "operator"
        cookie = signed_in.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
        assert "secure" not in cookie  # served over plain HTTP here

        assert (await page.get("/charge-points")).status_code == 200
        assert (await page.get("/session")).json()["account"] == name
        # A change with the cookie alone could come from another site's page: refused.
        cross_site = await page.post("/id-tags", json={"idTag": unique("TAG")})
        assert cross_site.status_code == 403
        assert "X-Requested-With" in cross_site.json()["detail"]
        console = {"X-Requested-With": "ampyre-console"}
        made = await page.post("/id-tags", json={"idTag": unique("TAG")}, headers=console)
        assert made.status_code == 201, made.text
        # The role still applies: an operator does not manage accounts.
        assert (await page.get("/accounts")).status_code == 403

        # The sign-in is a token of the account, listed like the others.
        tokens = (await api.get(f"/accounts/{name}/tokens")).json()["items"]
        assert [t["description"] for t in tokens] == ["console sign-in"]
        assert tokens[0]["expiresAt"] is not None

        signed_out = await page.delete("/session", headers=console)
        assert signed_out.status_code == 204
        assert (await page.get("/charge-points")).status_code == 401
    tokens = (await api.get(f"/accounts/{name}/tokens")).json()["items"]
    assert tokens[0]["state"] == "revoked"


async def test_failed_sign_ins_are_throttled(server: Server, api: httpx.AsyncClient) -> None:
    name = await account_with_password(api, "viewer")
    async with browser(server) as page:
        statuses = [
            (
                await page.post("/session", json={"name": name, "password": "wrong guess"})
            ).status_code
            for _ in range(12)
        ]
        assert statuses[0] == 401 and statuses[-1] == 429
        # Refused without a check while throttled, even with the right password.
        right = await page.post("/session", json={"name": name, "password": PASSWORD})
        assert right.status_code == 429
        assert "wait" in right.json()["detail"]


async def test_accounts_without_a_password_cannot_sign_in(
    server: Server, api: httpx.AsyncClient
) -> None:
    name = unique("viewer")
    await api.post("/accounts", json={"name": name, "role": "viewer"})
    async with browser(server) as page:
        response = await page.post("/session", json={"name": name, "password": PASSWORD})
        assert response.status_code == 401
        bad = await page.post("/session", json={"name": name})
        assert bad.status_code == 422
