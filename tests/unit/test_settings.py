"""One place for settings: `Settings` fields, the `ampyre serve` flags made from them, and
their precedence (flag, else environment variable, else default). No server is started:
`ampyre.server.run` is replaced by a function that keeps the settings it was given."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result
from pydantic import ValidationError

from ampyre.cli import main
from ampyre.cli.options import flag_name, settings_from_cli
from ampyre.cli.serve import serve
from ampyre.config import Settings, env_var, setting_default

THIS_FILE = str(Path(__file__))

#: The defaults `ampyre serve` has always had (CONTRACT.md and the README's table).
DEFAULTS: dict[str, Any] = {
    "host": "127.0.0.1",
    "port": 8180,
    "database_url": "sqlite:///ampyre.db",
    "api_token": None,
    "console_session_hours": 12.0,
    "auto_register": False,
    "tls_cert": None,
    "tls_key": None,
    "tls_client_ca": None,
    "firmware_signing_key": None,
    "firmware_signing_certificate": None,
    "heartbeat_interval": 300,
    "ws_ping_interval": 20.0,
    "ws_ping_timeout": 20.0,
    "max_message_size": 1024 * 1024,
    "call_timeout": 30.0,
    "remote_start_timeout": 180.0,
    "trigger_arrival_window": 60.0,
    "sweep_interval": 5.0,
    "fetch_configuration_on_boot": False,
    "data_dir": "ampyre-data",
    "public_url": None,
    "max_upload_size": 256 * 1024 * 1024,
    "ftp_port": None,
    "ftp_host": None,
    "ftp_passive_ports": None,
    "log_level": "info",
    "trusted_proxies": None,
    "workers": 1,
    "log_format": "text",
    "redis_url": None,
    "webhook_attempts": 8,
    "webhook_backoff": 60.0,
    "webhook_timeout": 10.0,
    "webhook_max_pending": 10_000,
    "ca_organization": "Ampyre",
    "ca_cert": None,
    "ca_key": None,
    "ca_sign_command": None,
    "certificate_validity_days": 365,
    "certificate_renew_days": 30,
    "message_log": True,
    "message_log_retention": 168.0,
}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("AMPYRE_"):
            monkeypatch.delenv(name)


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[Settings]:
    """The settings `ampyre serve` would start a server with."""
    runs: list[Settings] = []
    monkeypatch.setattr("ampyre.server.run", runs.append)
    return runs


def run_serve(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, ["serve", *args], env=env)


def started_with(runs: list[Settings], *args: str, env: dict[str, str] | None = None) -> Settings:
    result = run_serve(*args, env=env)
    assert result.exit_code == 0, result.output
    assert len(runs) == 1
    return runs.pop()


def test_defaults_are_the_documented_ones() -> None:
    assert Settings().model_dump() == DEFAULTS
    assert list(Settings.model_fields) == list(DEFAULTS)


def test_settings_read_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AMPYRE_PORT", "9000")
    monkeypatch.setenv("AMPYRE_DATABASE_URL", "postgresql://ampyre@db/ampyre")
    monkeypatch.setenv("AMPYRE_AUTO_REGISTER", "true")
    monkeypatch.setenv("AMPYRE_FTP_PASSIVE_PORTS", "60000-60100")
    monkeypatch.setenv("AMPYRE_CALL_TIMEOUT", "")  # empty: not set, as for click
    monkeypatch.setenv("AMPYRE_URL", "http://elsewhere")  # another command's variable
    settings = Settings()
    assert settings.port == 9000
    assert settings.database_url == "postgresql://ampyre@db/ampyre"
    assert settings.auto_register is True
    assert settings.ftp_passive_ports == (60000, 60100)
    assert settings.call_timeout == 30.0
    # Keyword arguments win over the environment.
    assert Settings(port=9001).port == 9001


def test_serve_starts_with_the_defaults(started: list[Settings]) -> None:
    assert started_with(started).model_dump() == DEFAULTS


def test_serve_reads_environment_variables(started: list[Settings]) -> None:
    env = {
        "AMPYRE_HOST": "0.0.0.0",
        "AMPYRE_PORT": "9000",
        "AMPYRE_DATABASE_URL": "sqlite:///elsewhere.db",
        "AMPYRE_AUTO_REGISTER": "1",
        "AMPYRE_CALL_TIMEOUT": "12.5",
        "AMPYRE_SWEEP_INTERVAL": "0.5",
        "AMPYRE_FTP_PASSIVE_PORTS": "60000-60100",
        "AMPYRE_LOG_LEVEL": "debug",
    }
    settings = started_with(started, env=env)
    assert settings.host == "0.0.0.0"
    assert settings.port == 9000
    assert settings.database_url == "sqlite:///elsewhere.db"
    assert settings.auto_register is True
    assert settings.call_timeout == 12.5
    assert settings.sweep_interval == 0.5
    assert settings.ftp_passive_ports == (60000, 60100)
    assert settings.log_level == "debug"


def test_a_flag_beats_its_environment_variable(started: list[Settings]) -> None:
    env = {
        "AMPYRE_PORT": "9000",
        "AMPYRE_AUTO_REGISTER": "true",
        "AMPYRE_DATABASE_URL": "sqlite:///from-env.db",
        "AMPYRE_CALL_TIMEOUT": "99",
    }
    settings = started_with(
        started,
        "--port",
        "9001",
        "--no-auto-register",
        "--database",
        "sqlite:///from-flag.db",
        env=env,
    )
    assert settings.port == 9001
    assert settings.auto_register is False
    assert settings.database_url == "sqlite:///from-flag.db"
    # Not given as a flag: the environment variable.
    assert settings.call_timeout == 99.0


def test_only_click_reads_the_environment_in_the_cli(
    started: list[Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    """pydantic-settings would also read `ampyre_port` (it ignores case); click reads
    exactly `AMPYRE_PORT`. The CLI passes every value, so click's reading is the one."""
    settings = started_with(started, env={"ampyre_port": "9000"})
    assert settings.port == 8180
    # And commands that build Settings for one value take the others' defaults.
    monkeypatch.setenv("AMPYRE_DATA_DIR", "/elsewhere")
    settings = settings_from_cli({"database_url": "sqlite:///x.db"})
    assert settings.data_dir == DEFAULTS["data_dir"]
    assert settings.database_url == "sqlite:///x.db"


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--heartbeat-interval", "0"], {}, "0 is not in the range x>=1"),
        (["--ws-ping-timeout", "0"], {}, "not in the range x>=0.1"),
        (["--ftp-port", "70000"], {}, "not in the range 0<=x<=65535"),
        ([], {"AMPYRE_PORT": "eighty"}, "'eighty' is not a valid integer"),
        (["--log-level", "loud"], {}, "'loud' is not one of"),
        (["--ftp-passive-ports", "many"], {}, "--ftp-passive-ports: use FIRST-LAST"),
        ([], {"AMPYRE_FTP_PASSIVE_PORTS": "9-1"}, "ports must be 1-65535, FIRST <= LAST"),
        (["--public-url", "ftp://x"], {}, "--public-url: use http(s)://HOST"),
        (["--database", "mysql://x/y"], {}, "--database: Unsupported database 'mysql'"),
        (["--tls-cert", THIS_FILE], {}, "--tls-cert and --tls-key go together"),
        (["--tls-client-ca", THIS_FILE], {}, "--tls-client-ca needs --tls-cert"),
        (["--tls-cert", "no-such-file.pem"], {}, "'no-such-file.pem' does not exist"),
    ],
)
def test_a_bad_value_is_a_one_line_usage_error(
    started: list[Settings], args: list[str], env: dict[str, str], message: str
) -> None:
    result = run_serve(*args, env=env)
    assert result.exit_code == 2, result.output
    assert not started
    assert "Traceback" not in result.output
    error = result.output.strip().splitlines()[-1]
    assert error.startswith("Error: ")
    assert message in error


