"""Privacy (issue 4, points 1 and 2): the easy-read hello, /privacy with the service's notice,
and the young person's rights: /mydata, /mine and /delete. Driven through the fake Bot API."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import LargeBinary, func, select, type_coerce

from bot.config import Settings
from bot.engine.core import RunState, RunStatus
from bot.safety import erase
from bot.sandbox.fake_api import FakeBotAPI
from bot.service import callbacks
from bot.store import repo
from bot.store.models import (
    Alert,
    Answer,
    AuditEntry,
    Base,
    DeletionRequest,
    FlowRun,
    Link,
    MediaFile,
    Person,
)
from bot.timeutil import utcnow
from tests.conftest import World
from tests.support.driver import World as ChatWorld
from tests.support.driver import forge_callback as chat_forge_callback
from tests.support.harness import Person as ChatPerson
from tests.support.harness import RunningBot
from tests.support.pg import pg_relation_bytes

CONTACT = 6_100_002


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"safeguarding_contact": CONTACT})


@pytest.fixture
def offline_settings(offline_settings: Settings) -> Settings:
    return offline_settings.model_copy(update={"safeguarding_contact": CONTACT})


async def join(world: World | ChatWorld, therapist: ChatPerson, name: str,
               user_id: int | None = None) -> ChatPerson:
    """A young person invited by `therapist`, agreed and at the menu (with a chosen Telegram
    id when the test needs one it can find in raw bytes)."""
    await therapist.send("/invite")
    invite = next(m.display_text or "" for m in reversed(therapist.messages())
                  if "Code: " in (m.display_text or ""))
    code = invite.rsplit("Code: ", 1)[1].split()[0]
    young = world.person(name, user_id)
    await young.send(f"/start {code}")
    await young.tap("Yes")
    return young


async def tap_on(person: ChatPerson, containing: str, label: str) -> None:
    """Tap a button on the newest message that says `containing` (not the newest message)."""
    message = next(m for m in reversed(person.messages()) if containing in (m.display_text or ""))
    await person.tap(label, message_id=message.message_id)


async def check_in(young: ChatPerson, words: str, *, share: bool) -> None:
    await young.tap("How was today")
    await young.tap("Good")
    await young.tap("Friend")
    await young.tap("Done")
    await young.send(words)
    await young.tap("Share" if share else "Keep it just for me")


def everything(person: ChatPerson) -> str:
    return "\n".join(m.display_text or "" for m in person.messages())


async def count(bot: RunningBot, model: type, *where: Any) -> int:
    async with bot.services.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where))
                   or 0)


def jpeg(colour: tuple[int, int, int] = (200, 90, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 90), colour).save(buffer, "JPEG")
    return buffer.getvalue()


# --- the hello and /privacy ------------------------------------------------------------------


async def test_the_hello_is_a_picture_card_and_nothing_is_stored_before_yes(
        chat: ChatWorld) -> None:
    sam = await chat.therapist("Sam")
    await sam.send("/invite")
    code = everything(sam).rsplit("Code: ", 1)[1].split()[0]
    jo = chat.person("Jo")
    hello = await jo.send(f"/start {code}")
    assert hello.photo is not None  # the picture card, with the words as its caption
    words = hello.display_text or ""
    for promise in ("I keep your name and your answers", "You choose what your therapist sees",
                    "see, change or delete", "we must tell someone who can help",
                    "We'll try to tell you first"):
        assert promise in words
    assert {"✅ Yes, let's start", "✋ Not now"} <= set(jo.buttons())
    assert await count(chat.bot, Person) == 1  # only the therapist
    await jo.tap("Yes")
    assert await count(chat.bot, Person) == 2


async def test_privacy_shows_the_explanation_and_the_services_notice(
        chat: ChatWorld, tmp_path: Path) -> None:
    sam = await chat.therapist("Sam")
    jo = await join(chat, sam, "Jo")
    await jo.send("/privacy")
    said = [m for m in jo.messages() if "This is what MySay does" in (m.display_text or "")]
    assert said and said[-1].photo is not None
    assert "/mydata" in (said[-1].display_text or "") and "/delete" in (said[-1].display_text
                                                                         or "")
    assert "has not added its full privacy notice yet" in jo.text()


@pytest.fixture
def notice_file(tmp_path: Path) -> Path:
    path = tmp_path / "notice.txt"
    path.write_text("Riverside SLT privacy notice.\nWe are the data controller.\n")
    return path


async def test_the_configured_notice_file_is_shown_and_edits_show_at_once(
        settings: Settings, fake_api: Any, notice_file: Path) -> None:
    running = await RunningBot(settings.model_copy(update={"privacy_notice_file": notice_file}),
                               fake_api).start()
    try:
        world = World(running)
        jo = await join(world, await world.therapist("Sam"), "Jo")
        await jo.send("/privacy")
        assert "Riverside SLT privacy notice." in jo.text()
        assert "for you or a grown-up who helps you" in jo.text()
        await asyncio.to_thread(notice_file.write_text,
                                "Para one.\n" + "A long line of the notice.\n" * 400)
        await jo.send("/privacy")
        parts = [m.display_text or "" for m in jo.messages()][-3:]
        assert parts[0].startswith("The full privacy notice") and "Para one." in parts[0]
        assert "".join(parts).count("A long line of the notice.") == 400
        assert all(len(p) <= 4096 for p in parts)
        # Too long for messages: sent as a file.
        await asyncio.to_thread(notice_file.write_text, "x" * 40_000)
        await jo.send("/privacy")
        assert jo.last().document is not None
        assert fake_api.file_bytes(jo.last().document) == b"x" * 40_000
    finally:
        await running.stop()


async def test_the_notice_can_be_plain_text_in_the_settings(
        settings: Settings, fake_api: Any) -> None:
    running = await RunningBot(settings.model_copy(
        update={"privacy_notice": "Our notice, in a setting."}), fake_api).start()
    try:
        world = World(running)
        jo = await join(world, await world.therapist("Sam"), "Jo")
        await jo.send("/privacy")
        assert "Our notice, in a setting." in jo.text()
    finally:
        await running.stop()


# --- /mydata ---------------------------------------------------------------------------------


def documents(person: ChatPerson, api: Any) -> dict[str, bytes]:
    found = {}
    for message in person.messages():
        if message.document:
            stored = api.files[message.document]
            found[stored.file_name] = stored.data
    return found


async def test_mydata_sends_a_readable_pdf_and_a_data_file_with_photos_and_voice(
        chat: ChatWorld) -> None:
    sam = await chat.therapist("Sam")
    jo = await join(chat, sam, "Jo")
    await check_in(jo, "I liked the swings best", share=True)
    await jo.tap("How was today")
    await jo.tap("Bad")
    await jo.tap("Skip")
    photo = jpeg()
    await jo.send(photo=photo)  # a photo as their own words
    await jo.tap("Keep it just for me")
    await jo.tap("How was today")
    await jo.tap("OK")
    await jo.tap("Skip")
    await jo.send(voice=b"OggS-a-voice-note-for-mydata")
    await jo.tap("Stop for now")

    await jo.send("/mydata")
    assert "Here is everything MySay keeps about you" in everything(jo)
    files = documents(jo, chat.bot.api)
    pdf = PdfReader(io.BytesIO(files["my-mysay.pdf"]))
    text = " ".join(page.extract_text() for page in pdf.pages)
    for expected in ("Everything MySay keeps about Jo", "I liked the swings best",
                     "shared with your therapist", "just for you", "not finished yet",
                     "Your therapist: Sam", "Your photos and voice notes"):
        assert expected in " ".join(text.split()), expected
    assert sum(len(page.images) for page in pdf.pages) >= 1  # their photo is in it

    archive = zipfile.ZipFile(io.BytesIO(files["my-mysay-data.zip"]))
    data = json.loads(archive.read("my-mysay-data.json"))
    assert data["you"]["name"] == "Jo" and data["you"]["telegram_user_id"] == jo.user_id
    flows = data["flows"]
    assert [f["shared_with_therapist"] for f in flows] == [True, False, False]
    assert flows[0]["answers"][-1]["own_words"] == "I liked the swings best"
    by_kind = {m["kind"]: m["file"] for m in data["media"]}
    assert archive.read(by_kind["voice"]) == b"OggS-a-voice-note-for-mydata"
    assert archive.read(by_kind["photo"]) == photo
    async with chat.bot.services.db.transaction() as session:
        actions = (await session.scalars(select(AuditEntry.action))).all()
    assert "export_own_data" in actions


async def test_mydata_is_always_your_own_whatever_is_typed(chat: ChatWorld) -> None:
    sam = await chat.therapist("Sam")
    jo = await join(chat, sam, "Jo")
    await check_in(jo, "words only jo wrote", share=True)
    ali = await join(chat, sam, "Ali")
    async with chat.bot.services.db.transaction() as session:
        jo_id = await session.scalar(select(Person.id).where(Person.telegram_user_id
                                                             == jo.user_id))
    await ali.send(f"/mydata {jo_id}")
    archive = zipfile.ZipFile(io.BytesIO(documents(ali, chat.bot.api)["my-mysay-data.zip"]))
    data = json.loads(archive.read("my-mysay-data.json"))
    assert data["you"]["name"] == "Ali" and data["flows"] == []
    assert "words only jo wrote" not in json.dumps(data)


# --- /mine -----------------------------------------------------------------------------------


async def shared_flags(bot: RunningBot, user_id: int) -> list[bool]:
    async with bot.services.db.transaction() as session:
        rows = await session.scalars(select(FlowRun.shared).join(Person, Person.id ==
                                                                 FlowRun.person_id)
                                     .where(Person.telegram_user_id == user_id)
                                     .order_by(FlowRun.id))
        return list(rows)


async def test_mine_changes_what_is_shared_either_way(chat: ChatWorld) -> None:
    sam = await chat.therapist("Sam")
    jo = await join(chat, sam, "Jo")
    await check_in(jo, "first", share=True)
    await check_in(jo, "second", share=False)
    await jo.send("/mine")
    labels = jo.buttons()
    assert labels[0].startswith("🔒 How was today?") and labels[1].startswith("🌟 How was today?")
    assert "🌟 = your therapist can see it" in jo.text()
    await jo.tap("🔒")
    assert await shared_flags(chat.bot, jo.user_id) == [True, False]  # asked first (issue 15)
    await jo.tap("Share with my therapist")
    assert 'Now your therapist can see "How was today?"' in jo.text()
    assert await shared_flags(chat.bot, jo.user_id) == [True, True]
    await jo.tap("My list")
    old = jo.last().message_id
    await jo.tap("🌟", message_id=old)
    assert "is just for you" in jo.text() and "may have seen it already" in jo.text()
    assert await shared_flags(chat.bot, jo.user_id) == [True, False]
    async with chat.bot.services.db.transaction() as session:
        newest = await session.scalar(select(FlowRun).order_by(FlowRun.id.desc()))
        assert newest is not None and newest.shared_at is None
        actions = (await session.scalars(select(AuditEntry.action))).all()
    assert actions.count("shared_flow") == 1 and actions.count("kept_flow") == 1


async def test_mine_pages_through_many_flows(chat: ChatWorld) -> None:
    sam = await chat.therapist("Sam")
    jo = await join(chat, sam, "Jo")
    async with chat.bot.services.db.transaction() as session:
        person = await session.scalar(select(Person).where(Person.telegram_user_id == jo.user_id))
        assert person is not None
        for n in range(10):
            run = await repo.start_run(session, person.id,
                                       RunState("check_in", "_review", RunStatus.FINISHED))
            run.finished_at = utcnow() - timedelta(days=n)
    await jo.send("/mine")
    assert len(jo.buttons()) == 9 and "⬅️ Older" in jo.buttons()
    assert "Page 1 of 2" in jo.text()
    await jo.tap("Older")
    assert "Page 2 of 2" in jo.text() and "Newer ➡️" in jo.buttons()
    assert len(jo.buttons()) == 3


async def test_nobody_changes_someone_elses_sharing(chat: ChatWorld) -> None:
    sam = await chat.therapist("Sam")
    jo = await join(chat, sam, "Jo")
    await check_in(jo, "jo's own day", share=False)
    ali = await join(chat, sam, "Ali")
    async with chat.bot.services.db.transaction() as session:
        run_id = await session.scalar(select(FlowRun.id))
    assert run_id is not None
    for person, data in ((ali, callbacks.MineToggle(run_id, True, 0).pack()),
                         (sam, callbacks.MineToggle(run_id, True, 0).pack())):
        update_id = chat_forge_callback(chat.bot.api, person.user_id, person.last().message_id,
                                   data)
        await chat.bot.wait_processed(update_id)
    assert await shared_flags(chat.bot, jo.user_id) == [False]
    assert "jo's own day" not in everything(ali) + everything(sam)


async def test_mine_with_nothing_finished_says_so(chat: ChatWorld) -> None:
    jo = await join(chat, await chat.therapist("Sam"), "Jo")
    await jo.send("/mine")
    assert "You have not finished anything yet" in jo.text()


# --- /delete ---------------------------------------------------------------------------------

JO_TELEGRAM_ID = 7_123_456_789  # over 32 bits: its raw encodings cannot match by chance
JO_NAME = "Quenfrith"
JO_WORDS = "my purple tractor named Zanzibar-4417"
JO_VOICE = b"OggS-voice-bytes-only-quenfrith-made-0x5eed"
JO_CARD = "Quenfrith's tortoise Blimp"


def own_file_ids(api: FakeBotAPI, chat_id: int) -> set[str]:
    """File ids of the voice notes, photos and documents this person sent the bot."""
    return {file_id for m in api.messages_in(chat_id, include_user=True) if not m.from_bot
            for file_id in (m.voice, m.photo, m.document) if file_id}


def card_file_ids(api: FakeBotAPI, chat_id: int, words: list[str]) -> set[str]:
    """File ids Telegram gave the picture cards sent to this chat whose words mention any of
    `words`: cards drawn from the person's own content (every size of each photo)."""
    found = set()
    for request in api.requests:
        result = (request.response or {}).get("result")
        if request.method not in ("sendPhoto", "editMessageMedia") or not isinstance(
                result, dict) or result.get("chat", {}).get("id") != chat_id:
            continue
        if any(w in (result.get("caption") or "") for w in words):
            found |= {size["file_id"] for size in result.get("photo") or ()}
    return found


