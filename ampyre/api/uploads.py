"""Request bodies as file streams: a raw body, or the file part of multipart/form-data.

Both are read as they arrive and never held whole, so an upload's size limit applies
while it is in progress. Operators upload firmware with either (curl --data-binary or
-F); charge points send diagnostics with PUT or POST, raw or as a form.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

from fastapi import HTTPException
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from ampyre.services.errors import InvalidRequest
from ampyre.services.file_store import InvalidFileName, UploadTooLarge

#: Room for the multipart framing and small text fields beside the file.
MULTIPART_OVERHEAD = 1024 * 1024
MAX_FIELD_SIZE = 64 * 1024


@dataclass(slots=True)
class UploadBody:
    """The file of a request: its name if the body carried one, and its bytes."""

    chunks: AsyncIterator[bytes]
    filename: str | None = None
    #: Text fields of a multipart body; complete once `chunks` is consumed.
    fields: dict[str, str] = field(default_factory=dict)


async def open_upload(request: Request, max_size: int) -> UploadBody:
    """The upload in `request`; UploadTooLarge at once when Content-Length says so."""
    content_type, options = parse_options_header(request.headers.get("content-type"))
    multipart = content_type == b"multipart/form-data"
    declared = request.headers.get("content-length")
    allowed = max_size + MULTIPART_OVERHEAD if multipart else max_size
    if declared is not None and declared.isdigit() and int(declared) > allowed:
        raise UploadTooLarge(max_size)
    if not multipart:
        return UploadBody(_raw(request))
    boundary = options.get(b"boundary")
    if not boundary:
        raise InvalidRequest("multipart/form-data without a boundary")
    upload = _MultipartUpload(request, boundary, max_size + MULTIPART_OVERHEAD)
    await upload.start()
    return UploadBody(upload.chunks(), upload.filename, upload.fields)


async def _raw(request: Request) -> AsyncIterator[bytes]:
    try:
        async for chunk in request.stream():
            yield chunk
    except ClientDisconnect:
        raise InvalidRequest("The client went away before the upload was complete") from None


class _MultipartUpload:
    """Feeds the body to python-multipart as it arrives; the first part with a file name
    is the file, the others are text fields."""

    def __init__(self, request: Request, boundary: bytes, max_body: int) -> None:
        self._body = _raw(request)
        self._max_body = max_body
        self._received = 0
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._on_part_begin,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
                "on_part_data": self._on_part_data,
                "on_part_end": self._on_part_end,
            },
        )
        self.filename: str | None = None
        self.fields: dict[str, str] = {}
        self._headers: dict[str, str] = {}
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._part = "none"  # file, field or skip
        self._field_name = ""
        self._field_value = bytearray()
        self._file_data: list[bytes] = []
        self._file_ended = False

    async def start(self) -> None:
        """Read until the file part's headers (and so its name) are known."""
        while self.filename is None:
            if not await self._feed():
                raise InvalidRequest("The multipart body has no file part (one with a filename)")

    async def chunks(self) -> AsyncIterator[bytes]:
        while True:
            if self._file_data:
                data = b"".join(self._file_data)
                self._file_data.clear()
                yield data
            if self._file_ended:
                break
            if not await self._feed():
                raise InvalidRequest("The multipart body ended inside the file part")
        while await self._feed():  # text fields after the file
            pass

    async def _feed(self) -> bool:
        chunk = await anext(self._body, None)
        if chunk is None:
            return False
        self._received += len(chunk)
        if self._received > self._max_body:
            raise UploadTooLarge(self._max_body - MULTIPART_OVERHEAD)
        try:
            self._parser.write(chunk)
        except (FormParserError, ValueError) as exc:  # UnicodeError is a ValueError
            raise InvalidRequest(f"Malformed multipart body: {exc}") from None
        return True

    def _on_part_begin(self) -> None:
        self._headers = {}
        self._part = "none"

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        name = self._header_name.decode("latin-1").lower()
        # Bytes as they came (latin-1 maps each byte to one character): the options parser
        # reads the header as latin-1 again.
        self._headers[name] = self._header_value.decode("latin-1")
        self._header_name.clear()
        self._header_value.clear()

    def _on_headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get("content-disposition"))
        filename = options.get(b"filename")
        if filename is not None and self.filename is None:
            self.filename = filename.decode("utf-8", "replace")
            self._part = "file"
        elif filename is None:
            self._part = "field"
            self._field_name = options.get(b"name", b"").decode("utf-8", "replace")
            self._field_value = bytearray()
        else:
            self._part = "skip"  # a second file: only one is taken

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._part == "file":
            self._file_data.append(bytes(data[start:end]))
        elif self._part == "field":
            self._field_value += data[start:end]
            if len(self._field_value) > MAX_FIELD_SIZE:
                raise InvalidRequest(f"Form field {self._field_name!r} is too long")

    def _on_part_end(self) -> None:
        if self._part == "file":
            self._file_ended = True
        elif self._part == "field" and self._field_name:
            self.fields[self._field_name] = self._field_value.decode("utf-8", "replace")
        self._part = "none"


@contextlib.contextmanager
def upload_errors() -> Iterator[None]:
    """Map what can go wrong with an upload to its HTTP status (413 too large, 400 name)."""
    try:
        yield
    except UploadTooLarge as exc:
        raise HTTPException(413, exc.detail) from None
    except InvalidFileName as exc:
        raise HTTPException(400, exc.detail) from None
