"""The WebSocket protocol under the OCPP endpoint: client certificates (profile 3).

uvicorn verifies a client certificate against `--tls-client-ca` during the handshake but
does not pass it to the application. This protocol adds the ASGI TLS extension's
`client_cert_name` (the subject's commonName) so the endpoint can check that the
certificate belongs to the charge point that connects (security whitepaper A00.FR.405).
Certificates are asked for, not required, so operators reach the REST API without one.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol


def client_common_name(peercert: Any) -> str | None:
    """The commonName of a verified peer certificate (`SSLSocket.getpeercert()` form)."""
    if not peercert:
        return None
    for rdn in peercert.get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return str(value)
    return None


class ClientCertificateWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's sans-I/O WebSocket protocol with the TLS client certificate in the scope.

    It also counts a refusal at the upgrade (an HTTP denial response) as a finished
    handshake, which uvicorn otherwise logs as an error for every refused charge point.
    """

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        peercert = self.transport.get_extra_info("peercert")
        extensions = self.scope.setdefault("extensions", {})
        assert extensions is not None
        extensions["tls"] = {"client_cert_name": client_common_name(peercert)}

    async def send(self, message: Any) -> None:
        await super().send(message)
        if message["type"] == "websocket.http.response.body" and not message.get("more_body"):
            self.handshake_complete = True
