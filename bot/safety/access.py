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


async def responsible_for(session: AsyncSession, viewer: Person, young_person_id: int | None,
                          *, safeguarding_contact: int | None = None,
                          admins: bool = False) -> Person | None:
    """The young person, if `viewer` may act on their safety alerts or deletion requests.

    Their own therapist (on the caseload now), the service's safeguarding contact (the one in
    the settings now), and, with `admins` (deletion requests), any service admin. Acting on
    a request is not reading answers: that still needs `young_person_for`.
    """
    if young_person_id is None:
        return None
    subject = await repo.person_by_id(session, young_person_id)
    if subject is None or subject.role != Role.YOUNG_PERSON:
        return None
    if viewer.role == Role.THERAPIST and await repo.is_on_caseload(session, viewer.id, subject.id):
        return subject
    if admins and viewer.role == Role.ADMIN:
        return subject
    if safeguarding_contact is not None and viewer.telegram_user_id == safeguarding_contact:
        return subject
    return None


async def supporter_of(session: AsyncSession, viewer: Person,
                       young_person_id: int) -> Person | None:
    """The young person, if `viewer` is one of their supporters now (a link not ended).

    This lets a supporter add their own view about the young person. It never lets them read
    the young person's answers: `young_person_for` gives a supporter nobody, and a supporter
    reads back only runs they wrote themself (repo.run_for_person).
    """
    from bot.store import therapist_repo  # the supporter queries live with the feature

    subject = await repo.person_by_id(session, young_person_id)
    if viewer.role != Role.SUPPORTER or subject is None or subject.role != Role.YOUNG_PERSON:
        return None
    found = await therapist_repo.supporter_link(session, viewer.id, subject.id)
    return subject if found is not None and found.ended_at is None else None
