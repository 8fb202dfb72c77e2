"""The whole loop of issue 5, through the fake Bot API over HTTP: the therapist invites, the
young person shares some flows and keeps one private, a supporter adds their view (after the
young person agreed), the therapist sets a meeting, the young person is invited to get ready,
the therapist pulls the summary (PDF + picture + text), sends "you said", and the young person
answers. The PDF's text is read back with pypdf."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pypdf import PdfReader
from sqlalchemy import select

from bot.sandbox.fake_api import SentMessage
from bot.store.models import AuditEntry, Meeting, YouSaid
from bot.store.models import Person as PersonRow
from bot.telegram import jobs
from tests.conftest import World
from tests.support.harness import Person, RunningBot, forge_callback

SHARED_GOOD = "I played football with Sam at lunch"
SHARED_BAD = "the dinner hall was too noisy"
PRIVATE = "a secret about my day"
QUESTION = "Can I sit near the door?"
SUPPORTER_WORKING = "She loves art club on Tuesdays"
SUPPORTER_NOT = "Mornings are a rush"
SUPPORTER_ADMIRE = "She is kind to her little brother"
SUPPORTER_INTERESTS = "Horses, and drawing them"
SUPPORTER_IMPORTANT_TO = "Her nan, and knowing what happens next"
SUPPORTER_IMPORTANT_FOR = "Her hearing aids in, and a quiet lunch"
SUPPORTER_FUTURE = "We hope she works with animals, maybe at a stables"
HEADINGS = ["About me", "What people like and admire about me",
            "What is important to me now",
            "My future: what I hope for (Preparing for Adulthood)",
            "What is important for me: health and safety", "How best to support me",
            "What is working and not working", "Good days and bad days", "Talking Mats",
            "My questions and how I want to take part", "Who helped me answer",
            "Since the last meeting", "You said, we did",
            "Section A draft: my views, interests and hopes"]


async def check_in(jo: Person, how: str, pick: str | None, words: str, *, share: bool) -> None:
    await jo.tap("How was today")
    await jo.tap(how)
    if pick is not None:
        await jo.tap(pick)
        await jo.tap("Done")
    else:
        await jo.tap("Skip")
    await jo.send(words)
    await finish(jo, share=share)


async def finish(jo: Person, *, share: bool) -> None:
    if "Who helped you answer?" in jo.text():
        await jo.tap("On my own")
        await jo.tap("Done")
    assert "This is what you told me" in jo.text()
    await jo.tap("Share with my therapist" if share else "Keep it just for me")


async def my_meeting(jo: Person) -> None:
    await jo.tap("My meeting")
    await jo.tap("School")
    await jo.tap("Done")
    await jo.send(QUESTION)
    await jo.tap("Mum")
    await jo.tap("Done")
    await jo.tap("Be there")
    await jo.tap("Done")
    await finish(jo, share=True)


async def add_supporter(world: World, sam: Person, jo: Person) -> Person:
    """Sam asks, Jo says yes, Ann (Jo's mum) joins and sends her view."""
    await sam.send("/supporter")
    await sam.tap("Jo")
    await sam.tap("Parent or carer")
    assert "I asked Jo" in sam.text()
    assert "Can your parent or carer say what they think?" in jo.text() or \
        "wants to ask your parent or carer" in jo.text()
    await jo.tap("Yes")
    link = sam.text()
    assert "Jo said yes" in link
    code = link.split("Code: ", 1)[1].split()[0]
    ann = world.person("Ann")
    await ann.send(f"/start {code}")
    assert "share your view about Jo" in ann.text()
    await ann.tap("Yes")
    await ann.tap("Add my view about Jo")
    assert "What is working well" in ann.text()
    await ann.send(SUPPORTER_WORKING)
    await ann.send(SUPPORTER_NOT)
    await ann.send(SUPPORTER_ADMIRE)
    for words in (SUPPORTER_INTERESTS, SUPPORTER_IMPORTANT_TO, SUPPORTER_IMPORTANT_FOR,
                  SUPPORTER_FUTURE):
        await ann.send(words)
    assert SUPPORTER_ADMIRE in ann.text()  # the review of what she wrote
    await ann.tap("Send to the therapist")
    assert "has gone to their therapist" in ann.text()
    return ann


async def set_meeting(sam: Person, name: str = "Jo") -> date:
    await sam.send("/meeting")
    await sam.tap(name)
    await sam.tap("In 2 weeks")
    day_button = sam.buttons()[1]  # Tuesday of that week
    await sam.tap(day_button)
    saved = sam.text()
    assert "Saved:" in saved
    async with sam.bot.services.db.transaction() as session:
        meeting = await session.scalar(select(Meeting).where(Meeting.cancelled_at.is_(None)))
        assert meeting is not None
        return meeting.held_on


def at_local(day: date, hour: int = 16) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=ZoneInfo("Europe/London")).astimezone(UTC)


