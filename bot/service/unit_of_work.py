"""The unit of work: one update (or one round of a periodic job), one transaction.

The webhook and long polling both hand each update to bot.telegram.handlers, which calls
`handle_update`; the periodic jobs (bot.telegram.jobs) call `run_job`. Here, and only here:
the update id is claimed with the update's effect in one transaction (a repeated delivery is
dropped, or shows the young person where they are after a restart), a pooled connection the
database dropped is tried once more (bot.store.db.in_transaction), and pictures a reply asks
for are drawn once the transaction has committed, never while it holds the person's row lock
(bot.service.drawing). No Telegram here: the adapter turns the Result into Bot API calls.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.service import drawing, reading
from bot.service.mat_page import PageAnswer, PageRequest, made
from bot.service.routes import Periodic
from bot.service.types import Event, Reply, Result, Sender
from bot.store import repo
from bot.store.db import in_transaction
from bot.timeutil import utcnow

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)


class Claims:
    """The update ids this process claimed (the newest 10 000), when it started (UTC), and who
    was shown where they are after a restart. The ids spare a repeated delivery a query (and
    keep it silent even if the clock steps back)."""

    def __init__(self, remembered: int = 10_000) -> None:
        self.started_at = utcnow()
        self.shown_again: set[int] = set()  # Telegram user ids
        self._remembered = remembered
        self._ids: OrderedDict[int, None] = OrderedDict()

    def add(self, update_id: int) -> None:
        """Remember that this process claimed `update_id` (the oldest is forgotten past the
        limit)."""
        self._ids[update_id] = None
        if len(self._ids) > self._remembered:
            self._ids.popitem(last=False)

    def __contains__(self, update_id: object) -> bool:
        return update_id in self._ids


async def handle_update(services: Services, claims: Claims, update_id: int, sender: Sender,
                        event: Event) -> Result | None:
    """One update, one transaction: its effect and its id commit together; then the pictures
    its replies ask for are drawn (after the commit, off the event loop).

    Returns what to say, or None when there is nothing to say: a repeated delivery, an update
    another process is answering, or one another process committed first (IntegrityError on
    the claim). Raises DATABASE_AWAY errors: nothing was stored, so the update must be handled
    again later (the adapter keeps it back, or answers Telegram 503).
    """
    async def work(session: AsyncSession) -> Result | None:
        return await _claim_and_handle(services, claims, session, update_id, sender, event)

    try:
        result = await in_transaction(services.db, work, f"update {update_id}")
    except IntegrityError:
        # Another process handled the same update at the same moment and committed first.
        log.info("update %s was handled elsewhere", update_id)
        return None
    if result is not None:
        result.replies = await drawing.draw_all(services.db, result.replies)
    return result


async def handle_page(services: Services, telegram_user_id: int,
                      request: PageRequest) -> PageAnswer:
    """One request from the Talking Mat page (issue 16), from the young person whose Telegram
    initData the adapter has checked, in one transaction like a tap (a dropped pooled
    connection tried once more: bot.store.db.in_transaction); then, after the commit, the
    pictures its chat replies ask for (the finished mat) drawn, and the picture or speech
    the page asked for made (mat_page.made: a symbol drawn off the event loop, words
    spoken), so no drawing or speaking happens inside the transaction.

    Returns the page's answer; its `result`, when set, is what to send to the young person's
    private chat (new messages). Raises DATABASE_AWAY errors like `handle_update`: nothing was
    stored, and the adapter answers 503."""
    async def work(session: AsyncSession) -> PageAnswer:
        return await services.conversation.page(session, telegram_user_id, request)

    answer = await in_transaction(services.db, work,
                                  f"mat page {request.what} of run {request.run_id}")
    if answer.result is not None:
        answer.result.replies = await drawing.draw_all(services.db, answer.result.replies)
    return await made(answer)


async def run_job(services: Services, job: Periodic, now: datetime) -> list[Reply]:
    """One round of a periodic job (bot.service.routes.periodic) in one transaction, then
    the pictures its replies ask for drawn after the commit. Returns the replies to send
    (each names its chat), each to a young person with "Read to me" on after its reading
    (a reminder is read as their menu is: bot.service.reading). Raises what the job or the
    database raises."""
    async def work(session: AsyncSession) -> list[Reply]:
        ctx = services.conversation.ctx
        return await reading.read_for_others(ctx, session, await job.fn(ctx, session, now))

    replies = await in_transaction(services.db, work, f"job {job.name}")
    return await drawing.draw_all(services.db, replies)


async def _claim_and_handle(services: Services, claims: Claims, session: AsyncSession,
                            update_id: int, sender: Sender, event: Event) -> Result | None:
    """Inside the transaction: claim the update id, then let the conversation decide. For an
    update handled before: None, or where the young person is if an earlier process may have
    died before answering."""
    if await repo.claim_update(session, update_id):
        claims.add(update_id)
        return await services.conversation.handle(session, sender, event)
    if update_id in claims:
        return None  # a repeated delivery of one we answered: nothing to do again
    return await _answer_left_by_an_earlier_process(services, claims, session, update_id,
                                                    sender)


async def _answer_left_by_an_earlier_process(services: Services, claims: Claims,
                                             session: AsyncSession, update_id: int,
                                             sender: Sender) -> Result | None:
    """Telegram sends an update again only if it was never confirmed (polling) or never got
    its 200 (webhook): stored by an earlier process that may have died before it answered (or,
    after a graceful stop, before it could confirm). Claimed before this process started: the
    young person is shown where they are, once per process however many such updates they
    have. Claimed since: another process is answering it."""
    if sender.telegram_user_id in claims.shown_again:
        return None
    at = await repo.claimed_at(session, update_id)
    if at is None or at >= claims.started_at:
        return None
    log.info("update %s was stored before a restart: showing where they are", update_id)
    claims.shown_again.add(sender.telegram_user_id)
    return await services.conversation.show_again(session, sender)