async def own_card_on_the_mat(sam: ChatPerson, jo: ChatPerson) -> None:
    """Sam makes Jo a picture card from a photo; Jo places it on a Talking Mat."""
    await sam.send("/addcard")
    await sam.tap(JO_NAME)
    await sam.send(photo=jpeg((10, 10, 200)))
    await sam.send(JO_CARD)
    await jo.send("/menu")
    await jo.tap("Talking Mat")
    for _ in range(12):
        if JO_CARD in jo.text():
            break
        await jo.tap("Like")
    assert f"where does {JO_CARD} go?" in jo.text()
    await jo.tap("Like")
    await jo.tap("Stop for now")


async def ciphertexts(bot: RunningBot, person_id: int) -> list[bytes]:
    """Slices of the stored (encrypted) values about this person, as they sit on disk."""
    found = []
    async with bot.services.db.transaction() as session:
        for column, where in (
            (Person.display_name, Person.id == person_id),
            (Answer.own_words, Answer.run_id.in_(select(FlowRun.id).where(
                FlowRun.person_id == person_id))),
            (MediaFile.content, MediaFile.owner_id == person_id),
            (Alert.words, Alert.young_person_id == person_id),
        ):
            raw = type_coerce(column, LargeBinary)
            for value in (await session.scalars(select(raw).where(where, column.isnot(None)))):
                token = bytes(value)
                found.append(token[24:72])
    return found