def documents(person: Person) -> list[SentMessage]:
    return [m for m in person.messages() if m.document]


def pdf_text(bot: RunningBot, message: SentMessage) -> str:
    assert message.document is not None
    reader = PdfReader(io.BytesIO(bot.api.file_bytes(message.document)))
    return "\n".join(page.extract_text() for page in reader.pages)


async def young_person_id(bot: RunningBot, name: str = "Jo") -> int:
    async with bot.services.db.transaction() as session:
        people = (await session.scalars(select(PersonRow).where(
            PersonRow.role == "young_person"))).all()
        return next(p.id for p in people if p.display_name == name)


async def the_loop(world: World) -> tuple[Person, Person, Person]:
    sam = await world.therapist("Sam")
    jo = await world.young_person(sam, "Jo")
    await check_in(jo, "Good", "Friend", SHARED_GOOD, share=True)
    await check_in(jo, "Bad", "Too loud", SHARED_BAD, share=True)
    await check_in(jo, "Bad", None, PRIVATE, share=False)
    await my_meeting(jo)
    ann = await add_supporter(world, sam, jo)
    return sam, jo, ann


async def test_the_whole_loop(world: World) -> None:
    bot = world.bot
    sam, jo, ann = await the_loop(world)

    held_on = await set_meeting(sam)
    sent = await jobs.run_now(bot.application, "meeting_invites",
                              now=at_local(held_on - timedelta(days=7)))
    assert sent == 1
    invite = jo.last()
    assert invite.photo, "the date comes as a picture card"
    assert f"{held_on:%A}" in (invite.display_text or "")
    await jo.tap("See what I will share")
    shared_view = jo.last()
    assert shared_view.photo and "what your therapist will see" in (shared_view.display_text or "")
    assert "Just for you: 1" in (shared_view.display_text or "")

    await sam.send("/summary")
    await sam.tap("Jo")
    pdf_message = documents(sam)[-1]
    assert pdf_message.document and "Jo's summary" in (pdf_message.display_text or "")
    picture = sam.messages()[-2]
    assert picture.photo, "one summary picture for the phone"
    short = sam.text()
    assert short.index(QUESTION) < short.index(SHARED_BAD) < short.index(SHARED_GOOD)
    assert PRIVATE not in short

    text = pdf_text(bot, pdf_message)
    for quote in (SHARED_GOOD, SHARED_BAD, QUESTION, SUPPORTER_WORKING, SUPPORTER_NOT,
                  SUPPORTER_ADMIRE):
        assert f"“{quote}”" in text, quote
    assert PRIVATE not in text
    assert "Flows kept private by Jo: 1." in text
    # Each heading is drawn with something under it, in order, or named once among those
    # with nothing yet (issue 14, point 10: no heading with nothing under it).
    flat = " ".join(text.split())
    empty = flat[flat.index("Nothing shared yet under:"):].split(".")[0] \
        if "Nothing shared yet under:" in flat else ""
    drawn = [h for h in HEADINGS if h not in empty]
    positions = [m.start() if (m := re.search(rf"\d+\. {re.escape(h)}", flat)) else
                 flat.index(h) for h in drawn]
    assert positions == sorted(positions), "headings out of order"
    assert len(drawn) > 6 and all(h in flat for h in HEADINGS)
    section_a = text[text.index("Section A draft"):]
    assert f"Quote: “{SHARED_BAD}”" in section_a
    assert "Summarised:" in section_a
    # Ann's view is a part of its own, under her name, after all of Jo's own parts.
    anns = section_a.index("Ann, parent or carer: their view")
    assert SUPPORTER_WORKING not in section_a[:anns]
    theirs = " ".join(section_a[anns:].split())  # the PDF wraps long lines
    assert f"Quote (What is working): “{SUPPORTER_WORKING}”" in theirs
    assert f"Quote (Their hopes for the future): “{SUPPORTER_FUTURE}”" in theirs
    assert "Ann's view (parent or carer)" in text
    assert f"For the planning meeting on {held_on:%A} {held_on.day}" in text

    await sam.send("/yousaid")
    await sam.tap("Jo")
    assert "meeting has not happened yet" in sam.text()  # "you said, we did" is for after it
    await sam.tap("The meeting has happened")
    assert "as held today?" in sam.text()  # set two weeks ahead: moved only once asked
    await sam.tap("Yes, it was held today")
    await sam.tap(SHARED_BAD[:20])
    assert "What will happen now?" in sam.text()
    await sam.send("we will find you a quiet place at lunch")
    assert "This is the card Jo will get" in sam.text()
    await sam.tap("Send it to Jo")
    card, question = jo.messages()[-2:]
    assert card.photo and "So we will: find you a quiet place at lunch" in (
        card.display_text or "")
    assert "we will: we will" not in (card.display_text or "").lower()
    assert question.photo and "Did people listen to you?" in (question.display_text or "")
    await jo.tap("A bit")
    assert "Jo answered: did people listen? A bit" in sam.text()
    caseload = (await sam.send("/caseload")).display_text or ""
    assert "Listened: 😐 A bit" in caseload and "4 done, 3 shared" in caseload

    await sam.send("/summary")
    await sam.tap("Jo")
    again = pdf_text(bot, documents(sam)[-1])
    loop = again[again.index("You said, we did"):again.index("Section A draft")]
    assert "So we will: find you a quiet place at lunch" in loop
    assert "Did people listen? A bit" in loop
    assert ann.text()  # the supporter heard nothing of the summary
    assert all(not m.document for m in ann.messages())


