"""The periods the dashboard sums energy over: the UTC day and month of the moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from ampyre.services.dashboard import period_starts


def test_the_day_and_month_start_at_midnight_utc() -> None:
    day, month = period_starts(datetime(2026, 12, 3, 17, 4, 5, 123456, tzinfo=UTC))
    assert day == datetime(2026, 12, 3, tzinfo=UTC)
    assert month == datetime(2026, 12, 1, tzinfo=UTC)


def test_on_the_first_the_day_is_the_month() -> None:
    day, month = period_starts(datetime(2027, 1, 1, 0, 0, 0, tzinfo=UTC))
    assert day == month == datetime(2027, 1, 1, tzinfo=UTC)


def test_another_zone_counts_by_its_utc_time() -> None:
    # 00:30 on the 1st in UTC+02:00 is still the 31st of the month before in UTC.
    east = timezone(timedelta(hours=2))
    day, month = period_starts(datetime(2026, 11, 1, 0, 30, tzinfo=east))
    assert day == datetime(2026, 10, 31, tzinfo=UTC)
    assert month == datetime(2026, 10, 1, tzinfo=UTC)