def test_settings_refuse_bad_combinations_outside_the_cli(tmp_path: Path) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_text("")
    with pytest.raises(ValidationError, match="go together"):
        Settings(tls_cert=cert)
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        Settings(heartbeat_interval=0)
    with pytest.raises(ValidationError, match="FIRST <= LAST"):
        Settings(ftp_passive_ports=(2, 1))


def test_every_setting_has_its_flag() -> None:
    options = {param.name: param for param in serve.params if isinstance(param, click.Option)}
    assert set(options) == set(Settings.model_fields)
    for name, field in Settings.model_fields.items():
        option = options[name]
        assert option.envvar == env_var(name)
        assert option.default == setting_default(name) == field.default
        assert option.help == field.description
        assert flag_name(name) in option.opts
    assert options["database_url"].opts == ["--database"]
    assert options["database_url"].envvar == "AMPYRE_DATABASE_URL"
    assert options["auto_register"].secondary_opts == ["--no-auto-register"]
    assert options["sweep_interval"].hidden


def test_help_shows_every_flag_with_its_variable() -> None:
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    for name, field in Settings.model_fields.items():
        option = f"{flag_name(name)} "
        if name == "sweep_interval":
            assert option not in text
            continue
        assert option in text or f"{flag_name(name)}/" in text.replace(" / ", "/")
        assert f"env var: {env_var(name)}" in text
        assert " ".join(str(field.description).split()) in text


def test_the_readme_lists_every_flag_with_its_variable() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    rows = [line for line in readme.splitlines() if line.startswith("| `--")]
    for name in Settings.model_fields:
        if name == "sweep_interval":  # hidden: not for operators
            continue
        row = next((r for r in rows if r.startswith(f"| `{flag_name(name)}")), None)
        assert row is not None, f"README: no row for {flag_name(name)}"
        assert f"`{env_var(name)}`" in row


def test_firmware_signing_key_and_certificate(tmp_path: Path) -> None:
    from tests.certificates import make_signing_pair

    pair = make_signing_pair(tmp_path)
    settings = Settings(firmware_signing_key=pair["key"], firmware_signing_certificate=pair["cert"])
    assert settings.firmware_signing_key == pair["key"]
    with pytest.raises(ValidationError, match="go together"):
        Settings(firmware_signing_key=pair["key"])
    pair["key"].chmod(0o644)
    with pytest.raises(ValidationError, match="readable by its owner only"):
        Settings(firmware_signing_key=pair["key"], firmware_signing_certificate=pair["cert"])
