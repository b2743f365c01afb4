"""Which proxies' X-Forwarded-Proto is believed (`transport/proxies.py`)."""

from __future__ import annotations

from websockets.datastructures import Headers
from websockets.http11 import Request

from ampyre.transport.proxies import TrustedProxies


def request(proto: str | None) -> Request:
    headers = Headers()
    if proto is not None:
        headers["X-Forwarded-Proto"] = proto
    return Request("/ocpp/CP-1", headers)


def test_nobody_is_trusted_by_default() -> None:
    assert not TrustedProxies().forwarded_tls(request("https"), "127.0.0.1")
    assert not TrustedProxies("").trusts("127.0.0.1")


def test_only_configured_addresses_and_networks() -> None:
    proxies = TrustedProxies("10.0.0.0/8, 192.168.1.7, ::1")
    assert proxies.forwarded_tls(request("https"), "10.1.2.3")
    assert proxies.forwarded_tls(request("HTTPS, http"), "192.168.1.7")
    assert proxies.forwarded_tls(request("https"), "::1")
    assert not proxies.forwarded_tls(request("https"), "192.168.1.8")
    assert not proxies.forwarded_tls(request("http"), "10.1.2.3")
    assert not proxies.forwarded_tls(request(None), "10.1.2.3")
    assert not proxies.trusts("not-an-address")
    assert not proxies.trusts(None)
