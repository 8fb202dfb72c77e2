"""The database as it really is: pragmas on every connection, migrations, encrypted columns."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.engine.core import AnswerKind, AnswerRecord, RunState
from bot.service.conversation import _seen
from bot.service.types import Sender
from bot.services import Services
from bot.store import crypto, repo
from bot.store.models import Person, Role
from bot.timeutil import utcnow


async def test_sqlite_connections_are_durable_and_strict(tmp_path: Path) -> None:
    from bot.store.db import Database

    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'fresh.sqlite3'}")
    try:
        async with db.engine.connect() as conn:  # a brand-new connection, no migrations
            values = {name: (await conn.execute(text(f"PRAGMA {name}"))).scalar()
                      for name in ("journal_mode", "synchronous", "foreign_keys", "secure_delete")}
    finally:
        await db.dispose()
    assert values == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1,
                      "secure_delete": 1}


async def test_migrations_apply_twice_without_harm(services: Services) -> None:
    await services.db.upgrade()
    async with services.db.transaction() as session:
        tables = await session.run_sync(
            lambda s: set(s.connection().dialect.get_table_names(s.connection())))
    assert {"people", "links", "invitations", "flow_runs", "answers", "processed_updates",
            "alembic_version"} <= tables


async def _one_answer(services: Services, words: str) -> int:
    async with services.db.transaction() as session:
        person = await repo.add_person(session, telegram_user_id=42, chat_id=42,
                                       role="young_person", display_name="Jo", consented=True)
        run = await repo.start_run(session, person.id, RunState("check_in", "how"))
        await repo.put_answer(session, run.id, AnswerRecord("own_words", AnswerKind.ANSWERED,
                                                            (), words))
        return run.id


async def test_own_words_are_encrypted_at_rest(services: Services) -> None:
    secret = "my very own words 7c1f"
    run_id = await _one_answer(services, secret)
    async with services.db.transaction() as session:
        raw = await session.scalar(text("SELECT own_words FROM answers"))
        name = await session.scalar(text("SELECT display_name FROM people"))
        back = await repo.answers_of(session, run_id)
    assert secret.encode() not in bytes(raw) and b"Jo" != bytes(name)
    assert back["own_words"].own_words == secret
    if services.db.is_sqlite:
        folder = Path(services.db.engine.url.database).parent
        for path in folder.iterdir():
            assert secret.encode() not in path.read_bytes(), path


async def test_a_tampered_value_raises_a_clear_error(services: Services) -> None:
    run_id = await _one_answer(services, "words")
    async with services.db.transaction() as session:
        raw = bytes(await session.scalar(text("SELECT own_words FROM answers")))
        flipped = raw[:-5] + bytes([raw[-5] ^ 1]) + raw[-4:]
        await session.execute(text("UPDATE answers SET own_words = :v"), {"v": flipped})
    with pytest.raises(crypto.DataKeyError, match="could not be decrypted"):
        async with services.db.transaction() as session:
            await repo.answers_of(session, run_id)


def test_a_new_key_file_is_private(tmp_path: Path) -> None:
    keyring = crypto.Keyring.from_key_file(tmp_path)
    key_file = tmp_path / crypto.KEY_FILE_NAME
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert crypto.Keyring.from_key_file(tmp_path).primary == keyring.primary


def test_rotation_keeps_old_values_readable() -> None:
    from cryptography.fernet import Fernet

    old, new = Fernet.generate_key(), Fernet.generate_key()
    token = crypto.Keyring([old]).encrypt(b"kept")
    rotated = crypto.Keyring([new, old])
    assert rotated.decrypt(token) == b"kept"
    assert crypto.Keyring([new]).decrypt(rotated.rotate(token)) == b"kept"


def test_writing_to_us_notes_only_what_changed() -> None:
    """Every update sees the person; the row is written only when something moved (issue 6)."""
    now = utcnow()
    person = Person(telegram_user_id=5, chat_id=5, role=Role.YOUNG_PERSON, display_name="Jo",
                    active=True, last_active_at=now - timedelta(seconds=20))
    _seen(person, Sender(5, 5, "Jo"))
    assert person.last_active_at == now - timedelta(seconds=20)  # within the minute: as it was
    person.last_active_at = now - timedelta(minutes=2)
    person.active = False
    _seen(person, Sender(5, 6, "Jo"))
    assert person.last_active_at is not None and person.last_active_at > now - timedelta(minutes=1)
    assert person.active and person.chat_id == 6  # blocked, then wrote again from a new chat
