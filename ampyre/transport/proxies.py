"""Which reverse proxies are believed when they say how a client connected.

A proxy that terminates TLS forwards `X-Forwarded-Proto: https`; from any other client
the header is a claim anyone can make, so it counts only from the configured addresses
(`--trusted-proxies`). Nobody is trusted by default.
"""

from __future__ import annotations

import ipaddress

from websockets.http11 import Request


class TrustedProxies:
    def __init__(self, spec: str | None = None) -> None:
        self.networks = [
            ipaddress.ip_network(part.strip(), strict=False)
            for part in (spec or "").split(",")
            if part.strip()
        ]

    def trusts(self, host: str | None) -> bool:
        if not self.networks or not host:
            return False
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def forwarded_tls(self, request: Request, peer_host: str | None) -> bool:
        """Whether a trusted proxy says the client reached it over TLS."""
        if not self.trusts(peer_host):
            return False
        proto = request.headers.get("X-Forwarded-Proto", "")
        # With several proxies in a row, the first one's word is the client's connection.
        return proto.split(",")[0].strip().lower() == "https"
