"""Client certificates (security profile 3).

uvicorn verifies a client certificate against `--tls-client-ca` during the TLS handshake;
the OCPP endpoint checks that the certificate belongs to the charge point that connects
(security whitepaper A00.FR.405) by its subject's commonName. Certificates are asked for,
not required, so operators reach the REST API without one.
"""

from __future__ import annotations

from typing import Any


def client_common_name(peercert: Any) -> str | None:
    """The commonName of a verified peer certificate (`SSLSocket.getpeercert()` form)."""
    if not peercert:
        return None
    for rdn in peercert.get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return str(value)
    return None