def raw_hits(folder: Path, needles: list[bytes]) -> list[str]:
    hits = []
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            hits += [f"{path.name}: {needle[:24]!r}" for needle in needles if needle in data]
    return hits


def id_encodings(value: int) -> list[bytes]:
    return [str(value).encode(), value.to_bytes(8, "big"), value.to_bytes(8, "little"),
            value.to_bytes(6, "big")]  # SQLite keeps a 33-bit integer in 6 bytes


async def decrypted_hits(bot: RunningBot, person_id: int, words: list[str],
                         telegram_id: int) -> list[str]:
    """Every row of every table, read with the key: anything that still points at them."""
    hits = []
    async with bot.services.db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            person_refs = {c.name for c in table.columns
                           if any(fk.column.table.name == "people" for fk in c.foreign_keys)}
            for row in (await session.execute(select(table))).mappings():
                for column, value in row.items():
                    if value == telegram_id or (column in person_refs and value == person_id):
                        hits.append(f"{table.name}.{column}")
                    text = value.decode("latin-1") if isinstance(value, bytes) else (
                        json.dumps(value) if isinstance(value, dict | list) else str(value))
                    hits += [f"{table.name}.{column}: {w}" for w in words if w in text]
    return hits


async def test_delete_declined_with_a_reason_then_confirmed_leaves_no_trace(
        world: World) -> None:
    bot = world.bot
    ChatPerson(bot, CONTACT, "Lee")
    sam = await world.therapist("Sam")
    jo = await join(world, sam, JO_NAME, user_id=JO_TELEGRAM_ID)
    await check_in(jo, JO_WORDS, share=True)
    await jo.tap("How was today")
    await jo.tap("Bad")
    await jo.tap("Skip")
    await jo.send(voice=JO_VOICE)
    await jo.tap("Share")
    await jo.tap("I don't feel safe")
    await tap_on(jo, "Thank you for telling me", "I want to say more")
    await jo.send("only quenfrith knows about the shed")
    for alert in [m for m in sam.messages() if m.inline_keyboard
                  and "Safety alert" in (m.display_text or "")]:  # two: the tap and the words
        await sam.tap("I have seen this", message_id=alert.message_id)  # open ones hold erasure
    await own_card_on_the_mat(sam, jo)
    await jo.send(document=b"%PDF-1.4 quenfrith's letter", document_name="letter.pdf")

    await jo.send("/delete")
    assert "It can't be undone" in jo.text()
    await jo.tap("Yes, delete everything")
    assert "I have asked Sam" in jo.text()
    assert f"{JO_NAME} asked to delete everything" in sam.text()
    await sam.tap("Don't delete")
    assert "Please type your reason" in sam.text()
    await sam.send("   ")
    assert "Please type your reason in words" in sam.text()
    await sam.send("x" * 501)
    assert "up to 500 letters" in sam.text()
    await sam.send("We need your views for the meeting on Friday first")
    assert f"{JO_NAME} has been told your reason" in sam.text()
    declined = jo.text()
    assert "Sam did not delete your answers" in declined
    assert "We need your views for the meeting on Friday first" in declined
    assert "ico.org.uk" in declined
    assert await count(bot, Person, Person.telegram_user_id == JO_TELEGRAM_ID) == 1

    await jo.send("/delete")
    await jo.tap("Yes, delete everything")
    async with bot.services.db.transaction() as session:
        jo_id = await session.scalar(select(Person.id).where(
            Person.telegram_user_id == JO_TELEGRAM_ID))
    assert jo_id is not None
    secrets = await ciphertexts(bot, jo_id)
    assert len(secrets) >= 4  # name, own words, the voice note, the alert... all on disk now
    folder = Path(bot.settings.data_dir)
    if bot.services.db.is_sqlite:
        assert raw_hits(folder, secrets), "the scan must be able to find them before"
    words = [JO_NAME, JO_WORDS, JO_VOICE.decode(), "We need your views", "about the shed"]
    assert await decrypted_hits(bot, jo_id, words, JO_TELEGRAM_ID)
    # Telegram file ids of their voice note and document, of the photo Sam sent for their
    # card, and of the picture cards drawn from their words (the review) and their photo.
    file_ids = own_file_ids(bot.api, JO_TELEGRAM_ID) | own_file_ids(bot.api, sam.user_id)
    cards = card_file_ids(bot.api, JO_TELEGRAM_ID, [JO_WORDS, JO_CARD])
    hits = await decrypted_hits(bot, jo_id, [*file_ids, *cards], JO_TELEGRAM_ID)
    assert any(h.startswith("card_uploads.") for h in hits), "the scan finds their cards"
    assert any(h.startswith("media_files.telegram_file_id") for h in hits)

    await sam.tap("Delete everything")
    assert f"Everything MySay kept about {JO_NAME} is deleted" in sam.text()
    assert "Everything MySay kept about you is deleted now" in jo.text()
    await erase.settled()  # the WAL checkpoint after the commit

    assert await decrypted_hits(bot, jo_id, words, JO_TELEGRAM_ID) == []
    assert await decrypted_hits(bot, jo_id, [*file_ids, *cards], JO_TELEGRAM_ID) == []
    assert await count(bot, Person, Person.role == "young_person") == 0
    for model in (FlowRun, Answer, MediaFile, Alert, Link):
        assert await count(bot, model) == 0, model
    async with bot.services.db.transaction() as session:
        requests = (await session.scalars(select(DeletionRequest))).all()
        entries = (await session.scalars(select(AuditEntry))).all()
    assert [(r.young_person_id, r.reason, r.decision) for r in requests] == [
        (None, None, "declined"), (None, None, "confirmed")]
    assert all(e.subject_id != jo_id and e.actor_id != jo_id for e in entries)
    assert any(e.action == "deletion_confirmed" for e in entries)
    plain = [*(w.encode() for w in words), *(f.encode() for f in file_ids | cards)]
    if bot.services.db.is_sqlite:
        needles = [*secrets, *id_encodings(JO_TELEGRAM_ID), *plain]
        assert raw_hits(folder, needles) == []
        wal = folder / "mysay.sqlite3-wal"
        assert not wal.exists() or wal.stat().st_size == 0
    else:  # never written in plain text, so not even in rows PostgreSQL has yet to vacuum
        files = await pg_relation_bytes(bot)
        assert [(name, n) for name, data in files.items() for n in plain if n in data] == []
    # And they are a stranger now: a new link from a therapist is a fresh start.
    await jo.send("/start")
    assert "need a link from your speech and language therapist" in jo.text()


