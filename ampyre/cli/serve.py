"""`ampyre serve`: the whole CSMS in one process on one port."""

from __future__ import annotations

import click

from ampyre.cli.options import database_option
from ampyre.config import Settings


@click.command()
@click.option(
    "--host",
    envvar="AMPYRE_HOST",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on.",
)
@click.option(
    "--port",
    envvar="AMPYRE_PORT",
    default=8180,
    show_default=True,
    type=int,
    help="Port for OCPP (ws://HOST:PORT/ocpp/ID), REST API and web console.",
)
@database_option
@click.option(
    "--api-token",
    envvar="AMPYRE_API_TOKEN",
    default=None,
    help="Operator token for the REST API. Default: generated on first start, "
    "stored in the database and printed once.",
)
@click.option(
    "--auto-register/--no-auto-register",
    envvar="AMPYRE_AUTO_REGISTER",
    default=False,
    show_default=True,
    help="Accept unknown charge point identities, registering them on connect.",
)
@click.option(
    "--tls-cert",
    envvar="AMPYRE_TLS_CERT",
    type=click.Path(exists=True, dir_okay=False),
    help="Serve TLS (wss://, https://) with this certificate (PEM).",
)
@click.option(
    "--tls-key",
    envvar="AMPYRE_TLS_KEY",
    type=click.Path(exists=True, dir_okay=False),
    help="Private key (PEM) of --tls-cert.",
)
@click.option(
    "--tls-client-ca",
    envvar="AMPYRE_TLS_CLIENT_CA",
    type=click.Path(exists=True, dir_okay=False),
    help="Ask for client certificates and verify them against this CA (security profile 3).",
)
@click.option(
    "--heartbeat-interval",
    envvar="AMPYRE_HEARTBEAT_INTERVAL",
    default=300,
    show_default=True,
    type=click.IntRange(min=1),
    help="Heartbeat interval given to charge points in BootNotification (s).",
)
@click.option(
    "--ws-ping-interval",
    envvar="AMPYRE_WS_PING_INTERVAL",
    default=20.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="WebSocket ping interval (s); 0 turns pings off.",
)
@click.option(
    "--ws-ping-timeout",
    envvar="AMPYRE_WS_PING_TIMEOUT",
    default=20.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="A charge point that does not answer a ping within this time is offline.",
)
@click.option(
    "--max-message-size",
    envvar="AMPYRE_MAX_MESSAGE_SIZE",
    default=1024 * 1024,
    show_default=True,
    type=click.IntRange(min=1024),
    help="Largest OCPP message accepted (bytes).",
)
@click.option(
    "--call-timeout",
    envvar="AMPYRE_CALL_TIMEOUT",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Default time a command waits for the charge point's answer (s).",
)
@click.option(
    "--remote-start-timeout",
    envvar="AMPYRE_REMOTE_START_TIMEOUT",
    default=180.0,
    show_default=True,
    type=click.FloatRange(min=1),
    help="How long a remote start waits for the charge point's StartTransaction (s).",
)
@click.option(
    "--fetch-configuration-on-boot/--no-fetch-configuration-on-boot",
    envvar="AMPYRE_FETCH_CONFIGURATION_ON_BOOT",
    default=False,
    show_default=True,
    help="Send GetConfiguration after each accepted boot and keep the answer.",
)
@click.option(
    "--log-level",
    envvar="AMPYRE_LOG_LEVEL",
    default="info",
    show_default=True,
    type=click.Choice(["debug", "info", "warning", "error"]),
    help="debug logs one line per OCPP message.",
)
def serve(
    host: str,
    port: int,
    database: str,
    api_token: str | None,
    auto_register: bool,
    tls_cert: str | None,
    tls_key: str | None,
    tls_client_ca: str | None,
    heartbeat_interval: int,
    ws_ping_interval: float,
    ws_ping_timeout: float,
    max_message_size: int,
    call_timeout: float,
    remote_start_timeout: float,
    fetch_configuration_on_boot: bool,
    log_level: str,
) -> None:
    """Start the CSMS: OCPP endpoint, REST API and web console on one port.

    Charge points connect to ws://HOST:PORT/ocpp/{chargePointId} with subprotocol
    ocpp1.6; the REST API is at http://HOST:PORT/api/v1 (OpenAPI at /docs). The schema is
    created or migrated on start. Every flag also reads an AMPYRE_* environment variable.
    """
    from ampyre.server import run
    from ampyre.storage.database import DatabaseURLError, normalize_url

    if bool(tls_cert) != bool(tls_key):
        raise click.UsageError("--tls-cert and --tls-key go together")
    if tls_client_ca and not tls_cert:
        raise click.UsageError("--tls-client-ca needs --tls-cert and --tls-key")
    try:
        normalize_url(database)
    except DatabaseURLError as exc:
        raise click.BadParameter(str(exc), param_hint="--database") from None
    run(
        Settings(
            host=host,
            port=port,
            database_url=database,
            api_token=api_token,
            auto_register=auto_register,
            tls_cert=tls_cert,
            tls_key=tls_key,
            tls_client_ca=tls_client_ca,
            heartbeat_interval=heartbeat_interval,
            ws_ping_interval=ws_ping_interval,
            ws_ping_timeout=ws_ping_timeout,
            max_message_size=max_message_size,
            call_timeout=call_timeout,
            remote_start_timeout=remote_start_timeout,
            fetch_configuration_on_boot=fetch_configuration_on_boot,
            log_level=log_level,
        )
    )
