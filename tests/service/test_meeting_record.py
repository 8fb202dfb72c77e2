"""/agreed: the meeting record (issue 14, point 8). After the meeting the therapist records, in
the chat, what was agreed and the next steps; they are kept encrypted, offered as "so we will"
in /yousaid, shown in the next summary (PDF and text) under "Since the last meeting", in the
young person's data export, and go when they are erased. Another therapist is refused with
nothing changed. Driven through the conversation on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
from typing import Any

from pypdf import PdfReader
from sqlalchemy import select, text

from bot.safety import erase, export
from bot.store.models import AuditEntry, Base, MeetingRecord, YouSaid
from bot.store.models import Person as PersonRow
from bot.summary import load
from bot.summary.pdf import render_pdf
from bot.summary.text import full_text
from bot.timeutil import local_zone, utcnow
from tests.summary.test_summary_loop import check_in
from tests.support.driver import Person, World, forge_callback, row_of

AGREED = ["Jo will have a quiet room at lunch", "Ear defenders for assemblies"]
NEXT = ["Sam asks the SENCo about the quiet room by Friday", "We will look again in 6 weeks"]
REFUSAL = "Sorry, you can't do that."


async def record(sam: Person, *, done: bool = True) -> None:
    """Sam records Jo's meeting (saying it has happened), with one mistake removed."""
    await sam.send("/agreed")
    await sam.tap("Jo")
    assert "has not happened yet" in sam.text() or "no meeting" in sam.text(), sam.text()
    await sam.tap("The meeting has happened")
    assert "What was agreed at Jo's meeting" in sam.text()
    for item in AGREED:
        await sam.send(item)
    await sam.send("a typing mistake")
    await sam.tap("Remove the last one")
    assert "a typing mistake" not in sam.text() and AGREED[1] in sam.text()
    await sam.tap("Next steps")
    assert "What are the next steps?" in sam.text()
    for item in NEXT:
        await sam.send(item)
    if done:
        await sam.tap("Done")
        assert "Kept." in sam.text()


async def jo_and_sam(chat: World) -> tuple[Person, Person]:
    sam = await chat.therapist("Sam")
    jo = await chat.young_person(sam, "Jo")
    await check_in(jo, "Bad", "Too loud", "the hall is too noisy", share=True)
    return sam, jo


async def records(chat: World) -> list[MeetingRecord]:
    async with chat.bot.services.db.transaction() as session:
        return list((await session.scalars(select(MeetingRecord))).all())


async def young_row(chat: World, jo: Person) -> PersonRow:
    async with chat.bot.services.db.transaction() as session:
        found = await row_of(session, jo)
    assert found is not None
    return found


async def test_recorded_in_the_chat_kept_encrypted_and_final(chat: World) -> None:
    sam, _ = await jo_and_sam(chat)
    await record(sam)
    (kept,) = await records(chat)
    assert [i["text"] for i in kept.agreed] == AGREED
    assert [i["text"] for i in kept.next_steps] == NEXT
    assert kept.final_at is not None
    numbers = [i["n"] for i in [*kept.agreed, *kept.next_steps]]
    assert len(set(numbers)) == len(numbers)
    async with chat.bot.services.db.transaction() as session:
        raw = (await session.execute(text(
            "SELECT agreed, next_steps FROM meeting_records"))).one()
        actions = (await session.scalars(select(AuditEntry.action))).all()
    for sealed in raw:
        assert b"quiet room" not in bytes(sealed) and b"SENCo" not in bytes(sealed)
    assert "meeting_happened" in actions and "meeting_recorded" in actions
    # Final: /agreed again shows it, and changes nothing.
    await sam.send("/agreed")
    await sam.tap("Jo")
    assert "It is kept as it is" in sam.text() and AGREED[0] in sam.text()
    await sam.send("one more thing")
    assert [i["text"] for i in (await records(chat))[0].agreed] == AGREED


