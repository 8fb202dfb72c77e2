"""Who may see what. Every read of a young person's answers goes through here."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.store import repo
from bot.store.models import Person, Role


async def young_person_for(session: AsyncSession, viewer: Person,
                           young_person_id: int) -> Person | None:
    """The young person, if `viewer` may read their shared answers; otherwise None.

    A young person sees only themself; a therapist only the young people on their caseload.
    An admin is not given answers by being an admin.
    """
    subject = await repo.person_by_id(session, young_person_id)
    if subject is None or subject.role != Role.YOUNG_PERSON:
        return None
    if viewer.id == subject.id:
        return subject
    if viewer.role == Role.THERAPIST and await repo.is_on_caseload(session, viewer.id, subject.id):
        return subject
    return None
