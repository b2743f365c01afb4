"""Running the CSMS: uvicorn with Ampyre's WebSocket, TLS and shutdown settings."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import ssl
from types import FrameType

import uvicorn

from ampyre.app import announce_bootstrap_token, create_app
from ampyre.config import Settings
from ampyre.logs import configure_logging
from ampyre.services.accounts import AccountService
from ampyre.storage.database import Database, normalize_url
from ampyre.transport.websocket import OcppWebSocketProtocol

#: A reconnect storm after a power cut: thousands of SYNs at once.
BACKLOG = 4096


def run(settings: Settings) -> None:
    """Bind the port, prepare the database, then serve: a start-up failure is one line."""
    # Everything the server creates (the SQLite database, uploaded firmware, received
    # diagnostics) holds operators' and drivers' data: readable by its owner only.
    os.umask(0o077)
    configure_logging(settings.log_level, settings.log_format)
    # Bound first: a port in use stops the start before anything else happens.
    listener = _listen(settings.host, settings.port)
    try:
        asyncio.run(prepare_database(settings))
    except Exception as exc:
        url = normalize_url(settings.database_url).render_as_string(hide_password=True)
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SystemExit(f"Error: cannot use the database {url}: {reason}") from None
    if settings.workers > 1:
        from ampyre.workers import Supervisor

        Supervisor(settings, listener).run()
        return
    serve(settings, [listener])


async def prepare_database(settings: Settings) -> None:
    """Migrate and make the first admin's token once, before any server process starts
    (with `--workers`, N processes would otherwise race for both)."""
    db = Database(settings.database_url)
    try:
        await db.migrate()
        await announce_bootstrap_token(AccountService(db), settings.api_token)
    finally:
        await db.dispose()


def _listen(host: str, port: int) -> socket.socket:
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        listener = socket.create_server((host, port), family=family, backlog=BACKLOG)
    except OSError as exc:
        raise SystemExit(f"Error: cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    listener.set_inheritable(True)  # the workers share it
    return listener


def serve(settings: Settings, sockets: list[socket.socket] | None = None, worker: int = 0) -> None:
    """One server process: on `sockets` when given (worker number `worker`), else on
    host and port."""
    configure_logging(settings.log_level, settings.log_format)
    # uvicorn re-raises the stop signal after its graceful shutdown; a stop that finished
    # cleanly should exit 0, so the handlers it restores (and re-raises into) do nothing.
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop_signal, _ignore)
    AmpyreServer(uvicorn_config(settings, worker)).run(sockets=sockets)


def uvicorn_config(settings: Settings, worker: int = 0) -> uvicorn.Config:
    return uvicorn.Config(
        create_app(settings, worker=worker),
        host=settings.host,
        port=settings.port,
        # OCPP frames go from the socket to the charge point's connection, not via ASGI.
        ws=OcppWebSocketProtocol,
        ws_max_size=settings.max_message_size,
        ws_ping_interval=settings.ws_ping_interval,
        ws_ping_timeout=settings.ws_ping_timeout,
        ws_per_message_deflate=True,
        ssl_certfile=settings.tls_cert,
        ssl_keyfile=settings.tls_key,
        ssl_ca_certs=settings.tls_client_ca,
        # Asked for, verified when given, required only of security profile 3 charge points.
        ssl_cert_reqs=ssl.CERT_OPTIONAL if settings.tls_client_ca else ssl.CERT_NONE,
        log_config=None,
        # REST: the proxies trusted with X-Forwarded-* (uvicorn's default when unset).
        forwarded_allow_ips=settings.trusted_proxies,
        log_level=settings.log_level,
        timeout_graceful_shutdown=10,
        backlog=BACKLOG,
        lifespan="on",
    )


class AmpyreServer(uvicorn.Server):
    """uvicorn, plus a drain step: in-flight OCPP messages are answered before the
    WebSockets close, so a charge point is never left without an answer it was owed."""

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        registry = getattr(getattr(self.config.app, "state", None), "registry", None)
        if registry is not None:
            await registry.drain(timeout=self.config.timeout_graceful_shutdown or 10)
        await super().shutdown(sockets)


def _ignore(signum: int, frame: FrameType | None) -> None:
    return None