async def test_a_young_person_can_change_their_mind_and_asks_only_once(chat: ChatWorld) -> None:
    sam = await chat.therapist("Sam")
    jo = await join(chat, sam, "Jo")
    await jo.send("/delete")
    await jo.tap("No, keep it")
    assert "Your answers are still here" in jo.text()
    assert await count(chat.bot, DeletionRequest) == 0
    await jo.send("/delete")
    await jo.tap("Yes, delete everything")
    await jo.send("/delete")
    assert "You asked already" in jo.text()
    assert await count(chat.bot, DeletionRequest) == 1
    assert everything(sam).count("asked to delete everything") == 1


async def test_an_open_safety_alert_holds_the_deletion_back(chat: ChatWorld) -> None:
    sam = await chat.therapist("Sam")
    jo = await join(chat, sam, "Jo")
    await jo.tap("I don't feel safe")
    await jo.send("/delete")
    await jo.tap("Yes, delete everything")
    request = next(m for m in sam.messages() if "asked to delete" in (m.display_text or ""))
    await sam.tap("Delete everything", message_id=request.message_id)
    assert "safety alert nobody has acknowledged" in sam.text()
    assert await count(chat.bot, Person, Person.role == "young_person") == 1
    alert = next(m for m in sam.messages() if "Safety alert" in (m.display_text or ""))
    await sam.tap("I have seen this", message_id=alert.message_id)
    data = chat.bot.api.keyboard(sam.user_id, request.message_id)[0][0]["callback_data"]
    await sam.tap("Delete everything", message_id=request.message_id)
    assert await count(chat.bot, Person, Person.role == "young_person") == 0
    update_id = chat_forge_callback(chat.bot.api, sam.user_id, request.message_id, data)
    await chat.bot.wait_processed(update_id)  # the same tap again, arriving late
    again = chat.bot.api.message(sam.user_id, request.message_id)
    assert again is not None and "answered already" in (again.display_text or "")


