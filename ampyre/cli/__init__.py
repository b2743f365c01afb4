"""The `ampyre` command line: serve, operator sub-commands and the simulator."""

from __future__ import annotations

import click

from ampyre import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="ampyre")
def main() -> None:
    """Ampyre, an OCPP 1.6-J Charging Station Management System.

    Start the server with `ampyre serve`; manage it from a shell with the other
    sub-commands, which talk to a running server's REST API or directly to its database.
    """


def _register_commands() -> None:
    from ampyre.cli import (
        accounts,
        admin,
        bench,
        firmware,
        local_list,
        messages,
        reservations,
        serve,
        simulate,
        smart_charging,
        triggers,
    )

    main.add_command(serve.serve)
    admin.charge_point.add_command(messages.messages)
    for command in [
        *admin.COMMANDS,
        *accounts.COMMANDS,
        *local_list.COMMANDS,
        *firmware.COMMANDS,
        *smart_charging.COMMANDS,
        *reservations.COMMANDS,
        *triggers.COMMANDS,
    ]:
        main.add_command(command)
    main.add_command(simulate.simulate)
    main.add_command(bench.bench)


_register_commands()
