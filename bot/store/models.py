"""The database tables, as typed SQLAlchemy 2 models.

Anything a young person wrote, said or sent is stored through an encrypted column type; ids,
timestamps and symbol ids (our own vocabulary) are stored plain so they can be queried.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.store.crypto import ENCRYPTED_TYPES, EncryptedBytes, EncryptedJSON, EncryptedText
from bot.timeutil import utcnow


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: DateTime(timezone=True),
        dict[str, Any]: JSON,
    }


class Role(enum.StrEnum):
    YOUNG_PERSON = "young_person"
    THERAPIST = "therapist"
    SUPPORTER = "supporter"  # a parent, carer or school staff member, for one young person
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
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # False: they blocked the bot
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    # Personal choices from /settings (text size, colours, font, read aloud, reminders).
    preferences: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # A multi-message command in progress (for example /addcard waiting for a photo).
    pending: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    next_reminder_at: Mapped[datetime | None]


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
    SUPPORTER = "supporter"


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
    # A supporter invitation is for one young person, with a relationship ("parent", ...).
    young_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"))
    relationship: Mapped[str | None] = mapped_column(String(40))


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
    # Who helped the young person answer (on my own / parent or carer / school staff / therapist).
    # Who helped the young person answer: symbol ids joined by "," (more than one may help).
    helped_by: Mapped[str | None] = mapped_column(String(200))
    # A supporter's run is about a young person; a young person's own run leaves this empty.
    about_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True)
    # Options chosen for this run (for example a Talking Mat topic and option cards), with the
    # words of their own picture cards: encrypted like the rest of their content.
    options: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON, default=dict)

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
    # Voice notes, photos and pictures made for this answer (ids in media_files).
    media: Mapped[list[int]] = mapped_column(JSON, default=list)
    # What else the answer is (encrypted; None when nothing): {"placements": [[card, column],
    # ...]} for a Talking Mat (column 0-2 on the top scale, -1 left off), {"forwarded": true}
    # for words or media sent on from someone else, {"media_group": "..."} for an answer from
    # an album (Telegram's media_group_id). See AnswerRecord in bot/engine/core.py.
    detail: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON)
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


class MediaFile(Base):
    """A voice note, photo or picture made for a young person, encrypted at rest."""

    __tablename__ = "media_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    # voice / photo / mat / profile / card / recording
    kind: Mapped[str] = mapped_column(String(20))
    mime_type: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(EncryptedBytes)
    # Encrypted: with the database and the bot token, a file id downloads the file from Telegram.
    telegram_file_id: Mapped[str | None] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CardUpload(Base):
    """A picture card already uploaded to Telegram, by content hash, so it is re-sent by id.

    A card drawn from a young person's own content (their words, photos, mat or meeting) has
    an owner and goes when they are erased; a card of flow words and symbols only has none.
    """

    __tablename__ = "card_uploads"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Encrypted like their content: the file id alone downloads the picture from Telegram.
    file_id: Mapped[str] = mapped_column(EncryptedText)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Assignment(Base):
    """A flow a therapist has set for a young person (with options such as a Talking Mat topic)."""

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    young_person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True)
    flow_id: Mapped[str] = mapped_column(String(64))
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class PersonalCard(Base):
    """A therapist's own picture card for one young person (a photo with words)."""

    __tablename__ = "personal_cards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    young_person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    words: Mapped[str] = mapped_column(EncryptedText)
    media_id: Mapped[int] = mapped_column(ForeignKey("media_files.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Outcome(Base):
    """One outcome from a young person's EHC plan, as their therapist entered it (/outcomes).

    Its words are encrypted. A changed outcome keeps its id; one taken off the list keeps its
    row (`ended_at` set), so runs that asked about it, and summaries of them, keep their words
    (the words as asked are also in each run's options)."""

    __tablename__ = "outcomes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    young_person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    words: Mapped[str] = mapped_column(EncryptedText)
    symbol_id: Mapped[str | None] = mapped_column(String(60))  # from media/symbols.yaml
    media_id: Mapped[int | None] = mapped_column(
        ForeignKey("media_files.id", ondelete="SET NULL"))  # a picture the therapist sent
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]  # taken off the list: kept for earlier views


class Recording(Base):
    """A therapist's voice reading one question aloud (used by "Read it to me")."""

    __tablename__ = "recordings"
    __table_args__ = (UniqueConstraint("therapist_id", "flow_id", "step_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    therapist_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    flow_id: Mapped[str] = mapped_column(String(64))
    step_id: Mapped[str] = mapped_column(String(64))
    media_id: Mapped[int] = mapped_column(ForeignKey("media_files.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SupporterLink(Base):
    """A parent, carer or school staff member who may add their view about one young person."""

    __tablename__ = "supporter_links"
    __table_args__ = (UniqueConstraint("supporter_id", "young_person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    supporter_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    young_person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    relationship: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]


class Meeting(Base):
    """A young person's next planning meeting (for example the EHCP annual review)."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    young_person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True)
    therapist_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    held_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the young person was gently invited to get ready (so it happens once per stage).
    prepared_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    # When the therapist said the meeting has happened (before its date had passed): from then
    # on it counts as held (its record can be made, "you said, we did" can be sent).
    happened_at: Mapped[datetime | None]


class YouSaid(Base):
    """Closing the loop: what was decided from what the young person said, and whether they
    felt listened to."""

    __tablename__ = "you_said"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    young_person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True)
    therapist_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"))
    # [{"said": "...", "will": "..."}] in simple words (encrypted: it quotes the young person).
    items: Mapped[str] = mapped_column(EncryptedText)
    sent_at: Mapped[datetime | None]
    listened: Mapped[str | None] = mapped_column(String(20))  # yes / a_bit / no
    answered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MeetingRecord(Base):
    """What was agreed at a meeting and the next steps, as the therapist recorded them after it
    (one record per meeting; /agreed). Final once the therapist taps Done."""

    __tablename__ = "meeting_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), unique=True)
    young_person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True)
    therapist_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    # [{"n": 1, "text": "..."}]: short items, each with a number that never changes (buttons
    # name an item by it). Encrypted: the outcomes agreed are about the young person.
    agreed: Mapped[list[dict[str, Any]]] = mapped_column(EncryptedJSON, default=list)
    next_steps: Mapped[list[dict[str, Any]]] = mapped_column(EncryptedJSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    final_at: Mapped[datetime | None]


class RunNote(Base):
    """A therapist's note on a finished, shared activity (issue 14, point 9): what the
    placements alone do not say, such as hesitations, non-verbal responses and changes of
    mind. The therapist's words, never the young person's; several per activity."""

    __tablename__ = "run_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("flow_runs.id", ondelete="CASCADE"),
                                        index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeletionRequest(Base):
    """A young person asked for everything about them to be deleted."""

    __tablename__ = "deletion_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    young_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    decision: Mapped[str | None] = mapped_column(String(20))  # confirmed / declined
    reason: Mapped[str | None] = mapped_column(EncryptedText)


class Alert(Base):
    """A safeguarding alert: a young person may not be safe. Never lost, never left unseen."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    young_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True)
    therapist_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(20))  # button / words / voice_caption
    words: Mapped[str | None] = mapped_column(EncryptedText)
    matched: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    notified_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"))


def encrypted_columns() -> list[tuple[Table, Column[Any]]]:
    """Every encrypted column, found from the models (not a list), so a new one is covered too.

    Returns (table, column) pairs in table dependency order. Used by key rotation and by the
    data key check (bot/safety/rotation.py, bot/store/keycheck.py)."""
    found = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, ENCRYPTED_TYPES):
                found.append((table, column))
    return found
