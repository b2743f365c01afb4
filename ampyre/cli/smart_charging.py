"""`ampyre charging-profile`: Smart Charging through a running server's REST API.

Installing or clearing a profile needs the server's connection to the charge point, so
these commands talk to the REST API (`--url`, `--token`) rather than to the database.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import click

from ampyre.cli.rest import (
    RestClient,
    echo_json,
    echo_table,
    json_option,
    rest_options,
    without_none,
)

PURPOSES = ["ChargePointMaxProfile", "TxDefaultProfile", "TxProfile"]


def _profiles_path(charge_point_id: str) -> str:
    return f"/charge-points/{quote(charge_point_id, safe='')}/charging-profiles"


def _period(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[Any]:
    """START:LIMIT[:PHASES] -> an OCPP ChargingSchedulePeriod."""
    periods = []
    for value in values:
        parts = value.split(":")
        try:
            if len(parts) not in (2, 3):
                raise ValueError
            period: dict[str, Any] = {"startPeriod": int(parts[0]), "limit": float(parts[1])}
            if len(parts) == 3:
                period["numberPhases"] = int(parts[2])
        except ValueError:
            raise click.BadParameter(
                f"{value!r}: use START:LIMIT or START:LIMIT:PHASES, e.g. 0:16 or 3600:10:1"
            ) from None
        periods.append(period)
    return periods


def _profile_argument(value: str) -> dict[str, Any]:
    """A ChargingProfile given as JSON text, or as @FILE holding it."""
    text = Path(value[1:]).read_text() if value.startswith("@") else value
    try:
        profile = json.loads(text)
    except ValueError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--profile") from None
    if not isinstance(profile, dict):
        raise click.BadParameter("must be a JSON object", param_hint="--profile")
    return profile


def _built_profile(fields: dict[str, Any]) -> dict[str, Any]:
    if not fields["periods"]:
        raise click.UsageError("give --period START:LIMIT at least once, or --profile")
    kind = fields["kind"] or (
        "Recurring"
        if fields["recurrency"]
        else "Absolute"
        if fields["start_schedule"]
        else "Relative"
    )
    schedule = {
        "chargingRateUnit": fields["unit"],
        "chargingSchedulePeriod": fields["periods"],
        "duration": fields["duration"],
        "startSchedule": fields["start_schedule"],
        "minChargingRate": fields["min_rate"],
    }
    profile = {
        "chargingProfileId": fields["profile_id"],
        "transactionId": fields["transaction_id"],
        "stackLevel": fields["stack_level"],
        "chargingProfilePurpose": fields["purpose"],
        "chargingProfileKind": kind,
        "recurrencyKind": fields["recurrency"],
        "validFrom": fields["valid_from"],
        "validTo": fields["valid_to"],
        "chargingSchedule": {k: v for k, v in schedule.items() if v is not None},
    }
    return {k: v for k, v in profile.items() if v is not None}


@click.group("charging-profile")
def charging_profile() -> None:
    """Install, list and clear charging profiles; see composite schedules (Smart Charging)."""


@charging_profile.command("set")
@click.argument("charge_point_id")
@click.option("--connector", type=click.IntRange(min=0), required=True, help="0: the whole CP.")
@click.option(
    "--profile",
    "profile_text",
    help="A whole OCPP ChargingProfile as JSON, or @FILE; instead of the options below.",
)
@click.option(
    "--purpose", type=click.Choice(PURPOSES), default="TxDefaultProfile", show_default=True
)
@click.option(
    "--kind",
    type=click.Choice(["Absolute", "Recurring", "Relative"]),
    help="Default: Recurring with --recurrency, Absolute with --start-schedule, else Relative.",
)
@click.option("--stack-level", type=int, default=0, show_default=True)
@click.option("--unit", type=click.Choice(["A", "W"]), default="A", show_default=True)
@click.option(
    "--period",
    "periods",
    multiple=True,
    callback=_period,
    help="START:LIMIT[:PHASES], seconds from the schedule start; repeat for each period.",
)
@click.option("--duration", type=click.IntRange(min=1), help="Seconds the schedule lasts.")
@click.option("--start-schedule", help="When the schedule starts, ISO 8601.")
@click.option("--recurrency", type=click.Choice(["Daily", "Weekly"]))
@click.option("--valid-from", help="ISO 8601.")
@click.option("--valid-to", help="ISO 8601.")
@click.option(
    "--transaction-id", type=int, help="A TxProfile's transaction (default: the active one)."
)
@click.option("--min-rate", type=float, help="minChargingRate of the EV.")
@click.option("--id", "profile_id", type=int, help="chargingProfileId (default: a new one).")
@json_option
@rest_options
def charging_profile_set(
    api: RestClient,
    charge_point_id: str,
    connector: int,
    profile_text: str | None,
    as_json: bool,
    **fields: Any,
) -> None:
    """Send SetChargingProfile to CHARGE_POINT_ID and record the profile if it is Accepted."""
    if profile_text is not None:
        profile = _profile_argument(profile_text)
        if fields["profile_id"] is not None:
            profile["chargingProfileId"] = fields["profile_id"]
    else:
        profile = _built_profile(fields)
    installed = api.call(
        "POST",
        _profiles_path(charge_point_id),
        json={"connectorId": connector, "csChargingProfiles": profile},
    )
    if as_json:
        echo_json(installed)
        return
    sent = installed["csChargingProfiles"]
    click.echo(
        f"Charging profile {sent['chargingProfileId']} ({sent['chargingProfilePurpose']}, "
        f"stack level {sent['stackLevel']}) installed on connector {installed['connectorId']}"
        + (
            f" for transaction {installed['transactionId']}"
            if installed["transactionId"] is not None
            else ""
        )
    )


@charging_profile.command("list")
@click.argument("charge_point_id")
@click.option("--connector", type=click.IntRange(min=0))
@click.option("--purpose", type=click.Choice(PURPOSES))
@click.option("--limit", default=100, show_default=True)
@json_option
@rest_options
def charging_profile_list(
    api: RestClient,
    charge_point_id: str,
    connector: int | None,
    purpose: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """The profiles the CSMS records as installed on CHARGE_POINT_ID."""
    result = api.call(
        "GET",
        _profiles_path(charge_point_id),
        params={"connectorId": connector, "chargingProfilePurpose": purpose, "limit": limit},
    )
    if as_json:
        echo_json(result)
        return
    rows = []
    for item in result["items"]:
        profile = item["csChargingProfiles"]
        schedule = profile["chargingSchedule"]
        rows.append(
            {
                "connectorId": item["connectorId"],
                "chargingProfileId": profile["chargingProfileId"],
                "purpose": profile["chargingProfilePurpose"],
                "stackLevel": profile["stackLevel"],
                "kind": profile["chargingProfileKind"],
                "periods": " ".join(
                    f"{p['startPeriod']}:{p['limit']}{schedule['chargingRateUnit']}"
                    for p in schedule["chargingSchedulePeriod"]
                ),
            }
        )
    echo_table(
        rows,
        ["connectorId", "chargingProfileId", "purpose", "stackLevel", "kind", "periods"],
        result["total"],
    )


@charging_profile.command("clear")
@click.argument("charge_point_id")
@click.option("--id", "profile_id", type=int, help="Clear this profile only.")
@click.option("--connector", type=click.IntRange(min=0), help="0: the charge point's own.")
@click.option("--purpose", type=click.Choice(PURPOSES))
@click.option("--stack-level", type=click.IntRange(min=0))
@click.option("--all", "clear_all", is_flag=True, help="Clear every profile (no filter).")
@json_option
@rest_options
def charging_profile_clear(
    api: RestClient,
    charge_point_id: str,
    profile_id: int | None,
    connector: int | None,
    purpose: str | None,
    stack_level: int | None,
    clear_all: bool,
    as_json: bool,
) -> None:
    """Send ClearChargingProfile: one profile by --id, or those matching every filter."""
    filters = {
        "connectorId": connector,
        "chargingProfilePurpose": purpose,
        "stackLevel": stack_level,
    }
    given = without_none(filters)
    if profile_id is not None and (given or clear_all):
        raise click.UsageError("--id names one profile: combine it with no filter")
    if profile_id is None and not given and not clear_all:
        raise click.UsageError(
            "give --id, a filter (--connector, --purpose, --stack-level) or --all"
        )
    if profile_id is not None:
        result = api.call("DELETE", f"{_profiles_path(charge_point_id)}/{profile_id}")
    else:
        result = api.call("DELETE", _profiles_path(charge_point_id), params=given)
    if as_json:
        echo_json(result)
        return
    cleared = [item["csChargingProfiles"]["chargingProfileId"] for item in result["cleared"]]
    click.echo(
        f"Charge point answered {result['status']}; cleared from the record: "
        + (", ".join(str(i) for i in cleared) or "none")
    )


@charging_profile.command("composite")
@click.argument("charge_point_id")
@click.argument("connector_id", type=click.IntRange(min=0))
@click.option("--duration", type=click.IntRange(min=1), default=86_400, show_default=True)
@click.option("--unit", type=click.Choice(["A", "W"]), help="Default: the profiles' own.")
@click.option("--start", help="Window start, ISO 8601 (default: now).")
@click.option("--default-limit", type=float, help="The limit where no profile applies.")
@click.option("--from-charge-point", is_flag=True, help="Also ask the charge point.")
@json_option
@rest_options
def charging_profile_composite(
    api: RestClient,
    charge_point_id: str,
    connector_id: int,
    duration: int,
    unit: str | None,
    start: str | None,
    default_limit: float | None,
    from_charge_point: bool,
    as_json: bool,
) -> None:
    """The composite schedule of CONNECTOR_ID as the CSMS computes it from its records."""
    result = api.call(
        "GET",
        f"/charge-points/{quote(charge_point_id, safe='')}/connectors/{connector_id}"
        "/composite-schedule",
        params={
            "duration": duration,
            "chargingRateUnit": unit,
            "start": start,
            "defaultLimit": default_limit,
            "fromChargePoint": "true" if from_charge_point else None,
        },
    )
    if as_json:
        echo_json(result)
        return
    _echo_schedule("CSMS", result.get("scheduleStart"), result["chargingSchedule"])
    answer = result.get("chargePoint")
    if answer is not None:
        if answer.get("chargingSchedule") is None:
            click.echo(f"Charge point: {answer['status']}, no schedule")
        else:
            _echo_schedule("Charge point", answer.get("scheduleStart"), answer["chargingSchedule"])


def _echo_schedule(source: str, start: str | None, schedule: dict[str, Any]) -> None:
    click.echo(
        f"{source}: from {start or '?'} for {schedule.get('duration')} s, "
        f"in {schedule['chargingRateUnit']}"
    )
    rows = [
        {**period, "limit": "none" if period["limit"] is None else period["limit"]}
        for period in schedule["chargingSchedulePeriod"]
    ]
    echo_table(rows, ["startPeriod", "limit", "numberPhases"])


COMMANDS = [charging_profile]
