"""/caseload and the young-person picker: a page at a time, with what is new, the next meeting
and whether they felt listened to; /help lists every therapist command."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.store import repo
from bot.store.models import FlowRun, Meeting, YouSaid
from bot.store.models import Person as PersonRow
from bot.timeutil import utcnow
from tests.summary.test_summary_loop import check_in
from tests.support.driver import Person, World


async def therapist_row(chat: World, therapist: Person) -> PersonRow:
    async with chat.bot.services.db.transaction() as session:
        found = await session.scalar(select(PersonRow).where(
            PersonRow.telegram_user_id == therapist.user_id))
        assert found is not None
        return found


async def add_young_people(chat: World, therapist: Person, count: int) -> list[int]:
    """Young people straight into the store (as if each had joined with a link)."""
    sam = await therapist_row(chat, therapist)
    ids = []
    async with chat.bot.services.db.transaction() as session:
        for n in range(count):
            young = await repo.add_person(session, telegram_user_id=6_100_000 + n,
                                          chat_id=6_100_000 + n, role="young_person",
                                          display_name=f"Person {n:02d}", consented=True)
            await repo.link(session, sam, young)
            ids.append(young.id)
    return ids


async def test_caseload_pages_and_what_each_line_says(chat: World) -> None:
    sam = await chat.therapist("Sam")
    jo = await chat.young_person(sam, "Jo")
    await check_in(jo, "Good", "Friend", "first", share=True)
    await check_in(jo, "Bad", None, "private", share=False)
    ids = await add_young_people(chat, sam, 12)
    now = utcnow()
    sam_row = await therapist_row(chat, sam)
    async with chat.bot.services.db.transaction() as session:
        session.add(Meeting(young_person_id=ids[0], therapist_id=sam_row.id,
                            held_on=(now - timedelta(days=30)).date()))
        session.add(Meeting(young_person_id=ids[0], therapist_id=sam_row.id,
                            held_on=(now + timedelta(days=9)).date()))
        session.add(FlowRun(person_id=ids[0], flow_id="check_in", step_id="_review",
                            status="finished", state={}, version=3, shared=True, shared_at=now,
                            started_at=now, updated_at=now, finished_at=now))
        session.add(FlowRun(person_id=ids[0], flow_id="check_in", step_id="_review",
                            status="finished", state={}, version=3, shared=True,
                            shared_at=now - timedelta(days=60), started_at=now,
                            updated_at=now, finished_at=now - timedelta(days=60)))
        session.add(YouSaid(young_person_id=ids[0], therapist_id=sam_row.id, items="[]",
                            sent_at=now, listened=None))
    first = (await sam.send("/caseload")).display_text or ""
    assert "Your young people (13):" in first and "Page 1 of 2." in first
    assert "👤 Jo:" in first and "Since the start: 2 done, 1 shared, 🆕 1 new" in first
    person0 = first[first.index("👤 Person 00"):]
    assert "1 done, 1 shared, 🆕 2 new" in person0  # the older share is new to Sam too
    assert f"Next meeting: {(now + timedelta(days=9)).date().day} " in person0
    assert "Listened: ⏳ no answer yet" in person0
    assert len([b for b in sam.buttons() if b.startswith("📄")]) == 10
    await sam.tap("▶️ 2/2")
    second = sam.last().display_text or ""
    assert "Page 2 of 2." in second and "Person 10" in second and "Jo" not in second
    await sam.tap("◀️")
    assert "Page 1 of 2." in (sam.last().display_text or "")

    await sam.tap("Jo")  # reading the summary: Jo's new shares are not new any more
    caseload = (await sam.send("/caseload")).display_text or ""
    assert "Since the start: 2 done, 1 shared\n" in caseload


async def test_the_picker_pages_for_every_purpose(chat: World) -> None:
    sam = await chat.therapist("Sam")
    await add_young_people(chat, sam, 23)
    for command, prompt in (("/summary", "Whose summary"), ("/meeting", "Whose meeting"),
                            ("/yousaid", "tell what was decided"),
                            ("/supporter", "parent, carer or school staff")):
        reply = await sam.send(command)
        assert prompt in (reply.display_text or "")
        assert sam.buttons()[-1] == "▶️ 2/3"
        await sam.tap("▶️ 2/3")
        assert "Person 10" in sam.buttons()[0]
        await sam.tap("▶️ 3/3")
        assert len(sam.buttons()) == 4  # three people and the way back


async def test_help_lists_every_therapist_command(chat: World) -> None:
    sam = await chat.therapist("Sam")
    words = (await sam.send("/help")).display_text or ""
    for command in ("/caseload", "/summary", "/meeting", "/yousaid", "/invite", "/supporter",
                    "/assign", "/privacy"):
        assert command in words
    assert "/start" not in words
    assert words == ((await sam.send("something typed")).display_text or "")


async def test_a_meeting_said_to_have_happened_is_not_the_next_one(chat: World) -> None:
    sam = await chat.therapist("Sam")
    [young] = await add_young_people(chat, sam, 1)
    now = utcnow()
    sam_row = await therapist_row(chat, sam)
    async with chat.bot.services.db.transaction() as session:  # held early, before its date
        session.add(Meeting(young_person_id=young, therapist_id=sam_row.id,
                            held_on=(now + timedelta(days=2)).date(), happened_at=now))
    line = (await sam.send("/caseload")).display_text or ""
    line = line[line.index("👤 Person 00"):]
    assert f"Next meeting: {(now + timedelta(days=2)).date().day} " not in line
    assert "Next meeting: not set" in line