async def test_a_therapist_can_cancel_giving_a_reason(chat: ChatWorld) -> None:
    sam = await chat.therapist("Sam")
    jo = await join(chat, sam, "Jo")
    await jo.send("/delete")
    await jo.tap("Yes, delete everything")
    await sam.tap("Don't delete")
    await sam.tap("Not now")
    assert "Nothing is decided yet" in sam.text()
    await sam.send("/caseload")  # their next words are theirs again, not a reason
    async with chat.bot.services.db.transaction() as session:
        request = await session.scalar(select(DeletionRequest))
        therapist = await session.scalar(select(Person).where(Person.role == "therapist"))
    assert request is not None and request.decision is None
    assert therapist is not None and therapist.pending == {}


async def test_without_a_therapist_the_contact_decides(chat: ChatWorld) -> None:
    contact = chat.person("Lee", CONTACT)
    sam = await chat.therapist("Sam")
    jo = await join(chat, sam, "Jo")
    async with chat.bot.services.db.transaction() as session:
        for link in (await session.scalars(select(Link))).all():
            link.ended_at = utcnow()
    await jo.send("/delete")
    await jo.tap("Yes, delete everything")
    assert "I have asked the people who run MySay" in jo.text()
    assert "asked to delete everything" in contact.text()
    assert "asked to delete" not in everything(sam)
    await contact.tap("Delete everything")
    assert "deleted now" in jo.text()
    assert await count(chat.bot, Person, Person.role == "young_person") == 0


