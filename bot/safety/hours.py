"""When a person will next read messages: the service's working hours, in its own time zone.

A safety reply must say honestly that nobody reads messages all the time, and when someone
will. This is pure (a time in, an answer out) so it can be tested at any moment of the week.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


class WhenKind(enum.StrEnum):
    NOW = "now"  # inside working hours today
    LATER_TODAY = "later_today"  # before today's start
    TOMORROW = "tomorrow"
    ON_DAY = "on_day"  # a later day this week or next


@dataclass(frozen=True)
class WorkingTime:
    days: frozenset[int]  # 0 = Monday
    start: time
    end: time
    zone: ZoneInfo


@dataclass(frozen=True)
class NextRead:
    kind: WhenKind
    day: int  # 0 = Monday: the day someone will read it
    start: time
    end: time


def parse_days(value: str) -> frozenset[int]:
    """'Mon-Fri', 'Mon,Wed,Fri' or 'Mon-Sun' (English three-letter names, any case)."""
    days: set[int] = set()
    for part in value.lower().replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(f"working days must look like Mon-Fri or Mon,Wed,Fri (got {value!r})")
        a, b = DAYS.index(first), DAYS.index(last or first)
        span = range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)]
        days.update(span)
    return frozenset(days)


def parse_hours(value: str) -> tuple[time, time]:
    match = _HOURS.match(value.strip())
    if not match:
        raise ValueError(f"working hours must look like 09:00-17:00 (got {value!r})")
    sh, sm, eh, em = (int(g) for g in match.groups())
    try:
        start, end = time(sh, sm), time(eh, em)
    except ValueError as exc:
        raise ValueError(f"working hours must be real times (got {value!r})") from exc
    if end <= start:
        raise ValueError(f"working hours must end after they start (got {value!r})")
    return start, end


def parse_zone(value: str) -> ZoneInfo:
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r} (for example Europe/London)") from exc


def check_setting(name: str, value: str) -> None:
    """Used by the settings to refuse a bad value at start-up."""
    if name == "working_days":
        parse_days(value)
    elif name == "service_timezone":
        parse_zone(value)


def working_time(days: str, hours: str, zone: ZoneInfo) -> WorkingTime:
    """MYSAY_WORKING_DAYS and MYSAY_WORKING_HOURS in `zone` (bot.timeutil.local_zone).
    Raises ValueError for days or hours that cannot be read."""
    start, end = parse_hours(hours)
    return WorkingTime(parse_days(days), start, end, zone)


def next_read(now: datetime, work: WorkingTime) -> NextRead:
    """When a person at the service will next be reading messages, seen from `now` (UTC)."""
    local = now.astimezone(work.zone)
    today = local.weekday()
    if today in work.days:
        if work.start <= local.time() < work.end:
            return NextRead(WhenKind.NOW, today, work.start, work.end)
        if local.time() < work.start:
            return NextRead(WhenKind.LATER_TODAY, today, work.start, work.end)
    for ahead in range(1, 8):
        day = (local + timedelta(days=ahead)).weekday()
        if day in work.days:
            kind = WhenKind.TOMORROW if ahead == 1 else WhenKind.ON_DAY
            return NextRead(kind, day, work.start, work.end)
    raise ValueError("no working days are set")  # parse_days never returns an empty set


def clock(value: time) -> str:
    """9am, 5pm, 5:30pm: how times are said in plain English."""
    hour = value.hour % 12 or 12
    suffix = "am" if value.hour < 12 else "pm"
    return f"{hour}{suffix}" if value.minute == 0 else f"{hour}:{value.minute:02d}{suffix}"
