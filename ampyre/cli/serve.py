"""`ampyre serve`: the whole CSMS in one process on one port."""

from __future__ import annotations

from typing import Any

import click

from ampyre.cli.options import settings_from_cli, settings_options


@click.command()
@settings_options
def serve(**values: Any) -> None:
    """Start the CSMS: OCPP endpoint, REST API and web console on one port.

    Charge points connect to ws://HOST:PORT/ocpp/{chargePointId} with subprotocol
    ocpp1.6; the REST API is at http://HOST:PORT/api/v1 (OpenAPI at /docs). The schema is
    created or migrated on start. Every flag also reads an AMPYRE_* environment variable.
    """
    from ampyre.server import run

    run(settings_from_cli(values))
