"""Retention: a daily job that erases what MySay no longer has a reason to keep.

The policy (docs/dpia.md): a young person's data goes `MYSAY_RETENTION_DAYS` after they left
the caseload, and never stays past their `MYSAY_RETENTION_AGE`th birthday (25 by default,
the NHS rule for children's records) when a date of birth is known. Unused invitations go
once they have been expired for as long; the ids of handled Telegram updates after a week.
An unacknowledged safety alert holds erasure back: a disclosure is never deleted unseen.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.safety import erase
from bot.service.routes import periodic
from bot.service.types import Reply
from bot.store import privacy_repo, repo
from bot.store.models import Person
from bot.timeutil import as_utc

if TYPE_CHECKING:
    from bot.service.conversation import Context

log = logging.getLogger(__name__)

JOB = "retention"
DAY = 24 * 3600
UPDATE_IDS_KEPT_DAYS = 7


def birthday(born: date, age: int) -> date:
    """The day someone born on `born` turns `age` (29 February counts as 1 March)."""
    try:
        return born.replace(year=born.year + age)
    except ValueError:
        return date(born.year + age, 3, 1)


async def reason_to_erase(session: AsyncSession, young: Person, now: datetime, *,
                          days: int, age: int) -> str | None:
    """Why this young person's data must go now, or None to keep it."""
    if young.date_of_birth is not None and now.date() >= birthday(young.date_of_birth, age):
        return f"reached age {age}"
    left = await privacy_repo.left_caseload_at(session, young)
    if left is not None and as_utc(left) + timedelta(days=days) <= now:
        return f"left the caseload over {days} days ago"
    return None


@periodic(JOB, DAY)
async def apply_retention(ctx: Context, session: AsyncSession, now: datetime) -> list[Reply]:
    settings = ctx.settings
    erased = 0
    for young in await privacy_repo.young_people(session):
        why = await reason_to_erase(session, young, now, days=settings.retention_days,
                                    age=settings.retention_age)
        if why is None:
            continue
        # Claimed for this process: another one running the job skips this person.
        claimed = await privacy_repo.claim_for_erasure(session, young.id)
        if claimed is None:
            continue
        if await erase.blocking_alert(session, young.id) is not None:
            log.warning("retention: keeping a young person's data until their safety alert "
                        "is acknowledged")
            continue
        gone = await erase.erase_young_person(session, claimed)
        repo.audit(session, None, "retention_erased", detail=f"{why}: {gone}")
        erased += 1
    old = now - timedelta(days=settings.retention_days)
    stale = await privacy_repo.forget_unused_invitations(session, old)
    if erased or stale:
        log.info("retention: erased %s young people and %s old invitations", erased, stale)
    # Update ids are kept only to spot a repeated delivery, which Telegram makes within a day.
    await repo.forget_processed_before(session, now - timedelta(days=UPDATE_IDS_KEPT_DAYS))
    return []
