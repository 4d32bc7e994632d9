"""The one place the domain reads the time, so tests can move it."""

from datetime import UTC, date, datetime, timedelta

HANOI_OFFSET = timedelta(hours=7)


def now() -> datetime:
    """Return the current time, timezone-aware in UTC (what the database stores)."""
    return datetime.now(UTC)


def today() -> date:
    """Return today's date in Hà Nội (UTC+7)."""
    return (now() + HANOI_OFFSET).date()


def as_utc(moment: datetime) -> datetime:
    """A moment as the domain writes it (aware, UTC); SQLite hands it back without its zone."""
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
