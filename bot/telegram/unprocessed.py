"""Which updates could not be stored because the database was away, in both modes.

Webhook mode answers such an update with 503 so that Telegram sends it again; long polling
(bot.telegram.polling) keeps it back from the offset and hands it over again later. Either way
the person is told once, not on every attempt.
"""

from __future__ import annotations

from collections import OrderedDict

from telegram.ext import Application

_UNPROCESSED = "mysay_unprocessed"  # bot_data: update ids whose transaction could not commit
_FAILED_NOW = "mysay_failed_now"  # bot_data: failed on this attempt (read by whoever delivered)
_COMMITTED = "mysay_committed"  # bot_data: how many update transactions have committed
_REMEMBERED = 10_000  # update ids; older ones are forgotten so memory stays flat


def track_failures(application: Application) -> None:
    """Start noting which updates fail on each attempt (webhook server and poller call it)."""
    application.bot_data.setdefault(_FAILED_NOW, set())


def note_unprocessed(application: Application, update_id: int) -> bool:
    """The database was away while handling this update. Returns True the first time we see
    it, so the person is told once, not on every redelivery."""
    seen: OrderedDict[int, None] = application.bot_data.setdefault(_UNPROCESSED, OrderedDict())
    first = update_id not in seen
    seen[update_id] = None
    seen.move_to_end(update_id)
    while len(seen) > _REMEMBERED:
        seen.popitem(last=False)
    failed: set[int] | None = application.bot_data.get(_FAILED_NOW)
    if failed is not None:
        failed.add(update_id)
    return first


def failed_now(application: Application, update_id: int) -> bool:
    """True (once) if this attempt at the update could not commit; then it must be tried again."""
    failed: set[int] = application.bot_data.setdefault(_FAILED_NOW, set())
    if update_id in failed:
        failed.discard(update_id)
        return True
    return False


def note_committed(application: Application) -> None:
    """An update's transaction committed: the database is there (bot.telegram.handlers)."""
    application.bot_data[_COMMITTED] = application.bot_data.get(_COMMITTED, 0) + 1


def committed(application: Application) -> int:
    """How many update transactions have committed since start: if this grows while one
    update keeps failing, the database is not away, and that update is at fault."""
    return int(application.bot_data.get(_COMMITTED, 0))
