"""Operator sub-commands talk to the running server's REST API through this client.

Commands to charge points must go through the server that holds their WebSocket
connections, and only the server knows which are connected; so every operator
sub-command but those that make the schema and the first token takes `--url` and
`--token` (or AMPYRE_URL and AMPYRE_API_TOKEN) and turns the API's error answers into
one-line messages, not tracebacks.
"""

from __future__ import annotations

import functools
import inspect
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, unquote

import click
import httpx

from ampyre.config import setting_default

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_URL = f"http://{setting_default('host')}:{setting_default('port')}"
#: Long enough for a charge point's answer (the server waits --call-timeout, 30 s by
#: default) and for uploads.
TIMEOUT = httpx.Timeout(120.0, connect=10.0)
CHUNK_SIZE = 1 << 16


class RestClient:
    """The operator's side of the REST API: one base URL, one bearer token."""

    def __init__(self, url: str, token: str | None) -> None:
        self.url = url.rstrip("/")
        self.token = token

    def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        content: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """Send one request and return its JSON answer (None when it has no body)."""
        with self._client() as client:
            try:
                response = client.request(
                    method,
                    path,
                    params=without_none(params),
                    json=json,
                    content=content,
                    headers=headers,
                )
            except httpx.HTTPError as exc:
                raise self._unreachable(exc) from None
            _raise_for_error(response)
            return response.json() if response.content else None

    def download(self, path: str, target: Callable[[str | None], Path]) -> Path:
        """Stream a file to disk; `target` picks the path from the server's file name."""
        with self._client() as client:
            try:
                with client.stream("GET", path) as response:
                    if response.is_error:
                        response.read()
                        _raise_for_error(response)
                    destination = target(_file_name(response))
                    with destination.open("wb") as output:
                        for chunk in response.iter_bytes(CHUNK_SIZE):
                            output.write(chunk)
            except httpx.HTTPError as exc:
                raise self._unreachable(exc) from None
        return destination

    def lines(
        self,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Iterator[str]:
        """The lines of a streamed answer (server-sent events) as they come, for as long
        as the server keeps the stream open: no read time-out."""
        with self._client(timeout=httpx.Timeout(None, connect=TIMEOUT.connect)) as client:
            try:
                with client.stream(
                    "GET", path, params=without_none(params), headers=headers
                ) as response:
                    if response.is_error:
                        response.read()
                        _raise_for_error(response)
                    yield from response.iter_lines()
            except httpx.HTTPError as exc:
                raise self._unreachable(exc) from None

    def _client(self, timeout: httpx.Timeout = TIMEOUT) -> httpx.Client:
        if not self.token:
            raise click.ClickException(
                "No API token: pass --token or set AMPYRE_API_TOKEN "
                "(`ampyre token` shows the one stored in the database)"
            )
        return httpx.Client(
            base_url=f"{self.url}/api/v1",
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=timeout,
        )

    def _unreachable(self, exc: httpx.HTTPError) -> click.ClickException:
        reason = str(exc) or type(exc).__name__
        return click.ClickException(f"Cannot reach Ampyre at {self.url}: {reason}")


def server_options(command: F) -> F:
    """Give a command `--url` and `--token` (passed on as `url` and `token`)."""
    command = click.option(
        "--token",
        envvar="AMPYRE_API_TOKEN",
        show_envvar=True,
        help="The operator API token (`ampyre token` makes one).",
    )(command)
    return click.option(
        "--url",
        envvar="AMPYRE_URL",
        default=DEFAULT_URL,
        show_default=True,
        show_envvar=True,
        help="Base URL of the running Ampyre server.",
    )(command)


def rest_options(command: F) -> F:
    """Give a command `--url` and `--token` and pass it an `api: RestClient`."""

    @server_options
    @functools.wraps(command)
    def with_client(*args: Any, url: str, token: str | None, **kwargs: Any) -> Any:
        return command(*args, api=RestClient(url, token), **kwargs)

    return with_client  # type: ignore[return-value]


#: The help of an option that takes a time.
timestamp_help = "ISO 8601, e.g. 2027-01-31T02:00:00Z."

#: `--json`: the API's answer as it is, instead of the text for humans.
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def page_options(limit: int) -> Callable[[F], F]:
    """`--limit` (by default `limit`) and `--offset` of a list command, for the API's pages."""

    def add(command: F) -> F:
        command = click.option("--offset", default=0, show_default=True)(command)
        return click.option("--limit", default=limit, show_default=True)(command)

    return add


def gathered_options(
    param: str, options: list[Callable[[F], F]], gather: Callable[..., Any]
) -> Callable[[F], F]:
    """`options` for a command that takes them as one value, its `param`: `gather` is
    called with the options' values (under its own parameters' names) and makes it."""
    names = tuple(inspect.signature(gather).parameters)

    def add(command: F) -> F:
        @functools.wraps(command)
        def with_value(*args: Any, **kwargs: Any) -> Any:
            given = {name: kwargs.pop(name) for name in names}
            return command(*args, **{param: gather(**given)}, **kwargs)

        for option in reversed(options):
            with_value = option(with_value)
        return with_value  # type: ignore[return-value]

    return add


def charge_point_path(charge_point_id: str) -> str:
    """The API path of a charge point: its id is one path segment, whatever it holds."""
    return f"/charge-points/{quote(charge_point_id, safe='')}"


def chunks_of(file: Path) -> Iterator[bytes]:
    """A file's bytes in pieces, so an upload never holds the whole file in memory."""
    with file.open("rb") as source:
        while chunk := source.read(CHUNK_SIZE):
            yield chunk


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2))


