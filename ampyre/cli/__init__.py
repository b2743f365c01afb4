"""The `ampyre` command line: serve, operator sub-commands and the simulator.

Naming: a group of commands is a singular noun, hyphenated (`charge-point`, `id-tag`,
`transaction`, `local-list`, `charging-profile`...) with verbs under it (`list`, `show`,
`add`, `update`, `remove`); a command of its own is a verb or what it shows (`serve`,
`simulate`, `command`, `trigger`, `events`, `audit-log`). Names used before this scheme
stay as hidden aliases, so scripts written against them keep working.
"""

from __future__ import annotations

import os
import traceback
from typing import Any

import click

from ampyre import __version__


class AmpyreGroup(click.Group):
    """The top-level group: hidden aliases for older names, and every error on one line."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.aliases: dict[str, click.Command] = {}

    def add_alias(self, name: str, command: click.Command) -> None:
        """`ampyre NAME ...` runs `command`; NAME is not listed in --help."""
        self.aliases[name] = command

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return super().get_command(ctx, cmd_name) or self.aliases.get(cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            # A bug or an unforeseen failure still ends as one line; the traceback is
            # there for whoever asks for it.
            if os.environ.get("AMPYRE_DEBUG"):
                traceback.print_exc()
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise click.ClickException(
                f"{type(exc).__name__}{': ' + reason if reason else ''}"
                " (AMPYRE_DEBUG=1 shows the traceback)"
            ) from None


@click.group(
    cls=AmpyreGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="ampyre")
def main() -> None:
    """Ampyre, an OCPP 1.6-J Charging Station Management System.

    Start the server with `ampyre serve`. The other sub-commands manage a running server
    through its REST API (--url / AMPYRE_URL and --token / AMPYRE_API_TOKEN); `migrate`,
    `token`, `account` and `audit-log` work on its database directly (--database /
    AMPYRE_DATABASE_URL), so that the first token can be made before anything else.
    """


def _register_commands() -> None:
    from ampyre.cli import (
        accounts,
        admin,
        bench,
        certificates,
        charge_points,
        commands,
        diagnostics,
        events,
        firmware,
        id_tags,
        local_list,
        messages,
        reservations,
        serve,
        simulate,
        smart_charging,
        transactions,
        triggers,
        webhooks,
    )

    assert isinstance(main, AmpyreGroup)
    main.add_command(serve.serve)
    charge_points.charge_point.add_command(messages.messages)
    for command in [
        *charge_points.COMMANDS,
        *id_tags.COMMANDS,
        *transactions.COMMANDS,
        *commands.COMMANDS,
        *events.COMMANDS,
        *admin.COMMANDS,
        *accounts.COMMANDS,
        *local_list.COMMANDS,
        *firmware.COMMANDS,
        *diagnostics.COMMANDS,
        *smart_charging.COMMANDS,
        *reservations.COMMANDS,
        *triggers.COMMANDS,
        *certificates.COMMANDS,
        *webhooks.COMMANDS,
    ]:
        main.add_command(command)
    main.add_command(simulate.simulate)
    main.add_command(bench.bench)
    for name, command in transactions.ALIASES.items():
        main.add_alias(name, command)


_register_commands()
