"""Options shared by several sub-commands, made from the fields of `ampyre.config.Settings`.

Each setting's flag comes from its field: `--field-name` (or `Flag.name`), its environment
variable, default, help text and range. Click resolves a value (flag, else environment
variable, else default) and `Settings` validates them all together; in the CLI, click is
the only reader of the environment.
"""

from __future__ import annotations

import os
import types
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

import annotated_types
import click
from pydantic import ValidationError
from pydantic.fields import FieldInfo
from pydantic.types import PathType

from ampyre.config import Flag, Settings, env_var, setting_default

F = TypeVar("F", bound=Callable[..., Any])


def flag_name(name: str) -> str:
    """The command-line flag of the setting `name`."""
    flag = _flag(Settings.model_fields[name])
    return flag.name or "--" + name.replace("_", "-")


def setting_option(name: str, param: str | None = None) -> Callable[[F], F]:
    """The click option of the setting `name`, passed to the command as `param` (default:
    the setting's name)."""
    field = Settings.model_fields[name]
    flag = _flag(field)
    declaration = flag_name(name)
    annotation = _without_none(field.annotation)
    kwargs: dict[str, Any] = {}
    if annotation is bool:
        declaration = f"{declaration}/--no-{declaration.removeprefix('--')}"
    else:
        kwargs["type"] = _click_type(field, annotation, flag)
    return click.option(
        declaration,
        param or name,
        envvar=env_var(name),
        show_envvar=True,
        default=setting_default(name),
        show_default=True,
        hidden=flag.hidden,
        help=field.description,
        **kwargs,
    )


def settings_options(command: F) -> F:
    """Give a command one option per setting, passed on under the settings' names."""
    for name in reversed(Settings.model_fields):
        command = setting_option(name)(command)
    return command


def settings_from_cli(values: Mapping[str, Any]) -> Settings:
    """`Settings` from the values click resolved (the others: their defaults, not the
    environment). A value `Settings` refuses is a one-line usage error, never a traceback."""
    try:
        return Settings(
            **{name: setting_default(name) for name in Settings.model_fields} | dict(values)
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        message = error["msg"].removeprefix("Value error, ")
        if error["loc"] and error["loc"][0] in Settings.model_fields:
            hint = flag_name(str(error["loc"][0]))
            raise click.BadParameter(message, param_hint=hint) from None
        raise click.UsageError(message) from None


def _flag(field: FieldInfo) -> Flag:
    return next((item for item in field.metadata if isinstance(item, Flag)), Flag())


def _without_none(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _click_type(field: FieldInfo, annotation: Any, flag: Flag) -> Any:
    if flag.directory:
        return click.Path(file_okay=False)
    if get_origin(annotation) is Literal:
        return click.Choice([str(choice) for choice in get_args(annotation)])
    if get_origin(annotation) is Annotated:
        if any(
            isinstance(item, PathType) and item.path_type == "file"
            for item in annotation.__metadata__
        ):
            return click.Path(exists=True, dir_okay=False)
        annotation = get_args(annotation)[0]
    if annotation in (int, float):
        bounds: dict[str, Any] = {}
        for item in field.metadata:
            if isinstance(item, annotated_types.Ge | annotated_types.Gt):
                bounds["min"] = getattr(item, "ge", getattr(item, "gt", None))
                bounds["min_open"] = isinstance(item, annotated_types.Gt)
            elif isinstance(item, annotated_types.Le | annotated_types.Lt):
                bounds["max"] = getattr(item, "le", getattr(item, "lt", None))
                bounds["max_open"] = isinstance(item, annotated_types.Lt)
        if not bounds:
            return annotation
        return (click.IntRange if annotation is int else click.FloatRange)(**bounds)
    # Anything else (e.g. FIRST-LAST port ranges) is text that Settings parses.
    return str


#: `--database` of the sub-commands that work on the database directly.
database_option = setting_option("database_url", "database")


def _server_address() -> str:
    """host:port of a local `ampyre serve`, from the same environment variables."""
    host = os.environ.get(env_var("host"), "").strip() or setting_default("host")
    if host in ("0.0.0.0", "::", "*"):
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    port = os.environ.get(env_var("port"), "").strip() or setting_default("port")
    return f"{host}:{port}"


def default_url() -> str:
    return f"ws://{_server_address()}/ocpp"


def ocpp_url_option(envvar: str, help: str) -> Callable[[F], F]:
    """`--url` of the commands that connect as charge points: the OCPP endpoint of a
    local `ampyre serve` unless given (by the flag or `envvar`)."""
    return click.option(
        "--url",
        default=default_url,
        show_default="ws://127.0.0.1:8180/ocpp, host and port from AMPYRE_HOST and AMPYRE_PORT",
        envvar=envvar,
        show_envvar=True,
        help=help,
    )


def default_api_url() -> str:
    return f"http://{_server_address()}/api/v1"
