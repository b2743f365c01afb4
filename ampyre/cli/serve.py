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
    "--trigger-arrival-window",
    envvar="AMPYRE_TRIGGER_ARRIVAL_WINDOW",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="How long the message an accepted TriggerMessage asked for is awaited (s).",
)
@click.option(
    "--sweep-interval",
    envvar="AMPYRE_SWEEP_INTERVAL",
    default=5.0,
    type=click.FloatRange(min=0.05),
    hidden=True,
    help="Housekeeping period (s): reservation expiry, remote start time-outs.",
)
@click.option(
    "--fetch-configuration-on-boot/--no-fetch-configuration-on-boot",
    envvar="AMPYRE_FETCH_CONFIGURATION_ON_BOOT",
    default=False,
    show_default=True,
    help="Send GetConfiguration after each accepted boot and keep the answer.",
)
@click.option(
    "--data-dir",
    envvar="AMPYRE_DATA_DIR",
    default="ampyre-data",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Where hosted firmware and received diagnostics files are kept.",
)
@click.option(
    "--public-url",
    envvar="AMPYRE_PUBLIC_URL",
    default=None,
    help="Base URL charge points reach this server by (firmware and upload locations). "
    "Default: the base URL of the operator's request.",
)
@click.option(
    "--max-upload-size",
    envvar="AMPYRE_MAX_UPLOAD_SIZE",
    default=256 * 1024 * 1024,
    show_default=True,
    type=click.IntRange(min=1),
    help="Largest firmware or diagnostics upload accepted (bytes); larger ones get 413.",
)
@click.option(
    "--ftp-port",
    envvar="AMPYRE_FTP_PORT",
    default=None,
    type=click.IntRange(min=0, max=65535),
    help="Run the FTP server for diagnostics uploads on this port (off by default).",
)
@click.option(
    "--ftp-host",
    envvar="AMPYRE_FTP_HOST",
    default=None,
    help="Address the FTP server listens on. Default: --host.",
)
@click.option(
    "--ftp-passive-ports",
    envvar="AMPYRE_FTP_PASSIVE_PORTS",
    default=None,
    callback=lambda ctx, param, value: _port_range(value),
    help="Port range for FTP passive data connections, e.g. 60000-60100. Default: any.",
)
@click.option(
    "--log-level",
    envvar="AMPYRE_LOG_LEVEL",
    default="info",
    show_default=True,
    type=click.Choice(["debug", "info", "warning", "error"]),
    help="debug logs one line per OCPP message.",
)
@click.option(
    "--redis",
    "redis_url",
    envvar="AMPYRE_REDIS_URL",
    default=None,
    help="Join the nodes that share this Redis and the same PostgreSQL --database "
    "(e.g. redis://127.0.0.1:6379/0). Default: a single node.",
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
    trigger_arrival_window: float,
    sweep_interval: float,
    fetch_configuration_on_boot: bool,
    data_dir: str,
    public_url: str | None,
    max_upload_size: int,
    ftp_port: int | None,
    ftp_host: str | None,
    ftp_passive_ports: tuple[int, int] | None,
    log_level: str,
    redis_url: str | None,
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
    if public_url and not public_url.startswith(("http://", "https://")):
        raise click.BadParameter("use http(s)://HOST[:PORT][/PATH]", param_hint="--public-url")
    try:
        normalized = normalize_url(database)
    except DatabaseURLError as exc:
        raise click.BadParameter(str(exc), param_hint="--database") from None
    if redis_url and normalized.get_backend_name() != "postgresql":
        raise click.UsageError("--redis joins nodes sharing a PostgreSQL --database")
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
            trigger_arrival_window=trigger_arrival_window,
            sweep_interval=sweep_interval,
            fetch_configuration_on_boot=fetch_configuration_on_boot,
            data_dir=data_dir,
            public_url=public_url,
            max_upload_size=max_upload_size,
            ftp_port=ftp_port,
            ftp_host=ftp_host,
            ftp_passive_ports=ftp_passive_ports,
            log_level=log_level,
            redis_url=redis_url,
        )
    )


def _port_range(value: str | None) -> tuple[int, int] | None:
    if not value:
        return None
    low, _, high = value.partition("-")
    try:
        first, last = int(low), int(high or low)
    except ValueError:
        raise click.BadParameter("use FIRST-LAST, e.g. 60000-60100") from None
    if not 0 < first <= last <= 65535:
        raise click.BadParameter("ports must be 1-65535, FIRST <= LAST")
    return first, last
