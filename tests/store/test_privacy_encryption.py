"""Encryption at rest (issue 4, point 4): no plaintext of a known answer on disk, on SQLite
(every file of the data directory) and on PostgreSQL (the raw column bytes and the table
files themselves); `admin rotate-key` re-encrypts everything and reports what it did."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet
from PIL import Image
from sqlalchemy import LargeBinary, select, text, type_coerce

from bot.config import Settings
from bot.engine.core import AnswerKind, AnswerRecord, RunState
from bot.safety import rotation
from bot.services import Services
from bot.store import media_repo, repo
from bot.store.crypto import KEY_FILE_NAME, Keyring
from bot.store.db import Database
from bot.store.models import Answer, CardUpload, Invitation
from tests.conftest import DATA_KEY, World
from tests.service.test_privacy import card_file_ids, join, own_file_ids
from tests.support.pg import pg_relation_bytes

ANSWER = "marmalade sunrise over the canal 4411"
NAME = "Wolstenholme"
VOICE = b"OggS-plain-voice-bytes-wolstenholme-77"
WORRY = "nobody feeds me at home"


def photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (1, 2, 3)).save(buffer, "PNG")
    return buffer.getvalue()


async def known_answers(world: World) -> None:
    sam = await world.therapist("Sam")
    jo = await join(world, sam, NAME)
    await jo.tap("How was today")
    await jo.tap("Good")
    await jo.tap("Friend")
    await jo.tap("Done")
    await jo.send(ANSWER)
    await jo.tap("Share")
    await jo.tap("How was today")
    await jo.tap("OK")
    await jo.tap("Skip")
    await jo.send(voice=VOICE)
    await jo.tap("Keep it just for me")
    await jo.send(WORRY)
    await jo.tap("How was today")
    await jo.tap("Bad")
    await jo.tap("Skip")
    await jo.send(photo=photo())  # a photo as their own words
    await jo.send(document=b"%PDF-1.4 a letter", document_name="letter.pdf")
    await jo.tap("Keep it just for me")
    await sam.send("/addcard")
    await sam.tap(NAME)
    await sam.send(photo=photo())
    await sam.send("Wolstenholme's kite")


def file_ids(world: World) -> list[bytes]:
    """Telegram file ids of everything sent in media (the voice note, photos, the document)
    and of the picture card drawn from the young person's own words (issue 11, point 5)."""
    api = world.bot.api
    chats = list(api.chats)
    own = set().union(*(own_file_ids(api, chat) for chat in chats))
    cards = {f for chat in chats for f in card_file_ids(api, chat, [ANSWER])}
    assert len(own) >= 4 and cards, "the scan has file ids to look for"
    return [f.encode() for f in own | cards]


NEEDLES = [ANSWER.encode(), NAME.encode(), NAME.encode("utf-16-le"), VOICE, WORRY.encode()]