async def test_agreed_items_are_offered_as_so_we_will(chat: World) -> None:
    sam, jo = await jo_and_sam(chat)
    await record(sam)
    await sam.send("/yousaid")
    await sam.tap("Jo")  # the meeting has happened: straight to what Jo said
    await sam.tap("too loud makes days hard")
    suggestions = [b for b in sam.buttons() if b.startswith("👉")]
    assert suggestions == [f"👉 {AGREED[0]}", f"👉 {AGREED[1]}", f"👉 {NEXT[0]}",
                           "👉 look again in 6 weeks"]  # a leading "We will" is left out
    await sam.tap("look again in 6 weeks")
    assert "This is the card Jo will get" in sam.text()
    await sam.tap("Send it to Jo")
    card = jo.messages()[-2].display_text or ""
    assert "So we will: look again in 6 weeks" in card and "we will: we will" not in card.lower()
    async with chat.bot.services.db.transaction() as session:
        (sent,) = (await session.scalars(select(YouSaid))).all()
    (item,) = json.loads(sent.items)
    kept = (await records(chat))[0]
    assert item["record_id"] == kept.id and item["record_item"] == f"n{kept.next_steps[1]['n']}"


async def test_not_final_is_not_offered_nor_summarised(chat: World) -> None:
    sam, jo = await jo_and_sam(chat)
    await record(sam, done=False)
    services = chat.bot.services
    jo_id = (await young_row(chat, jo)).id
    async with services.db.transaction() as session:
        viewer = await row_of(session, sam)
        assert viewer is not None
        built = await load.summary_for(session, services.content.engine, services.content.locale,
                                       viewer, jo_id, utcnow())
    assert built.last_meeting is None
    assert AGREED[0] not in full_text(built, services.content.locale)


async def test_the_next_summary_shows_it_since_the_last_meeting(chat: World) -> None:
    sam, jo = await jo_and_sam(chat)
    await record(sam)
    services = chat.bot.services
    locale = services.content.locale
    jo_id = (await young_row(chat, jo)).id
    async with services.db.transaction() as session:
        viewer = await row_of(session, sam)
        assert viewer is not None
        built = await load.summary_for(session, services.content.engine, locale, viewer, jo_id,
                                       utcnow())
    assert built.last_meeting is not None
    day = f"{built.last_meeting.held_on.day} {built.last_meeting.held_on:%B %Y}"
    words = full_text(built, locale)
    since = words[words.index("Since the last meeting"):words.index("You said, we did")]
    assert f"At the last meeting ({day}) we agreed:" in since
    assert "\n".join(f"  • {a}" for a in AGREED) in since
    assert f"Next steps from the last meeting ({day}):" in since
    assert "\n".join(f"  • {n}" for n in NEXT) in since
    pdf = "\n".join(page.extract_text() for page in PdfReader(
        io.BytesIO(render_pdf(built, locale))).pages)
    since_pdf = " ".join(pdf[pdf.index("Since the last meeting"):
                             pdf.rindex("You said, we did")].split())
    assert f"At the last meeting ({day}) we agreed:" in since_pdf
    for item in [*AGREED, *NEXT]:
        assert f"• {item}" in since_pdf, item


async def test_in_the_export_and_gone_when_erased(chat: World) -> None:
    sam, jo = await jo_and_sam(chat)
    await record(sam)
    services = chat.bot.services
    young = await young_row(chat, jo)
    async with services.db.transaction() as session:
        person = await session.get(PersonRow, young.id)
        assert person is not None
        made = await export.collect(session, services.content.engine, services.content.locale,
                                    person, local_zone(services.settings), utcnow())
    (meeting,) = made.data["meetings"]
    assert meeting["agreed"] == AGREED and meeting["next_steps"] == NEXT
    async with services.db.transaction() as session:
        person = await session.get(PersonRow, young.id)
        assert person is not None
        erased = await erase.erase_young_person(session, person)
    await erase.settled()
    assert erased.counts["meeting_records"] == 1
    assert await records(chat) == []


async def every_row(chat: World) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the audit log and the claimed update ids (which a refused
    tap adds to), and the time someone was last active."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    async with chat.bot.services.db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in {"audit_log", "processed_updates"}:
                continue
            columns = [c for c in table.columns if c.name != "last_active_at"]
            rows = (await session.execute(select(*columns))).all()
            found[table.name] = sorted(tuple(map(repr, row)) for row in rows)
    return found


