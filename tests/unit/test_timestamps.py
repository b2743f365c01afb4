"""OCPP timestamps (ampyre.ocpp.v16.timestamps), shared by the CSMS and the simulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from ampyre.ocpp.v16.timestamps import format_timestamp, parse_timestamp

_ZONES = st.sampled_from(
    [UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5, minutes=-30))]
)


@given(st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(9999, 1, 1)), _ZONES)
def test_written_in_utc_with_z_and_milliseconds_and_read_back(
    value: datetime, zone: timezone
) -> None:
    moment = value.replace(tzinfo=zone)
    text = format_timestamp(moment)
    assert text.endswith("Z") and len(text) == len("2026-01-01T00:00:00.000Z")
    read = parse_timestamp(text)
    assert read.tzinfo is UTC
    assert moment - read == timedelta(microseconds=moment.microsecond % 1000)


def test_forms_charge_points_send() -> None:
    expected = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    for text in (
        "2026-03-01T12:00:00Z",
        "2026-03-01T12:00:00z",
        "2026-03-01T12:00:00+00:00",
        "2026-03-01T14:00:00+02:00",
        "2026-03-01T12:00:00",  # no zone: UTC (OCPP 1.6, 3.10)
        "2026-03-01T12:00:00.000Z",
    ):
        assert parse_timestamp(text) == expected
        assert parse_timestamp(text).utcoffset() == timedelta(0)


def test_none_and_naive_values() -> None:
    assert format_timestamp(None) is None
    assert format_timestamp(datetime(2026, 1, 2, 3, 4, 5, 678901)) == "2026-01-02T03:04:05.678Z"
