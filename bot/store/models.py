"""The database tables, as typed SQLAlchemy 2 models.

Anything a young person wrote, said or sent is stored through an encrypted column type; ids,
timestamps and symbol ids (our own vocabulary) are stored plain so they can be queried.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.store.crypto import EncryptedText
from bot.timeutil import utcnow


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: DateTime(timezone=True),
        dict[str, Any]: JSON,
    }


class Role(enum.StrEnum):
    YOUNG_PERSON = "young_person"
    THERAPIST = "therapist"
    ADMIN = "admin"


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    role: Mapped[str] = mapped_column(String(20))
    display_name: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    consented_at: Mapped[datetime | None]
    last_active_at: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Link(Base):
    """A young person on a therapist's caseload."""

    __tablename__ = "links"
    __table_args__ = (UniqueConstraint("therapist_id", "young_person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    therapist_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    young_person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]


class InvitationKind(enum.StrEnum):
    THERAPIST = "therapist"
    YOUNG_PERSON = "young_person"


class Invitation(Base):
    """A one-time code. Only its SHA-256 is stored, so a database copy cannot be replayed."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    label: Mapped[str | None] = mapped_column(EncryptedText)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))


class FlowRun(Base):
    """One young person going through one flow: where they are, and what they chose to share."""

    __tablename__ = "flow_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    flow_id: Mapped[str] = mapped_column(String(64))
    step_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="active")  # engine RunStatus
    # Engine-owned state (history for Back, a pending multi-select, ...), plain ids only.
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Bumped on every change; buttons carry it, so a stale or doubled tap is recognised.
    version: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    shared_at: Mapped[datetime | None]

    answers: Mapped[list[Answer]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="Answer.id"
    )


class Answer(Base):
    """What the young person gave at one step of a run (one row per step; Back then re-answer
    replaces it)."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("run_id", "step_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("flow_runs.id", ondelete="CASCADE"))
    step_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))  # answered / skipped / dont_know
    choices: Mapped[list[str]] = mapped_column(JSON, default=list)
    own_words: Mapped[str | None] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    run: Mapped[FlowRun] = relationship(back_populates="answers")


class ProcessedUpdate(Base):
    """Telegram update ids already handled, written in the same transaction as their effect."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(default=utcnow)


class AppState(Base):
    """Small facts the service learns while running (for example the bot's username)."""

    __tablename__ = "app_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))


class AuditEntry(Base):
    """Who read or changed a young person's data, and when. Never holds the data itself."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    detail: Mapped[str] = mapped_column(String(256), default="")