async def test_nobody_else_can_decide_a_deletion(chat: ChatWorld) -> None:
    sam = await chat.therapist("Sam")
    jo = await join(chat, sam, "Jo")
    await jo.send("/delete")
    await jo.tap("Yes, delete everything")
    async with chat.bot.services.db.transaction() as session:
        request_id = await session.scalar(select(DeletionRequest.id))
    assert request_id is not None
    kim = await chat.therapist("Kim")
    ali = await join(chat, kim, "Ali")
    for person in (kim, ali, jo):
        for decision in ("y", "n"):
            update_id = chat_forge_callback(chat.bot.api, person.user_id, person.last().message_id,
                                       callbacks.DeletionDecision(request_id, decision).pack())
            await chat.bot.wait_processed(update_id)
    await kim.send("some words")  # would be a "reason" if Kim had been let in
    assert await count(chat.bot, Person, Person.role == "young_person") == 2
    async with chat.bot.services.db.transaction() as session:
        request = await session.get(DeletionRequest, request_id)
        refused = await session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "refused_deletion"))
    assert request is not None and request.decision is None and request.reason is None
    assert refused == 2  # Kim's two; young people have no such button at all
    assert "Jo" not in everything(kim) and "Jo" not in everything(ali)


async def test_a_service_admin_can_list_and_confirm_requests_from_the_command_line(
        chat: ChatWorld) -> None:
    from tests.service.test_safeguarding import run_cli

    sam = await chat.therapist("Sam")
    jo = await join(chat, sam, "Jo")
    await jo.tap("I don't feel safe")
    await jo.send("/delete")
    await jo.tap("Yes, delete everything")
    async with chat.bot.services.db.transaction() as session:
        request_id = await session.scalar(select(DeletionRequest.id))
        jo_id = await session.scalar(select(Person.id).where(Person.role == "young_person"))
    listed = run_cli(chat.bot.settings, "admin", "deletions")
    assert listed.returncode == 0 and f"#{jo_id} Jo" in listed.stdout
    assert "WAITING" in listed.stdout
    held = run_cli(chat.bot.settings, "admin", "deletions", "--confirm", str(request_id))
    assert held.returncode == 1 and "safety alert nobody has acknowledged" in held.stdout
    await tap_on(sam, "Safety alert", "I have seen this")
    done = run_cli(chat.bot.settings, "admin", "deletions", "--confirm", str(request_id))
    assert done.returncode == 0, done.stdout + done.stderr
    assert await count(chat.bot, Person, Person.role == "young_person") == 0
    after = run_cli(chat.bot.settings, "admin", "deletions")
    assert "(erased)" in after.stdout and "confirmed" in after.stdout
    again = run_cli(chat.bot.settings, "admin", "deletions", "--confirm", str(request_id))
    assert again.returncode == 1 and "nobody to erase" in again.stdout


