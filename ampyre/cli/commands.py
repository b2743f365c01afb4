"""`ampyre command CP-1 Reset '{"type": "Soft"}'`: any CSMS-initiated OCPP message.

The generic commands endpoint of the running server does the work (schema check, the
registration rule, sending, recording what the answer means); this prints the charge
point's answer as JSON, or the endpoint's refusal on one line.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import click

from ampyre.cli.rest import RestClient, charge_point_path, echo_json, rest_options


def _payload(text: str) -> Any:
    """The OCPP request payload: JSON text, `@FILE` holding it, or `-` for standard input."""
    if text == "-":
        text = sys.stdin.read()
    elif text.startswith("@"):
        try:
            text = Path(text[1:]).read_text()
        except OSError as exc:
            raise click.BadParameter(f"cannot read {text[1:]}: {exc.strerror}") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="PAYLOAD") from None


@click.command("command")
@click.argument("charge_point_id")
@click.argument("action")
@click.argument("payload", default="{}", required=False)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True, max=3600),
    default=None,
    show_default="the server's --call-timeout",
    help="Seconds to wait for the charge point's answer.",
)
@rest_options
def command(
    api: RestClient, charge_point_id: str, action: str, payload: str, timeout: float | None
) -> None:
    """Send ACTION with PAYLOAD to CHARGE_POINT_ID and print its answer as JSON.

    ACTION is any CSMS-initiated OCPP 1.6 message (Reset, RemoteStartTransaction,
    ChangeConfiguration, GetConfiguration, ..., and those of the security extension);
    PAYLOAD its request payload exactly as the OCPP spec writes it: JSON text, @FILE or -
    (standard input); default {}. Errors (unknown charge point, not connected, invalid
    payload, CALLERROR, no answer in time) are one line on stderr, exit code 1.

    \b
    ampyre command CP-1 Reset '{"type": "Soft"}'
    ampyre command CP-1 RemoteStartTransaction '{"idTag": "04A1B2C3", "connectorId": 1}'
    ampyre command CP-1 GetConfiguration
    """
    answer = api.call(
        "POST",
        f"{charge_point_path(charge_point_id)}/commands/{quote(action, safe='')}",
        json=_payload(payload),
        params={"timeout": timeout},
    )
    echo_json(answer)


COMMANDS = [command]
