"""One clock for the whole service, so tests can freeze it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from bot.config import Settings


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes; treat them as the UTC they were written in."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def local_zone(settings: Settings) -> ZoneInfo:
    """The service's own time zone, MYSAY_TIMEZONE (checked when Settings are read, so this
    does not raise). Every local time (reminders, meetings, safety replies, /mydata) comes
    from here, so no part can fall back to a zone of its own."""
    return ZoneInfo(settings.service_timezone)  # ZoneInfo keeps one object per key


def local(when: datetime, settings: Settings) -> datetime:
    """`when` (UTC, or naive UTC as SQLite returns it) in the service's own time zone."""
    return as_utc(when).astimezone(local_zone(settings))