def read_folder(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


async def test_no_plaintext_of_a_known_answer_anywhere_on_disk(world: World) -> None:
    await known_answers(world)
    bot = world.bot
    needles = [*NEEDLES, *file_ids(world)]
    if bot.services.db.is_sqlite:
        files = read_folder(Path(bot.settings.data_dir))
        assert "mysay.sqlite3" in files
    else:
        files = await pg_relation_bytes(bot)
        assert "answers" in files and "people" in files
    everything = b"".join(files.values())
    # The scan sees real content: plain ids and symbol ids are stored as they are.
    assert b"check_in" in everything and b"friend" in everything
    for name, data in files.items():
        for needle in needles:
            assert needle not in data, f"{needle!r} in {name}"
    async with bot.services.db.transaction() as session:  # the raw column bytes too
        seen = set()
        for table, column in rotation.encrypted_columns():
            for value in (await session.scalars(select(type_coerce(column, LargeBinary))
                                                .where(column.isnot(None)))):
                assert bytes(value).startswith(b"gAAAAA"), column  # a Fernet token only
                seen.add(f"{table.name}.{column.name}")
    assert {"media_files.telegram_file_id", "card_uploads.file_id", "flow_runs.options",
            "answers.own_words"} <= seen


def run_cli(settings: Settings, *args: str, keys: str | None = DATA_KEY,
            data_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TELEGRAM_", "MYSAY_", "DATABASE_URL"))}
    env.update(DATABASE_URL=settings.resolved_database_url,
               MYSAY_DATA_DIR=str(data_dir or settings.data_dir))
    if keys is not None:
        env["MYSAY_DATA_KEYS"] = keys
    return subprocess.run([sys.executable, "-m", "bot", *args], env=env, capture_output=True,
                          text=True, timeout=120, check=False)


async def some_values(services: Services) -> int:
    async with services.db.transaction() as session:
        person = await repo.add_person(session, telegram_user_id=42, chat_id=42,
                                       role="young_person", display_name="Jo", consented=True)
        for n in range(7):
            run = await repo.start_run(session, person.id, RunState("check_in", "own_words"))
            await repo.put_answer(session, run.id, AnswerRecord(
                "own_words", AnswerKind.ANSWERED, (), f"answer {n}"))
        await repo.create_invitation(session, kind="therapist", days=14, label="Dr Who")
        await media_repo.keep(session, owner_id=person.id, kind="voice", mime_type="audio/ogg",
                              data=b"OggS", telegram_file_id="AwACAgQAAxkBVoice01")
        session.add(CardUpload(key="k" * 64, file_id="AgACAgQAAxkBCard01", owner_id=person.id))
        return person.id


async def test_rotate_key_re_encrypts_everything_and_old_keys_can_go(
        services: Services, settings: Settings) -> None:
    await some_values(services)
    new = Fernet.generate_key().decode()
    done = run_cli(settings, "admin", "rotate-key", keys=f"{new},{DATA_KEY}")
    assert done.returncode == 0, done.stderr
    assert "answers.own_words" in done.stdout and "people.display_name" in done.stdout
    for column in ("media_files.telegram_file_id", "card_uploads.file_id", "flow_runs.options"):
        assert column in done.stdout  # issue 11: the file ids and run options are rotated too
    # A name, 7 answers and their 7 runs' options, a label, a voice note and its file id,
    # a card's file id.
    assert "Re-encrypted 19 values with the first key." in done.stdout
    assert "Every value now opens with the first key alone" in done.stdout
    db = services.db
    assert await rotation.unreadable_with(db, Keyring([new.encode()])) == []
    old_only = await rotation.unreadable_with(db, Keyring([DATA_KEY.encode()]))
    assert len(old_only) == 19
    audit = run_cli(settings, "admin", "audit", keys=new)  # the new key alone opens it all
    assert audit.returncode == 0 and "rotated_data_key" in audit.stdout


async def test_rotate_key_reports_a_tampered_value_and_rotates_the_rest(
        services: Services, settings: Settings) -> None:
    await some_values(services)
    async with services.db.transaction() as session:
        answer_id, raw = (await session.execute(
            select(Answer.id, type_coerce(Answer.own_words, LargeBinary))
            .order_by(Answer.id).limit(1))).one()
        flipped = bytes(raw)[:-5] + bytes([bytes(raw)[-5] ^ 1]) + bytes(raw)[-4:]
        await session.execute(text("UPDATE answers SET own_words = :v WHERE id = :i"),
                              {"v": flipped, "i": answer_id})
    new = Fernet.generate_key().decode()
    done = run_cli(settings, "admin", "rotate-key", keys=f"{new},{DATA_KEY}")
    assert done.returncode == 1
    assert f"answers.own_words id={answer_id}" in done.stdout
    assert "could not be read with any key" in done.stdout
    assert "Re-encrypted 18 values" in done.stdout
    assert await rotation.unreadable_with(services.db, Keyring([new.encode()])) == [
        f"answers.own_words id={answer_id}"]


async def test_rotate_key_with_the_key_file(tmp_path: Path, settings: Settings) -> None:
    data_dir = tmp_path / "keyfile-data"
    url = f"sqlite+aiosqlite:///{data_dir / 'mysay.sqlite3'}"
    local = settings.model_copy(update={"database_url": url})
    made = run_cli(local, "admin", "invite-therapist", "--name", "Dr Keyfile", keys=None,
                   data_dir=data_dir)
    assert made.returncode == 0, made.stderr
    key_file = data_dir / KEY_FILE_NAME
    first = key_file.read_text().strip()
    done = run_cli(local, "admin", "rotate-key", keys=None, data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    assert "Added a new data key" in done.stdout and "Re-encrypted 1 values" in done.stdout
    keys = key_file.read_text().strip().split(",")
    assert len(keys) == 2 and keys[1] == first and key_file.stat().st_mode & 0o777 == 0o600
    db = Database(url)
    try:
        async with db.transaction() as session:
            raw = await session.scalar(select(type_coerce(Invitation.label, LargeBinary)))
    finally:
        await db.dispose()
    assert Keyring([keys[0].encode()]).decrypt(bytes(raw)) == b"Dr Keyfile"
