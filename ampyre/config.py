"""Server settings: every `ampyre serve` flag, each also read from `AMPYRE_*` variables."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8180
    database_url: str = "sqlite:///ampyre.db"
    api_token: str | None = None
    auto_register: bool = False
    tls_cert: str | None = None
    tls_key: str | None = None
    tls_client_ca: str | None = None
    #: BootNotification.conf interval: how often charge points send Heartbeat (seconds).
    heartbeat_interval: int = 300
    #: WebSocket ping interval and pong timeout: a silent charge point shows offline
    #: within interval + timeout seconds.
    ws_ping_interval: float = 20.0
    ws_ping_timeout: float = 20.0
    #: Largest WebSocket message accepted, in bytes.
    max_message_size: int = 1024 * 1024
    #: How long a command waits for the charge point's answer by default (seconds).
    call_timeout: float = 30.0
    #: How long a remote start waits for the charge point's StartTransaction (seconds).
    remote_start_timeout: float = 180.0
    #: How long the message an accepted TriggerMessage asked for is awaited (seconds).
    trigger_arrival_window: float = 60.0
    #: Housekeeping period (seconds): reservation expiry, remote start time-outs.
    sweep_interval: float = 5.0
    #: Ask every charge point for its whole configuration after an accepted boot (off:
    #: by default the CSMS sends nothing the operator did not ask for).
    fetch_configuration_on_boot: bool = False
    #: Where hosted firmware images and received diagnostics files are kept.
    data_dir: str = "ampyre-data"
    #: The base URL charge points reach this server by, for firmware and upload locations;
    #: None: the base URL of the operator's request.
    public_url: str | None = None
    #: Largest firmware or diagnostics upload accepted, in bytes.
    max_upload_size: int = 256 * 1024 * 1024
    #: The embedded FTP server for diagnostics uploads: off unless a port is given.
    ftp_port: int | None = None
    ftp_host: str | None = None
    ftp_passive_ports: tuple[int, int] | None = None
    log_level: str = "info"
    #: Redis shared by the nodes of a cluster (same PostgreSQL database); None: one node.
    redis_url: str | None = None