def echo_table(items: list[dict[str, Any]], columns: list[str], total: int | None = None) -> None:
    """Items as aligned columns; with `total`, how many of how many were shown."""
    rows = [["" if item.get(c) is None else str(item.get(c)) for c in columns] for item in items]
    widths = [max([len(c)] + [len(row[i]) for row in rows]) for i, c in enumerate(columns)]
    click.echo("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    for row in rows:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    if total is not None:
        click.echo(f"({len(items)} of {total})")


def echo_answer(answer: Any, as_json: bool, text: str) -> None:
    """An answer as JSON, or as `text`: what a human reads of it."""
    if as_json:
        echo_json(answer)
    else:
        click.echo(text)


def echo_page(page: dict[str, Any], columns: list[str], as_json: bool) -> None:
    """A list answer (`{"items", "total"}`) as JSON or as a table of `columns`."""
    if as_json:
        echo_json(page)
    else:
        echo_table(page["items"], columns, page["total"])


def echo_fields(record: dict[str, Any], fields: list[str]) -> None:
    """One `name  value` line per field the record has."""
    width = max(len(name) for name in fields)
    for name in fields:
        if name in record:
            value = record[name]
            click.echo(f"{name.ljust(width)}  {'-' if value is None else value}")


def _refuse_database(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        raise click.UsageError(
            f"`{ctx.command_path}` talks to the running server now (it alone knows what is "
            "connected): give --url / AMPYRE_URL and --token / AMPYRE_API_TOKEN, "
            "not --database"
        )


#: `--database`, which these commands took when they worked on the database: hidden, and
#: a clear message instead of "no such option" for the scripts that still pass it.
moved_database_option = click.option(
    "--database", hidden=True, expose_value=False, callback=_refuse_database
)


def _raise_for_error(response: httpx.Response) -> None:
    if not response.is_error:
        return
    try:
        body = response.json()
    except ValueError:
        body = None
    detail = body.get("detail") if isinstance(body, dict) else None
    if not isinstance(detail, str):
        # A CALLERROR (502) or validation errors (422): the body, on one line.
        detail = json.dumps(body) if body is not None else response.text.strip()
    message = f"{response.status_code}: {' '.join(detail.split())}"
    if response.status_code == 401:
        message += " (check --token / AMPYRE_API_TOKEN; `ampyre token` makes one)"
    raise click.ClickException(message)


def without_none(values: dict[str, Any] | None) -> dict[str, Any]:
    """A request's parameters or body without the options not given (the API's defaults
    stand for them)."""
    return {key: value for key, value in (values or {}).items() if value is not None}


def _file_name(response: httpx.Response) -> str | None:
    """The file name of a Content-Disposition header, without any directory part."""
    disposition = response.headers.get("content-disposition", "")
    match = re.search(r"filename\*=(?:UTF-8'')?([^;]+)|filename=\"?([^\";]+)\"?", disposition)
    if match is None:
        return None
    name = unquote(match.group(1) or match.group(2)).strip()
    return Path(name).name or None
