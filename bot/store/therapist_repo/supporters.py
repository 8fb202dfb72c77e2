"""Supporters: who supports whom, linking, and one-time supporter invitations.

Every function takes the caller's session (one transaction)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store import repo
from bot.store.models import AuditEntry, Invitation, InvitationKind, Person, Role, SupporterLink
from bot.timeutil import utcnow


@dataclass(frozen=True)
class Supporter:
    """The other side of a supporter link (the supporter; the young person in supported_by)
    and the relationship on the link ("Mum", "teacher")."""

    person: Person
    relationship: str


async def supporters_of(session: AsyncSession, young_person_id: int,
                        include_ended: bool = False) -> list[Supporter]:
    """The young person's supporters, oldest link first (ended links too with include_ended)."""
    query = (select(Person, SupporterLink.relationship)
             .join(SupporterLink, SupporterLink.supporter_id == Person.id)
             .where(SupporterLink.young_person_id == young_person_id)
             .order_by(SupporterLink.id))
    if not include_ended:
        query = query.where(SupporterLink.ended_at.is_(None))
    return [Supporter(p, rel) for p, rel in (await session.execute(query)).all()]


async def supported_by(session: AsyncSession, supporter_id: int) -> list[Supporter]:
    """The young people a supporter may add their view about (active links only)."""
    query = (select(Person, SupporterLink.relationship)
             .join(SupporterLink, SupporterLink.young_person_id == Person.id)
             .where(SupporterLink.supporter_id == supporter_id, SupporterLink.ended_at.is_(None),
                    Person.role == Role.YOUNG_PERSON.value)
             .order_by(SupporterLink.id))
    return [Supporter(p, rel) for p, rel in (await session.execute(query)).all()]


async def supporter_link(session: AsyncSession, supporter_id: int,
                         young_person_id: int) -> SupporterLink | None:
    """The link between a supporter and a young person (ended or not), or None."""
    return await session.scalar(select(SupporterLink).where(
        SupporterLink.supporter_id == supporter_id,
        SupporterLink.young_person_id == young_person_id))


async def link_supporter(session: AsyncSession, supporter: Person, young_person_id: int,
                         relationship: str) -> SupporterLink:
    """Link a supporter to a young person, reopening an ended link; returns the link."""
    existing = await supporter_link(session, supporter.id, young_person_id)
    if existing is not None:
        existing.ended_at = None
        existing.relationship = relationship
        return existing
    row = SupporterLink(supporter_id=supporter.id, young_person_id=young_person_id,
                        relationship=relationship, created_at=utcnow())
    session.add(row)
    await session.flush()
    return row


async def create_supporter_invitation(session: AsyncSession, *, therapist: Person,
                                      young_person: Person, relationship: str,
                                      days: int) -> str:
    """A one-time code for a supporter of one young person. Only its hash is stored."""
    code = secrets.token_urlsafe(16)
    now = utcnow()
    session.add(Invitation(code_hash=repo.hash_code(code), kind=InvitationKind.SUPPORTER.value,
                           created_by_id=therapist.id, created_at=now,
                           expires_at=now + timedelta(days=days),
                           young_person_id=young_person.id, relationship=relationship))
    await session.flush()
    return code


async def supporter_invitation_made_since(session: AsyncSession, *, therapist_id: int,
                                          young_person_id: int, relationship: str,
                                          since: datetime) -> bool:
    """Whether the young person already said yes to this request (a second tap on Yes)."""
    found = await session.scalar(select(Invitation.id).where(
        Invitation.kind == InvitationKind.SUPPORTER.value,
        Invitation.created_by_id == therapist_id,
        Invitation.young_person_id == young_person_id,
        Invitation.relationship == relationship,
        Invitation.created_at >= since).limit(1))
    return found is not None


async def supporter_declined_since(session: AsyncSession, *, young_person_id: int,
                                   relationship: str, since: datetime) -> bool:
    """Whether the young person already said "not now" to this request (kept in the audit)."""
    found = await session.scalar(select(AuditEntry.id).where(
        AuditEntry.actor_id == young_person_id, AuditEntry.action == "supporter_declined",
        AuditEntry.detail == relationship, AuditEntry.at >= since).limit(1))
    return found is not None