# --- plain words -----------------------------------------------------------------------------

FIELDS = {"name": "Jo", "helper": "Sam, your therapist", "who": "Sam", "start": "9am",
          "end": "5pm", "day": "Monday", "title": "How was today?", "date": "27 Nov", "n": 1,
          "total": 2, "reason": "We need your views first", "words": "words", "kind": "photo",
          "file": "photo-1.jpg", "status": "shared", "settings": "big text", "names": "Sam",
          "when": "Sam should read it today, before 5pm.", "what": "read what you shared"}
YOUNG_PERSON_PARTS = ("privacy.", "mydata.", "mine.", "delete.", "safety.", "flood_slow_down")


def test_what_young_people_read_here_is_short_and_plain() -> None:
    """The same bar as tests/engine/test_plain_language.py, for the privacy and safety words."""
    import re

    import textstat

    from bot.services import load_content

    locale = load_content().locale
    keys = [k for k in locale.keys() if k.startswith(YOUNG_PERSON_PARTS)]
    assert len(keys) > 60
    for key in keys:
        words = locale(key, **FIELDS)
        sentences = [s for s in re.split(r"(?<=[.?!])\s+|\n+", words) if s.strip()]
        assert max(len(s.split()) for s in sentences) <= 15, key
        prose = re.sub(r"/[a-z_]+:?", "", words)
        if len(prose.split()) >= 6:  # a score means nothing for a label of two words
            assert textstat.flesch_reading_ease(prose) >= 80, key
        assert "secret" not in words.lower(), key  # never a promise of secrecy
