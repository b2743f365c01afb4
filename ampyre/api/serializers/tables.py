"""Records as CSV: the columns are an answer model's fields, named as in its JSON, so a
spreadsheet and the REST API call every value the same."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from ampyre.api.serializers.base import ApiModel

Row = TypeVar("Row")

#: Rows written per chunk of the answer.
CHUNK_ROWS = 200


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


async def csv_chunks(
    model: type[ApiModel], rows: AsyncIterator[Row], shown: Callable[[Row], ApiModel]
) -> AsyncIterator[str]:
    """The header, then the rows as `shown` makes them, a chunk at a time: an export of
    any length holds one chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([field.alias or name for name, field in model.model_fields.items()])
    count = 0
    async for row in rows:
        writer.writerow([_cell(value) for value in shown(row).model_dump(mode="json").values()])
        count += 1
        if count % CHUNK_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
