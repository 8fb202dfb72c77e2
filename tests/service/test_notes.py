"""/note: the therapist's notes on a finished activity (issue 14, point 9), through the chat
driver on both databases: the young person, then their finished shared activities (newest
first, paged), then the note; several per activity; audited; refused, with nothing changed, for
a therapist who does not have the young person; erased with the young person; in their own
/mydata, labelled as the therapist's."""

from __future__ import annotations

import json
import zipfile
from io import BytesIO
from typing import Any

from pypdf import PdfReader
from sqlalchemy import select

from bot.render import mat as mat_module
from bot.render.cards.parts import PERSONAL_PARTS
from bot.safety import erase
from bot.service import callbacks
from bot.store.models import AuditEntry, Base, FlowRun, RunNote
from bot.store.models import Person as PersonRow
from tests.service.test_mat_placements import do_the_mat
from tests.summary.test_summary_loop import check_in
from tests.support.driver import Person, World, forge_callback

HESITATED = "Hesitated over Maths, then moved it to Don't like; pointed at the door twice."
SECOND = "Smiled at Art."
REFUSAL = "Sorry, you can't do that."


async def _runs(chat: World) -> list[FlowRun]:
    async with chat.bot.services.db.transaction() as session:
        return list((await session.scalars(select(FlowRun).order_by(FlowRun.id))).all())


async def _notes(chat: World) -> list[tuple[int, int | None, str]]:
    async with chat.bot.services.db.transaction() as session:
        rows = (await session.scalars(select(RunNote).order_by(RunNote.id))).all()
        return [(n.run_id, n.author_id, n.text) for n in rows]


async def _actions(chat: World) -> list[str]:
    async with chat.bot.services.db.transaction() as session:
        return list((await session.scalars(select(AuditEntry.action))).all())


async def _everything(chat: World) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the audit log and the claimed update ids."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    async with chat.bot.services.db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in ("audit_log", "processed_updates"):
                continue
            columns = [c for c in table.columns if c.name != "last_active_at"]
            rows = (await session.execute(select(*columns))).all()
            found[table.name] = sorted(tuple(map(repr, row)) for row in rows)
    return found


async def _setup(chat: World) -> tuple[Person, Person]:
    sam = await chat.therapist("Sam")
    jo = await chat.young_person(sam, "Jo")
    await check_in(jo, "Bad", "Too loud", "the hall is too noisy", share=True)
    await check_in(jo, "Good", "Friend", "words I keep", share=False)  # private: never listed
    await do_the_mat(jo)
    await jo.tap("Share with my therapist")
    return sam, jo


async def test_a_note_on_a_finished_mat_kept_audited_and_several_allowed(chat: World) -> None:
    sam, _jo = await _setup(chat)
    await sam.send("/note")
    await sam.tap("Jo")
    listed = [b for b in sam.buttons() if b.startswith("📝")]
    # Newest first, with date and title; the private check-in is not offered.
    assert len(listed) == 2 and "Talking Mat" in listed[0] and "How was today" in listed[1], listed
    await sam.tap(listed[0])
    assert "hesitations" in sam.text()
    await sam.send("   ")
    assert "Please type the note in words." in sam.text()
    await sam.send(HESITATED)
    assert "Note kept" in sam.text()
    await sam.tap("Add another note")
    await sam.send(SECOND)
    runs = await _runs(chat)
    mat = next(r for r in runs if r.flow_id == "talking_mat")
    sam_row = await _person(chat, sam)
    assert await _notes(chat) == [(mat.id, sam_row, HESITATED), (mat.id, sam_row, SECOND)]
    assert (await _actions(chat)).count("add_note") == 2
    await sam.send("hello")  # not waiting for a note now: nothing more is kept
    assert len(await _notes(chat)) == 2


async def _person(chat: World, who: Person) -> int:
    async with chat.bot.services.db.transaction() as session:
        found = await session.scalar(select(PersonRow.id).where(
            PersonRow.telegram_user_id == who.user_id))
        assert found is not None
        return found


async def test_the_activities_page_newest_first(chat: World) -> None:
    sam = await chat.therapist("Sam")
    jo = await chat.young_person(sam, "Jo")
    for n in range(10):
        await check_in(jo, "Good", None, f"day {n}", share=True)
    await sam.send("/note")
    await sam.tap("Jo")
    first = [b for b in sam.buttons() if b.startswith("📝")]
    assert len(first) == 8 and "▶️ 2/2" in sam.buttons()
    await sam.tap("▶️ 2/2")
    second = [data for row in sam.last().buttons for label, data in row
              if label.startswith("📝")]
    assert len(second) == 2 and "◀️" in sam.buttons()
    ids = [int(data.split(":")[2]) for data in second]
    runs = sorted(r.id for r in await _runs(chat))
    assert ids == [runs[1], runs[0]]  # the two oldest, newest of them first


