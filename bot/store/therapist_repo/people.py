"""Finding people: a young person or a therapist by either id, and a young person's therapist.

Every function takes the caller's session (one transaction)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import Link, Person, Role
from bot.store.therapist_repo.common import INT32_MAX


async def find_young_person(session: AsyncSession, ident: int) -> list[Person]:
    """Young people whose MySay id or Telegram user id is `ident` (both are accepted on the
    command line). Usually one; two means the number is ambiguous and the caller must say so."""
    query = select(Person).where(Person.role == Role.YOUNG_PERSON.value, _either_id(ident))
    return list((await session.scalars(query.order_by(Person.id))).all())


def _either_id(ident: int) -> ColumnElement[bool]:
    """MySay id or Telegram id. MySay ids are 32-bit: a bigger number can only be Telegram's
    (and PostgreSQL refuses to compare an integer column with it)."""
    if 0 < ident <= INT32_MAX:
        return or_(Person.id == ident, Person.telegram_user_id == ident)
    return Person.telegram_user_id == ident


async def find_therapist(session: AsyncSession, ident: int) -> Person | None:
    """The therapist whose MySay id or Telegram user id is `ident`, or None."""
    return await session.scalar(select(Person).where(
        Person.role == Role.THERAPIST.value, _either_id(ident)).order_by(Person.id).limit(1))


async def therapist_of(session: AsyncSession, young_person_id: int) -> Person | None:
    """The therapist whose caseload the young person is on now (the newest link)."""
    query = (select(Person).join(Link, Link.therapist_id == Person.id)
             .where(Link.young_person_id == young_person_id, Link.ended_at.is_(None),
                    Person.role == Role.THERAPIST.value)
             .order_by(Link.id.desc()).limit(1))
    return await session.scalar(query)
