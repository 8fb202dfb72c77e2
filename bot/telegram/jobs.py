"""Periodic work (reminders, alert escalation, retention) on PTB's JobQueue.

What each job does is in bot.service (registered with @periodic); here it is only run on a
timer, in one transaction (bot.service.unit_of_work.run_job, shared with the updates), and its
messages delivered.
"""

from __future__ import annotations

import logging
from datetime import datetime

from telegram.error import Forbidden, TelegramError
from telegram.ext import Application, ContextTypes

from bot.render.cards.parts import prune_personal
from bot.service import unit_of_work
from bot.service.routes import ROUTES
from bot.timeutil import utcnow

log = logging.getLogger(__name__)


def schedule(application: Application) -> None:
    queue = application.job_queue
    if queue is None:  # PTB installed without the job-queue extra
        raise RuntimeError("MySay needs python-telegram-bot[job-queue]")
    for job in ROUTES.periodic.values():
        queue.run_repeating(_tick, interval=job.seconds, first=min(job.seconds, 10.0),
                            name=job.name, data=job.name)
    queue.run_repeating(_age_picture_parts, interval=PRUNE_SECONDS, first=PRUNE_SECONDS,
                        name=PRUNE_JOB)


PRUNE_JOB = "age out picture parts"
PRUNE_SECONDS = 60.0


async def _age_picture_parts(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Drop drawn parts of a young person's pictures unused for their idle limit, even while
    nobody taps (bot.render.cards.parts.prune_personal): memory only, no database."""
    dropped = prune_personal()
    if dropped:
        log.debug("aged out %d picture parts", dropped)


async def _tick(context: ContextTypes.DEFAULT_TYPE) -> None:
    assert context.job is not None
    try:
        await run_now(context.application, str(context.job.data))
    except Exception:  # a failed round is logged and tried again next interval
        log.exception("job %s failed", context.job.data)


async def run_now(application: Application, name: str, now: datetime | None = None) -> int:
    """Run one job once (the timer calls this; tests call it, with `now` to move the clock).
    Returns how many messages it sent."""
    from bot.telegram.handlers import delivery_for_application, services_of_application

    services = services_of_application(application)
    replies = await unit_of_work.run_job(services, ROUTES.periodic[name], now or utcnow())
    delivery = delivery_for_application(application)
    sent = 0
    for reply in replies:
        if reply.chat_id is None:
            continue
        try:
            await delivery.send(reply.chat_id, reply)
            sent += 1
        except Forbidden:
            log.info("job %s: chat %s has blocked the bot", name, reply.chat_id)
        except TelegramError:
            log.warning("job %s: could not send to chat %s", name, reply.chat_id)
    return sent
