"""Server settings: every `ampyre serve` flag, each also read from an `AMPYRE_*` variable.

A setting is one field of `Settings`: its type and constraints, its default, its help
text (`description`). The `ampyre serve` flags are generated from these fields
(`ampyre.cli.options.settings_options`), each with the environment variable `AMPYRE_`
+ the field's name in capitals; `Flag` in a field's metadata covers the few flags that
are not simply `--field-name`.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, FilePath, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ENV_PREFIX = "AMPYRE_"


@dataclass(frozen=True, slots=True)
class Flag:
    """How a setting's `ampyre serve` flag differs from the one its field implies."""

    #: The flag, when not `--field-name` (e.g. `--database` for `database_url`).
    name: str | None = None
    #: Left out of `--help` (for tests and tuning, not for operators).
    hidden: bool = False
    #: A directory, created when missing (must not be a file).
    directory: bool = False


class Settings(BaseSettings):
    """Every setting of a server. `Settings()` reads `AMPYRE_*` environment variables;
    keyword arguments win over them (the CLI passes every value it resolved)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        # Like click, which reads the same variables: an empty variable is not set.
        env_ignore_empty=True,
        extra="forbid",
        frozen=True,
    )

    host: str = Field("127.0.0.1", description="Address to listen on.")
    port: int = Field(
        8180, description="Port for OCPP (ws://HOST:PORT/ocpp/ID), REST API and web console."
    )
    database_url: Annotated[str, Flag(name="--database")] = Field(
        "sqlite:///ampyre.db",
        description="sqlite:///PATH or postgresql://user@host/db "
        "(also the +aiosqlite/+asyncpg forms).",
    )
    api_token: str | None = Field(
        None,
        description="A full-rights (admin) token for the REST API, kept in memory only. "
        "Without it, the first start creates account admin and prints its token once "
        "(stored hashed; `ampyre token` makes another).",
    )
    console_session_hours: float = Field(
        12.0,
        gt=0,
        le=24 * 90,
        description="How long a web console sign-in (account name and password) lasts.",
    )
    auto_register: bool = Field(
        False, description="Accept unknown charge point identities, registering them on connect."
    )
    tls_cert: FilePath | None = Field(
        None, description="Serve TLS (wss://, https://) with this certificate (PEM)."
    )
    tls_key: FilePath | None = Field(None, description="Private key (PEM) of --tls-cert.")
    tls_client_ca: FilePath | None = Field(
        None,
        description="Ask for client certificates and verify them against this CA "
        "(security profile 3).",
    )
    #: Read once at start (`services/firmware_signing.py`); never shown or logged.
    firmware_signing_key: FilePath | None = Field(
        None,
        description="Private key (PEM, RSA or EC, readable by its owner only) that signs "
        "hosted firmware for SignedUpdateFirmware.",
    )
    firmware_signing_certificate: FilePath | None = Field(
        None, description="Certificate (PEM) of --firmware-signing-key, sent to charge points."
    )
    #: Also how long a Pending or Rejected charge point waits before booting again.
    heartbeat_interval: int = Field(
        300,
        ge=1,
        description="Heartbeat interval given to charge points in BootNotification (s).",
    )
    #: WebSocket ping interval and pong timeout: a silent charge point shows offline
    #: within interval + timeout seconds.
    ws_ping_interval: float = Field(
        20.0, ge=0, description="WebSocket ping interval (s); 0 turns pings off."
    )
    ws_ping_timeout: float = Field(
        20.0,
        ge=0.1,
        description="A charge point that does not answer a ping within this time is offline.",
    )
    max_message_size: int = Field(
        1024 * 1024, ge=1024, description="Largest OCPP message accepted (bytes)."
    )
    #: The one default of every REST request that waits for a charge point's answer
    #: (`?timeout=` overrides it per request; `ampyre.api.dependencies.call_timeout`).
    call_timeout: float = Field(
        30.0,
        ge=0.1,
        description="Default time a command waits for the charge point's answer (s).",
    )
    remote_start_timeout: float = Field(
        180.0,
        ge=1,
        description="How long a remote start waits for the charge point's StartTransaction (s).",
    )
    trigger_arrival_window: float = Field(
        60.0,
        ge=0.1,
        description="How long the message an accepted TriggerMessage asked for is awaited (s).",
    )
    sweep_interval: Annotated[float, Flag(hidden=True)] = Field(
        5.0,
        ge=0.05,
        description="Housekeeping period (s): reservation expiry, remote start time-outs.",
    )
    #: Off by default: the CSMS sends nothing the operator did not ask for.
    fetch_configuration_on_boot: bool = Field(
        False, description="Send GetConfiguration after each accepted boot and keep the answer."
    )
    data_dir: Annotated[str, Flag(directory=True)] = Field(
        "ampyre-data",
        description="Where hosted firmware and received diagnostics files are kept.",
    )
    public_url: str | None = Field(
        None,
        description="Base URL charge points reach this server by (firmware and upload "
        "locations). Default: the base URL of the operator's request.",
    )
    max_upload_size: int = Field(
        256 * 1024 * 1024,
        ge=1,
        description="Largest firmware or diagnostics upload accepted (bytes); larger ones get 413.",
    )
    ftp_port: int | None = Field(
        None,
        ge=0,
        le=65535,
        description="Run the FTP server for diagnostics uploads on this port (off by default).",
    )
    ftp_host: str | None = Field(
        None, description="Address the FTP server listens on. Default: --host."
    )
    #: Written FIRST-LAST on the command line and in the environment.
    ftp_passive_ports: Annotated[tuple[int, int] | None, NoDecode] = Field(
        None,
        description="Port range for FTP passive data connections, e.g. 60000-60100. Default: any.",
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="debug logs one line per OCPP message."
    )
    trusted_proxies: str | None = Field(
        None,
        description="Comma-separated addresses or networks of reverse proxies whose "
        "X-Forwarded-Proto/-For headers are believed (a proxy terminating TLS makes "
        "ws:// count as TLS for security profile 2). Default: none.",
    )
    workers: int = Field(
        1,
        ge=1,
        le=64,
        description="Server processes on the one port (more than 1 needs --redis: a "
        "command reaches a charge point in any of them as across nodes).",
    )
    log_format: Literal["text", "json"] = Field(
        "text",
        description="json: one JSON object per line (time, level, logger, message, "
        "chargePointId), for log collectors.",
    )
    redis_url: Annotated[str | None, Flag(name="--redis")] = Field(
        None,
        description="Join the nodes that share this Redis and the same PostgreSQL --database "
        "(e.g. redis://127.0.0.1:6379/0). Default: a single node.",
    )
    webhook_attempts: int = Field(
        8,
        ge=1,
        le=100,
        description="Attempts to deliver an event to a webhook before it is marked failed.",
    )
    webhook_backoff: float = Field(
        60.0,
        ge=0.05,
        le=86400,
        description="Wait (s) before a webhook's second attempt; doubled for each one after "
        "(60 and 8 attempts: the last about 2 h after the first).",
    )
    webhook_timeout: float = Field(
        10.0,
        gt=0,
        le=300,
        description="How long (s) one webhook POST may take before it counts as failed.",
    )
    webhook_max_pending: int = Field(
        10_000,
        ge=1,
        le=10_000_000,
        description="Undelivered events kept per webhook; past it the oldest are dropped "
        "(and counted).",
    )

    ca_organization: str = Field(
        "Ampyre",
        min_length=1,
        max_length=64,
        description="The operator's organisation: the O every charge point CSR must carry "
        "(the charge points' CpoName), and the O of the CA Ampyre creates.",
    )
    ca_cert: FilePath | None = Field(
        None,
        description="Sign charge point certificates with this CA certificate (PEM) instead of "
        "the one Ampyre creates in --data-dir/ca.",
    )
    ca_key: FilePath | None = Field(None, description="Private key (PEM) of --ca-cert.")
    ca_sign_command: str | None = Field(
        None,
        description="Have an external CA sign instead: a command that reads a CSR (PEM) on "
        "stdin and writes the certificate chain (PEM, charge point certificate first) on "
        "stdout; AMPYRE_CHARGE_POINT_ID names the charge point.",
    )
    certificate_validity_days: int = Field(
        365, ge=1, le=3650, description="How long a charge point certificate the CA signs is valid."
    )
    certificate_renew_days: int = Field(
        30,
        ge=0,
        description="Ask a connected charge point for a new certificate (ExtendedTriggerMessage) "
        "when its certificate has fewer days left; 0: never.",
    )
    message_log: bool = Field(
        True,
        description="Keep every OCPP frame in and out, per charge point "
        "(GET /api/v1/charge-points/ID/messages).",
    )
    message_log_retention: float = Field(
        168.0,
        gt=0,
        description="How long the OCPP message log keeps a frame (hours; default 7 days).",
    )

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        from ampyre.storage.database import normalize_url

        normalize_url(value)  # DatabaseURLError is a ValueError
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _trusted_proxies(cls, value: str | None) -> str | None:
        if value:
            for part in value.split(","):
                try:
                    ipaddress.ip_network(part.strip(), strict=False)
                except ValueError:
                    raise ValueError(f"not an address or network: {part.strip()!r}") from None
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("use http(s)://HOST[:PORT][/PATH]")
        return value

    @field_validator("ftp_passive_ports", mode="before")
    @classmethod
    def _parse_port_range(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if not value:
            return None
        low, _, high = value.partition("-")
        try:
            return int(low), int(high or low)
        except ValueError:
            raise ValueError("use FIRST-LAST, e.g. 60000-60100") from None

    @field_validator("ftp_passive_ports")
    @classmethod
    def _port_range(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        if value is not None and not 0 < value[0] <= value[1] <= 65535:
            raise ValueError("ports must be 1-65535, FIRST <= LAST")
        return value

    @model_validator(mode="after")
    def _tls(self) -> Settings:
        if bool(self.tls_cert) != bool(self.tls_key):
            raise ValueError("--tls-cert and --tls-key go together")
        if self.tls_client_ca and not self.tls_cert:
            raise ValueError("--tls-client-ca needs --tls-cert and --tls-key")
        return self

    @model_validator(mode="after")
    def _ca(self) -> Settings:
        if bool(self.ca_cert) != bool(self.ca_key):
            raise ValueError("--ca-cert and --ca-key go together")
        if self.ca_cert and self.ca_key:
            _check_ca_pair(self.ca_cert, self.ca_key)
        if self.certificate_renew_days >= self.certificate_validity_days:
            raise ValueError(
                "--certificate-renew-days must be fewer than --certificate-validity-days "
                "(a new certificate would be due for renewal at once)"
            )
        return self

    @model_validator(mode="after")
    def _firmware_signing(self) -> Settings:
        if bool(self.firmware_signing_key) != bool(self.firmware_signing_certificate):
            raise ValueError(
                "--firmware-signing-key and --firmware-signing-certificate go together"
            )
        if self.firmware_signing_key and self.firmware_signing_certificate:
            from ampyre.services.firmware_signing import FirmwareSigner

            # Refused before the server starts: an owner-only key of this certificate.
            FirmwareSigner.from_files(self.firmware_signing_key, self.firmware_signing_certificate)
        return self

    @model_validator(mode="after")
    def _cluster(self) -> Settings:
        if self.redis_url and not self.database_url.startswith(("postgresql", "postgres:")):
            raise ValueError("--redis joins nodes sharing a PostgreSQL --database")
        if self.workers > 1 and not self.redis_url:
            raise ValueError(
                "--workers above 1 needs --redis (and PostgreSQL): the workers are "
                "nodes of one cluster"
            )
        return self


def _check_ca_pair(cert_path: Path, key_path: Path) -> None:
    """The operator's CA files are found broken at start, not at the first SignCertificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
    except ValueError:
        raise ValueError(f"--ca-cert {cert_path}: not a PEM certificate") from None
    try:
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (ValueError, TypeError):
        raise ValueError(f"--ca-key {key_path}: not an unencrypted PEM private key") from None
    if key.public_key() != certificate.public_key():
        raise ValueError("--ca-key is not the key of --ca-cert")


def env_var(name: str) -> str:
    """The environment variable of the setting `name` (a field of `Settings`)."""
    return f"{ENV_PREFIX}{name.upper()}"


def setting_default(name: str) -> Any:
    """The default of the setting `name`, for commands that share it with the server."""
    return Settings.model_fields[name].get_default(call_default_factory=True)
