"""Migrations 0002 and 0003 (issues 11 and 12): plain Telegram file ids and run options already
in a database are encrypted by the migration, and old card uploads (owner unknown) are
dropped; downgrading gives the plain values back. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from cryptography.fernet import Fernet
from sqlalchemy.engine import Connection

from bot.store import crypto
from bot.store.db import Database, alembic_config
from tests.conftest import DATA_KEY
from tests.test_cli import run_cli

FILE_ID = "AwACAgQAAxkBPlainVoiceFileId0042"
CARD_FILE_ID = "AgACAgQAAxkBPlainCardFileId0042"
CARD_WORDS = "Ozymandias the hamster 3318"
WHEN = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

_people = sa.table("people", sa.column("id", sa.Integer), sa.column("telegram_user_id"),
                   sa.column("chat_id"), sa.column("role"),
                   sa.column("display_name", sa.LargeBinary), sa.column("created_at"),
                   sa.column("active"), sa.column("preferences", sa.JSON),
                   sa.column("pending", sa.JSON))
_runs = sa.table("flow_runs", sa.column("id", sa.Integer), sa.column("person_id"),
                 sa.column("flow_id"), sa.column("step_id"), sa.column("status"),
                 sa.column("state", sa.JSON), sa.column("version"), sa.column("started_at"),
                 sa.column("updated_at"), sa.column("shared"), sa.column("options", sa.JSON))
_media = sa.table("media_files", sa.column("id", sa.Integer), sa.column("owner_id"),
                  sa.column("kind"), sa.column("mime_type"),
                  sa.column("content", sa.LargeBinary), sa.column("telegram_file_id"),
                  sa.column("created_at"))
_cards = sa.table("card_uploads", sa.column("key"), sa.column("file_id"),
                  sa.column("created_at"))


async def _alembic(db: Database, action: str, revision: str) -> None:
    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)

    async with db.engine.begin() as conn:
        await conn.run_sync(run)


def _options() -> dict[str, Any]:
    return {"cards": {"card_1": {"words": CARD_WORDS, "media": 1}}}


async def _plain_rows_at_0001(db: Database, keyring: crypto.Keyring) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(_people.insert().values(
            id=1, telegram_user_id=9001, chat_id=9001, role="young_person",
            display_name=keyring.encrypt(b"Jo"), created_at=WHEN, active=True, preferences={},
            pending={}))
        await conn.execute(_media.insert().values(
            id=1, owner_id=1, kind="card", mime_type="image/jpeg",
            content=keyring.encrypt(b"jpeg"), telegram_file_id=FILE_ID, created_at=WHEN))
        await conn.execute(_media.insert().values(
            id=2, owner_id=1, kind="photo", mime_type="image/jpeg",
            content=keyring.encrypt(b"jpeg"), telegram_file_id=None, created_at=WHEN))
        await conn.execute(_runs.insert().values(
            id=1, person_id=1, flow_id="talking_mat", step_id="mat", status="active", state={},
            version=1, started_at=WHEN, updated_at=WHEN, shared=False, options=_options()))
        await conn.execute(_cards.insert().values(key="k" * 64, file_id=CARD_FILE_ID,
                                                  created_at=WHEN))


async def _raw(db: Database) -> tuple[list[Any], Any, int]:
    async with db.engine.connect() as conn:
        file_ids = (await conn.execute(sa.text(
            "SELECT telegram_file_id FROM media_files ORDER BY id"))).scalars().all()
        options = (await conn.execute(sa.text("SELECT options FROM flow_runs"))).scalar_one()
        cards = (await conn.execute(sa.text("SELECT count(*) FROM card_uploads"))).scalar_one()
    return list(file_ids), options, int(cards)


def _sqlite_bytes(url: str) -> bytes:
    """The database file and any -wal beside it, as they are on disk."""
    path = Path(sa.make_url(url).database or "")
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


@pytest.fixture
def keyring() -> crypto.Keyring:
    ring = crypto.Keyring.from_string(DATA_KEY)
    crypto.activate(ring)
    return ring


async def test_0002_encrypts_plain_file_ids_and_options_and_drops_old_card_uploads(
        database_url: str, keyring: crypto.Keyring) -> None:
    db = Database(database_url)
    try:
        await db.upgrade()  # head, then back to 0001: the downgrade is exercised too
        await _alembic(db, "downgrade", "0001")
        await _plain_rows_at_0001(db, keyring)
        await db.upgrade()
        file_ids, options, cards = await _raw(db)
        assert keyring.decrypt(bytes(file_ids[0])).decode() == FILE_ID
        assert file_ids[1] is None
        assert keyring.decrypt(bytes(options)).decode().count(CARD_WORDS) == 1
        assert cards == 0  # whose they were is unknown: uploaded again, then kept with owners
        await _alembic(db, "downgrade", "0001")  # and back: the plain values return
        file_ids, options, _ = await _raw(db)
        assert file_ids == [FILE_ID, None]
        assert CARD_WORDS in str(options)
        await db.upgrade()
    finally:
        await db.dispose()
    if db.is_sqlite:  # nothing plain is left in the file (secure_delete, WAL folded in)
        data = _sqlite_bytes(database_url)
        assert FILE_ID.encode() not in data and CARD_WORDS.encode() not in data
        assert CARD_FILE_ID.encode() not in data


async def test_0002_with_no_data_key_changes_nothing(database_url: str,
                                                     keyring: crypto.Keyring) -> None:
    db = Database(database_url)
    try:
        await db.upgrade()
        await _alembic(db, "downgrade", "0001")
        await _plain_rows_at_0001(db, keyring)
        crypto._active = None  # an upgrade run without the data keys
        try:
            with pytest.raises(RuntimeError, match="needs the data keys"):
                await db.upgrade()
        finally:
            crypto.activate(keyring)
        file_ids, _, cards = await _raw(db)
        assert file_ids == [FILE_ID, None] and cards == 1  # rolled back as a whole
    finally:
        await db.dispose()


async def test_a_wrong_key_is_refused_before_0002_encrypts_anything(
        database_url: str, keyring: crypto.Keyring, tmp_path: Path) -> None:
    """Under a wrong key, 0002 would encrypt the plain file ids with it, beside names only the
    right key opens: the command is refused first, and the database stays as it was."""
    db = Database(database_url)
    try:
        await db.upgrade()
        await _alembic(db, "downgrade", "0001")
        await _plain_rows_at_0001(db, keyring)
    finally:
        await db.dispose()
    wrong = Fernet.generate_key().decode()
    refused = run_cli("admin", "people", tmp_path=tmp_path, DATABASE_URL=database_url,
                      MYSAY_DATA_KEYS=wrong)
    assert refused.returncode == 2 and "MYSAY_DATA_KEYS" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr
    db = Database(database_url)
    try:
        file_ids, _, cards = await _raw(db)
        async with db.engine.connect() as conn:
            revision = (await conn.execute(sa.text(
                "SELECT version_num FROM alembic_version"))).scalar_one()
    finally:
        await db.dispose()
    assert (file_ids, cards, revision) == ([FILE_ID, None], 1, "0001")
    # With the right key it goes ahead.
    accepted = run_cli("admin", "people", tmp_path=tmp_path, DATABASE_URL=database_url)
    assert accepted.returncode == 0, accepted.stderr


_answers = sa.table("answers", sa.column("id", sa.Integer), sa.column("run_id"),
                    sa.column("step_id"), sa.column("kind"), sa.column("choices", sa.JSON),
                    sa.column("media", sa.JSON), sa.column("created_at"),
                    sa.column("updated_at"))


async def test_0003_copies_a_finished_mats_placements_onto_its_answer(
        database_url: str, keyring: crypto.Keyring) -> None:
    """Issue 12, point 1: a mat finished before 0003 kept its placements only in the run's
    options; after the upgrade its answer has them, Homework under "Don't like" included, and
    the store reads them back as the engine's record. Answers without a mat get no detail."""
    from bot.store import repo

    placements = {"lessons": 0, "homework": 2, "pe": -1}
    db = Database(database_url)
    try:
        await db.upgrade()
        await _alembic(db, "downgrade", "0002")
        async with db.engine.begin() as conn:
            await conn.execute(_people.insert().values(
                id=1, telegram_user_id=9001, chat_id=9001, role="young_person",
                display_name=keyring.encrypt(b"Jo"), created_at=WHEN, active=True,
                preferences={}, pending={}))
            options = {"topic": "school", "scale": ["like", "not_sure", "dont_like"],
                       "placements": placements}
            await conn.execute(sa.text(
                "INSERT INTO flow_runs (id, person_id, flow_id, step_id, status, state, "
                "version, started_at, updated_at, shared, options, helped_by) VALUES (1, 1, "
                "'talking_mat', 'mat', 'finished', '{}', 3, :when, :when, true, :options, "
                "'helped_alone')"),
                {"when": WHEN, "options": keyring.encrypt(
                    json.dumps(options).encode())})
            for answer_id, step, media in ((1, "mat", [{"id": 7, "kind": "mat"}]),
                                           (2, "more", [])):
                await conn.execute(_answers.insert().values(
                    id=answer_id, run_id=1, step_id=step, kind="answered",
                    choices=["lessons", "homework"] if step == "mat" else [], media=media,
                    created_at=WHEN, updated_at=WHEN))
        await db.upgrade()
        async with db.transaction() as session:
            answers = await repo.answers_of(session, 1)
        assert dict(answers["mat"].placements) == placements
        assert answers["more"].placements == () and not answers["more"].forwarded
        async with db.engine.begin() as conn:  # several helpers fit now
            await conn.execute(sa.text("UPDATE flow_runs SET helped_by = :h"),
                               {"h": "helped_alone,helped_family,helped_school,helped_therapist"})
        await _alembic(db, "downgrade", "0002")
        async with db.engine.connect() as conn:
            helped = (await conn.execute(sa.text("SELECT helped_by FROM flow_runs"))).scalar()
        assert helped == "helped_alone"
        await db.upgrade()
    finally:
        await db.dispose()
