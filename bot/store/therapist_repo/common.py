"""Names the therapist-side queries share: run status and audit action strings, and the
start of a day in UTC.

Every function takes the caller's session (one transaction)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

INT32_MAX = 2**31 - 1
FINISHED = "finished"  # engine RunStatus.FINISHED, kept as a plain string for queries
READ_SUMMARY = "read_summary"  # the audit action written when a therapist reads a summary


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of a day, for comparing dates with stored timestamps."""
    return datetime.combine(day, time.min, tzinfo=UTC)