async def test_another_therapist_is_refused_and_nothing_changes(chat: World) -> None:
    await _setup(chat)
    kim = await chat.therapist("Kim")
    await chat.young_person(kim, "Ali")
    await kim.send("/note")
    jo_id = next(r.person_id for r in await _runs(chat))
    mat = next(r for r in await _runs(chat) if r.flow_id == "talking_mat")
    before = await _everything(chat)
    for data in (callbacks.NoteTap("p", jo_id).pack(), callbacks.NoteTap("g", jo_id, 0).pack(),
                 callbacks.NoteTap("r", mat.id).pack()):
        update_id = forge_callback(chat.bot.api, kim.user_id, kim.last().message_id, data)
        await chat.bot.wait_processed(update_id)
        assert kim.text() == REFUSAL, data
        assert await _everything(chat) == before, data
    # Typing after a forged run tap reaches nothing either: Kim is not waiting for a note.
    await kim.send(HESITATED)
    assert await _everything(chat) == before
    assert (await _actions(chat)).count("refused_note") == 3
    assert "Jo" not in " ".join(m.display_text or "" for m in kim.messages())


async def test_a_note_typed_after_the_young_person_left_is_refused(chat: World) -> None:
    sam, _jo = await _setup(chat)
    await sam.send("/note")
    await sam.tap("Jo")
    await sam.tap(next(b for b in sam.buttons() if "Talking Mat" in b))
    from bot.store.models import Link
    from bot.timeutil import utcnow
    async with chat.bot.services.db.transaction() as session:
        for link in (await session.scalars(select(Link))).all():
            link.ended_at = utcnow()
    assert (await sam.send(HESITATED)).display_text == REFUSAL
    assert await _notes(chat) == []
    assert "refused_note" in await _actions(chat)


async def test_notes_are_in_the_young_persons_own_data_and_erased_with_them(
        chat: World) -> None:
    sam, jo = await _setup(chat)
    await sam.send("/note")
    await sam.tap("Jo")
    await sam.tap(next(b for b in sam.buttons() if "Talking Mat" in b))
    await sam.send(HESITATED)
    await jo.send("/mydata")
    document = next(m for m in reversed(jo.messages()) if m.document
                    and (m.file_name or "").endswith(".zip"))
    with zipfile.ZipFile(BytesIO(chat.bot.api.file_bytes(document.document))) as archive:
        data = json.loads(archive.read("my-mysay-data.json"))
    mat = next(f for f in data["flows"] if f["flow"] == "talking_mat")
    notes = mat["therapist_notes"]
    assert notes["label"].startswith("Your therapist's notes")
    assert [(n["by"], n["note"]) for n in notes["notes"]] == [("Sam", HESITATED)]
    assert all(not f["therapist_notes"]["notes"] for f in data["flows"] if f is not mat)
    readable = next(m for m in reversed(jo.messages()) if m.document
                    and (m.file_name or "").endswith(".pdf"))
    pages = PdfReader(BytesIO(chat.bot.api.file_bytes(readable.document))).pages
    text = " ".join(" ".join(page.extract_text() for page in pages).split())
    assert text.index("Your therapist's notes about this activity (their words, not yours)") \
        < text.index(f"Sam: {HESITATED}")
    # Jo's mat was drawn from cached parts: they, its fitted words and the last mats drawn
    # are in this process's memory until Jo is erased, then gone (issue 17, issue 11 point 4).
    assert len(PERSONAL_PARTS) > 0 and len(mat_module._FITS) > 0
    async with chat.bot.services.db.transaction() as session:
        young = await session.get(PersonRow, next(r.person_id for r in await _runs(chat)))
        assert young is not None
        erased = await erase.erase_young_person(session, young)
    assert "run_notes" in str(erased)
    assert await _notes(chat) == []
    assert len(PERSONAL_PARTS) == 0 and PERSONAL_PARTS.bytes == 0
    assert len(mat_module._FITS) == 0 and len(mat_module._RECENT) == 0


async def test_the_note_is_in_the_summary_pdf_and_text_labelled_as_the_therapists(
        chat: World) -> None:
    sam, _jo = await _setup(chat)
    await sam.send("/note")
    await sam.tap("Jo")
    await sam.tap(next(b for b in sam.buttons() if "Talking Mat" in b))
    await sam.send(HESITATED)
    await sam.send("/summary")
    await sam.tap("Jo")
    pdf = next(m for m in reversed(sam.messages()) if m.document
               and (m.file_name or "").endswith(".pdf"))
    reader = PdfReader(BytesIO(chat.bot.api.file_bytes(pdf.document)))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    mat = text[text.index("Talking Mat about School"):]
    assert mat.index("Therapist's notes (not Jo's words)") < mat.index(f"Sam: {HESITATED}")
    assert f"“{HESITATED}”" not in text
    said = "\n".join(m.display_text or "" for m in sam.messages()[-3:])
    assert "Therapist's notes (not Jo's words)\n   " in said and HESITATED in said
