"""The CLI's own rules, without a server: names, help, one-line errors, event lines."""

from __future__ import annotations

from collections.abc import Iterator

import click
from click.testing import CliRunner

from ampyre.cli import main
from ampyre.cli.events import describe, parse_stream
from tests.server import free_port


def commands(group: click.Group, path: str = "ampyre") -> Iterator[tuple[str, click.Command]]:
    for name, command in group.commands.items():
        yield f"{path} {name}", command
        if isinstance(command, click.Group):
            yield from commands(command, f"{path} {name}")


def test_every_option_with_an_environment_variable_shows_it_in_help() -> None:
    for path, command in commands(main):
        for param in command.params:
            if isinstance(param, click.Option) and param.envvar and not param.hidden:
                assert param.show_envvar, f"{path} {param.opts[0]}"
    for args, variable in [
        (["charge-point", "list"], "AMPYRE_URL"),
        (["events"], "AMPYRE_API_TOKEN"),
        (["simulate"], "AMPYRE_SIMULATE_URL"),
        (["serve"], "AMPYRE_DATABASE_URL"),
    ]:
        shown = CliRunner().invoke(main, [*args, "--help"])
        text = " ".join(shown.output.split())
        assert shown.exit_code == 0 and f"env var: {variable}" in text, args


def test_groups_are_singular_nouns_and_old_names_stay_as_hidden_aliases() -> None:
    groups = {name for name, c in main.commands.items() if isinstance(c, click.Group)}
    assert groups == {
        "account",
        "ca",
        "charge-point",
        "charging-profile",
        "diagnostics",
        "firmware",
        "id-tag",
        "local-list",
        "reservation",
        "transaction",
        "webhook",
    }
    listed = CliRunner().invoke(main, ["--help"]).output
    names = [line.split()[0] for line in listed.splitlines() if line.startswith("  ")]
    assert "transaction" in names and "transactions" not in names
    alias = CliRunner().invoke(main, ["transactions", "--help"])
    assert alias.exit_code == 0 and "--active / --finished" in alias.output


def test_errors_are_one_line() -> None:
    env = {"AMPYRE_URL": f"http://127.0.0.1:{free_port()}", "AMPYRE_API_TOKEN": "t"}
    for args in (
        ["charge-point", "list"],
        ["command", "CP-1", "Reset", '{"type": "Soft"}'],
        ["events"],
        ["id-tag", "block", "T1"],
    ):
        result = CliRunner().invoke(main, args, env=env)
        assert result.exit_code == 1, args
        assert result.output.startswith("Error: Cannot reach Ampyre at http://127.0.0.1:")
        assert len(result.output.strip().splitlines()) == 1 and result.exception is not None
    no_token = CliRunner().invoke(main, ["charge-point", "list"], env={"AMPYRE_API_TOKEN": ""})
    assert no_token.exit_code == 1 and "No API token" in no_token.output
    moved = CliRunner().invoke(main, ["charge-point", "list", "--database", "sqlite:///x.db"])
    assert moved.exit_code == 2 and "--url / AMPYRE_URL" in moved.output
    bad_payload = CliRunner().invoke(main, ["command", "CP-1", "Reset", "{bad"], env=env)
    assert bad_payload.exit_code == 2 and "not JSON" in bad_payload.output


def test_server_sent_events_are_parsed_and_described_on_one_line() -> None:
    stream = [
        ": ampyre events",
        "",
        "id: 7",
        "event: status",
        'data: {"id": 7, "type": "status", "chargePointId": "CP-1", "time": 0.5,',
        'data: "message": {"connectorId": 1, "status": "Charging"}, "answer": {}}',
        "",
        ": keepalive",
        "",
        'data: {"id": 8, "type": "connected", "chargePointId": "CP-1", "time": 1}',
        "",
    ]
    first, second = parse_stream(iter(stream))
    assert describe(first) == (
        '1970-01-01T00:00:00.500Z  status  CP-1  message={"connectorId":1,"status":"Charging"} '
        "answer={}"
    )
    assert describe(second) == "1970-01-01T00:00:01.000Z  connected  CP-1"


def test_an_unexpected_failure_is_one_line_too() -> None:
    from ampyre.cli import AmpyreGroup

    @click.group(cls=AmpyreGroup)
    def group() -> None:
        pass

    @group.command()
    def broken() -> None:
        raise RuntimeError("the disk is on fire\nand more")

    result = CliRunner().invoke(group, ["broken"])
    assert result.exit_code == 1
    assert result.output == (
        "Error: RuntimeError: the disk is on fire (AMPYRE_DEBUG=1 shows the traceback)\n"
    )
