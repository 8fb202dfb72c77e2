"""One clock for the whole service, so tests can freeze it."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes; treat them as the UTC they were written in."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)