async def test_a_second_therapist_reaches_none_of_it(world: World) -> None:
    bot = world.bot
    sam, _, _ = await the_loop(world)
    await set_meeting(sam)
    jo_id = await young_person_id(bot)
    kim = await world.therapist("Kim")
    for command in ("/caseload", "/summary", "/meeting", "/yousaid", "/supporter"):
        reply = (await kim.send(command)).display_text or ""
        assert "No young people yet" in reply
    await sam.send("/yousaid")
    await sam.tap("Jo")
    await sam.tap("The meeting has happened")
    await sam.tap("Yes, it was held today")  # Sam's draft exists now: Kim must not reach it
    async with bot.services.db.transaction() as session:
        draft = await session.scalar(select(YouSaid.id))
    assert draft is not None
    forged = ["s:%d", "pk:s:0", "cl:0", "mg:p:%d", "mg:w:%d:2", "mg:d:%d:20990101", "mg:x:%d",
              "mg:t:%d", "ys:p:%d", "ys:h:%d", "mr:p:%d", "mr:h:%d", "sv:p:%d", "sv:r:%d:0"]
    forged = [f % jo_id if "%d" in f else f for f in forged]
    forged += [f"ys:g:{draft}", f"ys:a:{draft}", f"ys:c:{draft}", f"ys:s:{draft}:too_loud",
               f"ys:l:{draft}:0"]
    for data in forged:
        update_id = forge_callback(bot.api, kim.user_id, kim.last().message_id, data)
        await bot.wait_processed(update_id)
    seen = " ".join(m.display_text or "" for m in kim.messages())
    for secret in (SHARED_GOOD, SHARED_BAD, QUESTION, SUPPORTER_WORKING, "Jo"):
        assert secret not in seen
    assert not documents(kim)
    await kim.send(f"/summary {jo_id}")  # a typed id is no way in either
    assert not documents(kim)
    async with bot.services.db.transaction() as session:
        actions = set((await session.scalars(select(AuditEntry.action).where(
            AuditEntry.actor_id != None))).all())  # noqa: E711
        draft_row = await session.get(YouSaid, draft)
        meetings = (await session.scalars(select(Meeting))).all()
    assert {"refused_summary", "refused_meeting", "refused_you_said",
            "refused_supporter"} <= actions
    assert draft_row is not None and draft_row.sent_at is None  # Kim could not send or delete it
    assert len([m for m in meetings if m.cancelled_at is None]) == 1  # nor cancel the meeting
