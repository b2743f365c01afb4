"""CSV exports: an answer model's fields as columns, written a chunk at a time."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator

from ampyre.api.serializers.base import ApiModel
from ampyre.api.serializers.tables import CHUNK_ROWS, csv_chunks


class Reading(ApiModel):
    reading_id: int
    energy_wh: int | None
    active: bool


async def readings(count: int) -> AsyncIterator[int]:
    for number in range(count):
        yield number


def shown(number: int) -> Reading:
    return Reading(reading_id=number, energy_wh=None if number % 2 else number, active=number == 0)


async def test_columns_are_the_json_names_and_cells_plain() -> None:
    chunks = [chunk async for chunk in csv_chunks(Reading, readings(3), shown)]
    rows = list(csv.reader(io.StringIO("".join(chunks))))
    assert rows == [
        ["readingId", "energyWh", "active"],
        ["0", "0", "true"],
        ["1", "", "false"],
        ["2", "2", "false"],
    ]


async def test_a_long_export_is_written_in_chunks() -> None:
    count = CHUNK_ROWS * 3 + 1
    chunks = [chunk async for chunk in csv_chunks(Reading, readings(count), shown)]
    assert len(chunks) == 4
    assert all(chunk.count("\r\n") <= CHUNK_ROWS + 1 for chunk in chunks)
    assert len(list(csv.reader(io.StringIO("".join(chunks))))) == count + 1


async def test_an_empty_export_is_the_header() -> None:
    chunks = [chunk async for chunk in csv_chunks(Reading, readings(0), shown)]
    assert chunks == ["readingId,energyWh,active\r\n"]