async def test_another_therapist_is_refused_and_nothing_changes(chat: World) -> None:
    sam, jo = await jo_and_sam(chat)
    await record(sam, done=False)  # a record still open: its buttons name it
    kim = await chat.therapist("Kim")
    await chat.young_person(kim, "Ali")
    await kim.send("/agreed")
    assert "Jo" not in " ".join(kim.buttons())
    jo_id = (await young_row(chat, jo)).id
    (kept,) = await records(chat)
    before = await every_row(chat)
    forged = [f"mr:p:{jo_id}", f"mr:h:{jo_id}", f"mr:n:{kept.id}", f"mr:b:{kept.id}",
              f"mr:u:{kept.id}:a", f"mr:u:{kept.id}:n", f"mr:d:{kept.id}", f"ys:h:{jo_id}"]
    for data in forged:
        update_id = forge_callback(chat.bot.api, kim.user_id, kim.last().message_id, data)
        await chat.bot.wait_processed(update_id)
        assert kim.text() == REFUSAL, data
        assert await every_row(chat) == before, f"{data} changed something"
    seen = " ".join(m.display_text or "" for m in kim.messages())
    assert all(item not in seen for item in [*AGREED, *NEXT, "Jo"])
    async with chat.bot.services.db.transaction() as session:
        refused = (await session.scalars(select(AuditEntry.action).where(
            AuditEntry.action.like("refused_%")))).all()
    assert refused.count("refused_meeting_record") == 7 and "refused_you_said" in refused
    # Sam can still finish it.
    await sam.tap("Done")
    assert (await records(chat))[0].final_at is not None


async def test_already_recorded_offers_the_next_meeting_so_it_can_be_recorded(
        chat: World) -> None:
    """The newest meeting held is recorded (final): /agreed shows it, and with a next meeting
    set offers "The meeting has happened" for it (three weeks away: asked first), so a meeting
    held since can be recorded too; with none set, it says how."""
    sam, _ = await jo_and_sam(chat)
    await record(sam)
    await sam.send("/agreed")
    await sam.tap("Jo")
    assert "This is what you recorded" in sam.text() and "set its date with /meeting" in sam.text()
    assert sam.last().buttons == ()
    await sam.send("/meeting")
    await sam.tap("Jo")
    await sam.tap("In 3 weeks")
    await sam.tap(sam.buttons()[0])
    await sam.send("/agreed")
    await sam.tap("Jo")
    assert "This is what you recorded" in sam.text() and "next meeting is set" in sam.text()
    await sam.tap("The meeting has happened")
    assert "as held today?" in sam.text()
    await sam.tap("No")
    assert "This is what you recorded" in sam.text()
    await sam.tap("The meeting has happened")
    await sam.tap("Yes, it was held today")
    assert "What was agreed at Jo's meeting" in sam.text()
    await sam.send("A new timetable with pictures")
    await sam.tap("Done")
    first, second = sorted(await records(chat), key=lambda r: r.id)
    assert [i["text"] for i in first.agreed] == AGREED
    assert [i["text"] for i in second.agreed] == ["A new timetable with pictures"]
    assert first.meeting_id != second.meeting_id and second.final_at is not None


async def test_a_long_record_is_listed_in_one_message_and_says_it_is_shortened(
        chat: World) -> None:
    """15 agreed items and 15 next steps of 200 letters (about 6,000 characters in all): every
    screen fits Telegram's 4,096, says the items are shortened, and the record keeps them
    whole."""
    sam, _ = await jo_and_sam(chat)
    await sam.send("/agreed")
    await sam.tap("Jo")
    await sam.tap("The meeting has happened")
    items = [f"{n:02d} " + "word " * 39 + "go" for n in range(30)]
    assert {len(i) for i in items} == {200}
    for n, item in enumerate(items):
        if n == 15:
            await sam.tap("Next steps")
        await sam.send(item)
        shown = sam.last().reply
        assert shown is not None and len(shown.text) <= 4096, (n, len(shown.text))
    assert "shortened here" in sam.text() and "15. 29 word" in sam.text()
    await sam.tap("Done")
    shown = sam.last().reply
    assert shown is not None and len(shown.text) <= 4096 and "shortened here" in shown.text
    (kept,) = await records(chat)
    assert [i["text"] for i in [*kept.agreed, *kept.next_steps]] == items
