"""/yousaid offers only what the young person said, each offer naming its answer, and only after
the meeting (issue 14, point 7).

A realistic week: a Good day / Bad day where bedtime is "Not sure" and "too loud" is the reason
for three bad parts of the day, a bad check-in, a private check-in, a Talking Mat, "My meeting"
with a question, and a parent's view. Driven through the conversation (tests/support/driver.py)
on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select, update

from bot.store import therapist_repo
from bot.store.models import Answer, FlowRun, Meeting, YouSaid
from bot.timeutil import utcnow
from tests.service.test_mat_placements import do_the_mat
from tests.service.test_outcomes import add_outcome
from tests.summary.test_summary_loop import (
    QUESTION,
    SUPPORTER_ADMIRE,
    SUPPORTER_NOT,
    SUPPORTER_WORKING,
    add_supporter,
    check_in,
    finish,
    my_meeting,
)
from tests.support.driver import Person, World, row_of

MORNING_WORDS = "mornings with Sam are the best"
PRIVATE_WORDS = "my secret about the cat"


A_WEEK = (("Good", ["Friend"]), ("Bad", ["Too loud"]), ("Bad", ["Too loud", "Too hard"]),
          ("Bad", ["Too loud", "Lonely"]), ("Good", []), ("OK", None), ("Not sure", None))


async def good_day_bad_day(jo: Person,
                           parts: tuple[tuple[str, list[str] | None], ...] = A_WEEK) -> None:
    """Each part of the day (morning to bedtime) rated, with its reasons. By default: morning
    good (a friend), getting to school, lessons and break bad (too loud each time; too hard,
    lonely), after school good, the evening OK, bedtime Not sure; a quiet place would make
    more good days."""
    await jo.tap("Good day, bad day")
    for verdict, reasons in parts:
        await jo.tap(verdict)
        if reasons is None or verdict not in ("Good", "Bad"):
            continue
        for reason in reasons:
            await jo.tap(reason)
        await jo.tap("Done" if reasons else "Skip")
    await jo.tap("Quiet place")
    await jo.tap("Done")
    await jo.send(MORNING_WORDS)
    await finish(jo, share=True)


async def the_week(chat: World) -> tuple[Person, Person, Person]:
    sam = await chat.therapist("Sam")
    jo = await chat.young_person(sam, "Jo")
    await good_day_bad_day(jo)
    await check_in(jo, "Bad", "Worried", "the test made me worried", share=True)
    await check_in(jo, "Good", "Pet", PRIVATE_WORDS, share=False)
    await do_the_mat(jo)
    await jo.tap("Share with my therapist")
    await my_meeting(jo)
    ann = await add_supporter(chat, sam, jo)
    return sam, jo, ann


async def drafts(chat: World) -> list[YouSaid]:
    async with chat.bot.services.db.transaction() as session:
        return list((await session.scalars(select(YouSaid).order_by(YouSaid.id))).all())


def offered(sam: Person) -> list[str]:
    return [b for b in sam.buttons() if "Cancel" not in b]


async def test_only_what_they_said_is_offered_main_bad_day_reason_first(chat: World) -> None:
    sam, _, _ = await the_week(chat)
    await sam.send("/yousaid")
    await sam.tap("Jo")
    await sam.tap("The meeting has happened")
    buttons = offered(sam)
    joined = "\n".join(await page_through(sam))  # every page: nothing is cut
    # The reason given for three bad parts of the day comes first, once for each part.
    assert [b.split(" ", 1)[1] for b in buttons[:3]] == [
        "too loud makes getting to school hard", "too loud makes lessons hard",
        "too loud makes break and lunch hard"], buttons
    assert "morning is a good part of your day" in joined
    assert "after school is a good part of your day" in joined
    assert "you want to talk about school" in joined  # their question
    assert "you put maths under “Don't like”" in joined  # a mat placement
    assert "friend helps you have good days" in joined
    assert f"“{QUESTION}”" in joined and f"“{MORNING_WORDS}”" in joined  # their own words
    # Bedtime was "Not sure" and the evening "OK": neither is offered as something good.
    assert "bedtime" not in joined.lower() and "evening" not in joined.lower()
    assert "not sure helps" not in joined.lower()
    # Nothing kept private, nothing a supporter said.
    for secret in ("Pet", "pet", PRIVATE_WORDS, SUPPORTER_WORKING, SUPPORTER_NOT,
                   SUPPORTER_ADMIRE, "art club"):
        assert secret not in joined, secret


async def test_not_sure_ok_and_i_dont_know_are_never_offered_as_good(chat: World) -> None:
    sam = await chat.therapist("Sam")
    jo = await chat.young_person(sam, "Jo")
    await good_day_bad_day(jo, (("Not sure", None), ("OK", None), ("Good", []),
                                ("I don't know", None), ("Skip", None), ("Skip", None),
                                ("Not sure", None)))
    await sam.send("/yousaid")
    await sam.tap("Jo")
    await sam.tap("The meeting has happened")
    joined = "\n".join(b for b in offered(sam) if not b.startswith("💬")).lower()
    assert "lessons is a good part of your day" in joined
    for part in ("morning", "getting to school", "break", "after school", "bedtime"):
        assert part not in joined, part


async def test_each_item_keeps_the_answer_it_came_from_and_we_will_is_not_doubled(
        chat: World) -> None:
    sam, jo, _ = await the_week(chat)
    await sam.send("/yousaid")
    await sam.tap("Jo")
    await sam.tap("The meeting has happened")
    await sam.tap("too loud makes break and lunch hard")
    await sam.send("We will give you ear defenders for assemblies")
    await sam.tap("Add another")
    await sam.tap("morning is a good part of your day")
    await sam.send("we'll keep your mornings calm")
    assert "This is the card Jo will get" in sam.text()
    await sam.tap("Send it to Jo")
    card = jo.messages()[-2].display_text or ""
    assert "So we will: give you ear defenders for assemblies" in card
    assert "So we will: keep your mornings calm" in card
    assert "we will: we" not in card.lower()
    (sent,) = await drafts(chat)
    items = json.loads(sent.items)
    assert [i["said"] for i in items] == ["too loud makes break and lunch hard",
                                          "morning is a good part of your day"]
    async with chat.bot.services.db.transaction() as session:
        for item, step in zip(items, ("break_lunch", "morning"), strict=True):
            answer = await session.get(Answer, item["answer_id"])
            assert answer is not None and answer.run_id == item["run_id"]
            run = await session.get(FlowRun, answer.run_id)
            assert run is not None and run.shared and run.flow_id == "good_day_bad_day"
            assert step in answer.step_id
        too_loud = await session.get(Answer, items[0]["answer_id"])
        morning = await session.get(Answer, items[1]["answer_id"])
    assert too_loud is not None and "too_loud" in too_loud.choices
    assert morning is not None and morning.choices == ["good"]


async def test_a_private_answer_is_never_offered_even_by_a_forged_button(chat: World) -> None:
    sam = await chat.therapist("Sam")
    jo = await chat.young_person(sam, "Jo")
    await check_in(jo, "Bad", "Too loud", "the hall is too noisy", share=True)
    await check_in(jo, "Good", "Pet", PRIVATE_WORDS, share=False)
    async with chat.bot.services.db.transaction() as session:
        private = await session.scalar(select(Answer).join(FlowRun).where(
            FlowRun.shared.is_(False), Answer.own_words.is_not(None)))
        pet = await session.scalar(select(Answer).join(FlowRun).where(
            FlowRun.shared.is_(False), Answer.step_id == "what_good"))
    assert private is not None and pet is not None
    await sam.send("/yousaid")
    await sam.tap("Jo")
    await sam.tap("The meeting has happened")
    joined = " ".join(sam.buttons())
    assert "pet" not in joined.lower() and PRIVATE_WORDS not in joined
    (draft,) = await drafts(chat)
    for ref in (f"q{private.id}", f"a{pet.id}_pet"):
        await sam.tap_data(sam.last().message_id, f"ys:s:{draft.id}:{ref}")
        assert sam.text().startswith("That button is from before"), (ref, sam.text())
    assert json.loads((await drafts(chat))[0].items) == []


async def test_before_the_meeting_date_it_is_refused_kindly_after_it_allowed(
        chat: World) -> None:
    sam = await chat.therapist("Sam")
    jo = await chat.young_person(sam, "Jo")
    await check_in(jo, "Bad", "Too loud", "the hall is too noisy", share=True)
    today = utcnow().date()
    async with chat.bot.services.db.transaction() as session:
        therapist = await row_of(session, sam)
        young = await row_of(session, jo)
        assert therapist is not None and young is not None
        meeting = await therapist_repo.set_meeting(
            session, therapist=therapist, young_person=young,
            held_on=today + timedelta(days=3), today=today)
        meeting_id = meeting.id
    await sam.send("/yousaid")
    await sam.tap("Jo")
    assert "has not happened yet" in sam.text()
    assert offered(sam) == ["✅ The meeting has happened"]
    assert await drafts(chat) == []  # nothing started
    # The meeting was yesterday; the check-in the day before it. Said after it: not offered.
    async with chat.bot.services.db.transaction() as session:
        await session.execute(update(Meeting).where(Meeting.id == meeting_id)
                              .values(held_on=today - timedelta(days=1)))
        await session.execute(update(FlowRun).values(
            finished_at=utcnow() - timedelta(days=2), updated_at=utcnow() - timedelta(days=2)))
    await check_in(jo, "Bad", "Tired", "said after the meeting", share=True)
    await sam.send("/yousaid")
    await sam.tap("Jo")
    assert "What did Jo say" in sam.text()
    assert any("too loud makes days hard" in b for b in sam.buttons())
    assert not any("tired" in b.lower() or "after the meeting" in b for b in sam.buttons())
    await sam.tap("the hall is too noisy")
    await sam.send("we will find a quiet room")
    await sam.tap("Send it to Jo")
    (sent,) = await drafts(chat)
    assert sent.sent_at is not None and sent.meeting_id == meeting_id
    assert "So we will: find a quiet room" in (jo.messages()[-2].display_text or "")


async def test_the_meeting_has_happened_button_keeps_the_meeting_as_held_today(
        chat: World) -> None:
    sam = await chat.therapist("Sam")
    await chat.young_person(sam, "Jo")
    await sam.send("/meeting")
    await sam.tap("Jo")
    await sam.tap("In 2 weeks")
    await sam.tap(sam.buttons()[0])
    assert "Saved" in sam.text() or "saved" in sam.text(), sam.text()
    await sam.send("/yousaid")
    await sam.tap("Jo")
    assert "has not happened yet" in sam.text()
    await sam.tap("The meeting has happened")
    # Two weeks away: moved to today only once the therapist says so.
    assert "Mark Jo's meeting on" in sam.text() and "as held today?" in sam.text()
    async with chat.bot.services.db.transaction() as session:
        (meeting,) = (await session.scalars(select(Meeting))).all()
    assert meeting.happened_at is None and meeting.held_on > utcnow().date()
    await sam.tap("Yes, it was held today")
    assert "kept as held on" in sam.text()
    async with chat.bot.services.db.transaction() as session:
        (meeting,) = (await session.scalars(select(Meeting))).all()
    assert meeting.held_on <= utcnow().date() + timedelta(days=1)  # moved to today (local)
    assert meeting.happened_at is not None and meeting.cancelled_at is None
    # A new meeting set now does not cancel the one that happened.
    await sam.send("/meeting")
    await sam.tap("Jo")
    assert "has no meeting set" in sam.text() or "meeting" in sam.text()
    await sam.tap("In 4 weeks")
    await sam.tap(sam.buttons()[0])
    async with chat.bot.services.db.transaction() as session:
        meetings = (await session.scalars(select(Meeting).order_by(Meeting.id))).all()
    assert [m.cancelled_at is None for m in meetings] == [True, True]


async def test_with_a_next_meeting_set_it_says_which_meeting_and_can_close_the_next(
        chat: World) -> None:
    sam = await chat.therapist("Sam")
    jo = await chat.young_person(sam, "Jo")
    await check_in(jo, "Bad", "Too loud", "the hall is too noisy", share=True)
    today = utcnow().date()
    async with chat.bot.services.db.transaction() as session:
        therapist = await row_of(session, sam)
        young = await row_of(session, jo)
        assert therapist is not None and young is not None
        last_year = await therapist_repo.set_meeting(
            session, therapist=therapist, young_person=young,
            held_on=today - timedelta(days=300), today=today - timedelta(days=310))
        upcoming = await therapist_repo.set_meeting(
            session, therapist=therapist, young_person=young,
            held_on=today + timedelta(days=10), today=today)
        ids = (last_year.id, upcoming.id)
    await sam.send("/yousaid")
    await sam.tap("Jo")
    assert "This is about Jo's meeting on" in sam.text() and "next meeting is set" in sam.text()
    # Nothing said before last year's meeting: nothing of this week is offered for it.
    assert not any("too loud" in b for b in sam.buttons())
    data = sam.button_data("The meeting has happened")
    await sam.tap("The meeting has happened")
    assert "as held today?" in sam.text()  # ten days away: asked first
    await sam.tap("Yes, it was held today")
    assert any("too loud makes days hard" in b for b in sam.buttons())
    await sam.tap_data(sam.last().message_id, data)  # the same button again: no new meeting
    assert sam.text().startswith("That button is from before")
    async with chat.bot.services.db.transaction() as session:
        kept = (await session.scalars(select(Meeting).order_by(Meeting.id))).all()
    assert [m.id for m in kept] == list(ids)
    assert kept[1].happened_at is not None and kept[1].held_on <= today + timedelta(days=1)
    await sam.tap("too loud makes days hard")
    await sam.send("ear defenders")
    await sam.tap("Send it to Jo")
    (sent,) = await drafts(chat)
    assert sent.meeting_id == ids[1]


async def test_a_happened_button_from_before_the_meeting_makes_no_second_meeting(
        chat: World) -> None:
    """The meeting is set for tomorrow; Sam runs /yousaid and gets "not happened yet" with the
    button; the meeting happens; the next day Sam taps that old button. Nothing is made or
    moved: Sam sees where things are now, and nothing Jo said after the meeting is offered.
    Buttons from before the meeting id was carried ("ys:h:<id>", "mr:h:<id>") are not acted
    on either."""
    sam = await chat.therapist("Sam")
    jo = await chat.young_person(sam, "Jo")
    await check_in(jo, "Bad", "Too loud", "the hall is too noisy", share=True)
    today = utcnow().date()
    async with chat.bot.services.db.transaction() as session:
        therapist = await row_of(session, sam)
        young = await row_of(session, jo)
        assert therapist is not None and young is not None
        meeting = await therapist_repo.set_meeting(
            session, therapist=therapist, young_person=young,
            held_on=today + timedelta(days=1), today=today)
        meeting_id, jo_id = meeting.id, young.id
    await sam.send("/yousaid")
    await sam.tap("Jo")
    assert "has not happened yet" in sam.text()
    old_screen, old_button = sam.last().message_id, sam.button_data("The meeting has happened")
    # The meeting happened (yesterday, now); Jo checked in before it, and again after it.
    async with chat.bot.services.db.transaction() as session:
        await session.execute(update(Meeting).where(Meeting.id == meeting_id)
                              .values(held_on=today - timedelta(days=1)))
        await session.execute(update(FlowRun).values(
            finished_at=utcnow() - timedelta(days=2), updated_at=utcnow() - timedelta(days=2)))
    await check_in(jo, "Bad", "Tired", "said after the meeting", share=True)
    for data in (old_button, f"ys:h:{jo_id}", f"mr:h:{jo_id}"):
        await sam.tap_data(old_screen, data)
        assert sam.text().startswith("That button is from before"), (data, sam.text())
        async with chat.bot.services.db.transaction() as session:
            (kept,) = (await session.scalars(select(Meeting))).all()
        assert (kept.id, kept.held_on, kept.happened_at) == (
            meeting_id, today - timedelta(days=1), None), data
    await sam.tap_data(old_screen, old_button)
    assert any("too loud makes days hard" in b for b in sam.buttons())
    assert not any("tired" in b.lower() or "after the meeting" in b for b in sam.buttons())


async def test_no_leaves_a_later_meeting_as_it_was(chat: World) -> None:
    sam = await chat.therapist("Sam")
    jo = await chat.young_person(sam, "Jo")
    await check_in(jo, "Bad", "Too loud", "the hall is too noisy", share=True)
    await sam.send("/meeting")
    await sam.tap("Jo")
    await sam.tap("In 3 weeks")
    await sam.tap(sam.buttons()[0])
    await sam.send("/yousaid")
    await sam.tap("Jo")
    await sam.tap("The meeting has happened")
    assert "as held today?" in sam.text()
    await sam.tap("No")
    assert "has not happened yet" in sam.text()  # back where Sam was
    async with chat.bot.services.db.transaction() as session:
        (meeting,) = (await session.scalars(select(Meeting))).all()
    assert meeting.happened_at is None and meeting.held_on > utcnow().date() + timedelta(days=7)
    assert await drafts(chat) == []


async def page_through(sam: Person) -> list[str]:
    """Every offer on every page (tapping "More" while there is one), in order."""
    found: list[str] = []
    for _ in range(10):
        page = offered(sam)
        more = [b for b in page if b.startswith("➡️ More")]
        found += [b for b in page if not b.startswith(("➡️ More", "⬅️", "✅"))]
        if not more:
            return found
        await sam.tap(more[0])
    raise AssertionError("too many pages")


async def how_am_i_getting_on(sam: Person, jo: Person) -> None:
    """Two outcomes: Jo says the first is getting better (give me time; their own words),
    and "I don't know" about the second; shared."""
    await add_outcome(sam, "Jo", "I can ask for help in class", "Help")
    await add_outcome(sam, "Jo", "I can make a friend at lunch")
    await jo.send("/menu")
    await jo.tap("How am I getting on?")
    await jo.tap("Getting better")
    await jo.tap("Give me time")
    await jo.tap("Done")
    await jo.send(HAND_UP)
    await jo.tap("I don't know")
    await jo.tap("Skip")
    await jo.tap("Skip")
    await jo.tap("Skip")  # anything else
    await finish(jo, share=True)


HAND_UP = "I put my hand up now"


async def everything_offered(chat: World) -> tuple[list[str], str]:
    """The week and "How am I getting on?"; Sam's first page of offers, and every offer on
    every page (one a line)."""
    sam, jo, _ = await the_week(chat)
    await how_am_i_getting_on(sam, jo)
    await sam.send("/yousaid")
    await sam.tap("Jo")
    await sam.tap("The meeting has happened")
    first = offered(sam)
    return first, "\n".join(await page_through(sam))


async def test_every_mat_card_is_offered_where_it_was_put(chat: World) -> None:
    _, joined = await everything_offered(chat)
    for card, column in (("lessons", "Like"), ("art", "Like"), ("break time", "Like"),
                         ("reading", "Not sure"), ("lunch", "Not sure"),
                         ("maths", "Don't like"), ("homework", "Don't like")):
        assert f"you put {card} under “{column}”" in joined, (card, joined)
    assert "pe under" not in joined.lower()  # left off the mat: not something said


async def test_each_outcome_view_as_given_and_their_words_never_i_dont_know(
        chat: World) -> None:
    _, joined = await everything_offered(chat)
    assert "“I can ask for help in class” is getting better" in joined, joined
    assert f"“{HAND_UP}”" in joined
    assert "friend at lunch" not in joined  # "I don't know" is not a view


async def test_what_would_make_more_good_days_is_offered_never_the_card_more(
        chat: World) -> None:
    _, joined = await everything_offered(chat)
    assert "quiet place, when asked “What would make more good days?”" in joined, joined
    assert "more, when asked" not in joined.lower()


async def test_a_reason_names_the_part_of_the_day_it_was_given_for(chat: World) -> None:
    _, joined = await everything_offered(chat)
    assert "too loud makes getting to school hard" in joined, joined
    assert "too loud makes days hard" not in joined  # each was about a part of the day
    assert "worried makes days hard" in joined  # the check-in was about the whole day


async def test_a_long_list_is_paged_with_how_many_more_never_cut(chat: World) -> None:
    first, joined = await everything_offered(chat)
    assert len(first) <= 16 and any(b.startswith("➡️ More (") for b in first), first
    labels = joined.split("\n")
    assert len(labels) == len(set(labels)), labels  # nothing offered twice across pages
    assert len(labels) > 14 and "💬 “I like art best”" in labels


async def test_an_outcome_view_names_its_answer_and_is_left_out_once_private(
        chat: World) -> None:
    sam = await chat.therapist("Sam")
    jo = await chat.young_person(sam, "Jo")
    await how_am_i_getting_on(sam, jo)
    await sam.send("/yousaid")
    await sam.tap("Jo")
    await sam.tap("The meeting has happened")
    await sam.tap("“I can ask for help in class” is getting better")
    await sam.send("we will keep giving you time")
    (draft,) = await drafts(chat)
    (item,) = json.loads(draft.items)
    async with chat.bot.services.db.transaction() as session:
        answer = await session.get(Answer, item["answer_id"])
        assert answer is not None and answer.run_id == item["run_id"]
        assert answer.step_id.startswith("view_") and answer.choices == ["getting_better"]
        await session.execute(update(FlowRun).where(FlowRun.id == answer.run_id)
                              .values(shared=False))
    await sam.tap("Send it to Jo")
    assert "Nothing was sent" in sam.text(), sam.text()


async def test_no_or_a_stale_happened_button_keeps_the_draft_in_progress(chat: World) -> None:
    sam = await chat.therapist("Sam")
    jo = await chat.young_person(sam, "Jo")
    await check_in(jo, "Bad", "Too loud", "the hall is too noisy", share=True)
    async with chat.bot.services.db.transaction() as session:  # held yesterday; next in 3 weeks
        await session.execute(update(FlowRun).values(  # said before the meeting
            finished_at=utcnow() - timedelta(days=2), updated_at=utcnow() - timedelta(days=2)))
        young = await row_of(session, jo)
        assert young is not None
        today = utcnow().date()
        session.add_all([Meeting(young_person_id=young.id, held_on=today - timedelta(days=1)),
                         Meeting(young_person_id=young.id, held_on=today + timedelta(days=21))])
    await sam.send("/yousaid")
    await sam.tap("Jo")
    offers = sam.last().message_id
    await sam.tap(next(b for b in offered(sam) if "too loud" in b.lower()))
    await sam.send("ear defenders in the hall")
    assert len(json.loads((await drafts(chat))[0].items)) == 1
    await sam.tap("The meeting has happened", message_id=offers)  # the next one, by mistake
    asked = next(m for m in sam.messages() if m.message_id == offers)  # edited in place
    assert "as held today?" in (asked.display_text or "")
    await sam.tap("No", message_id=offers)
    (draft,) = await drafts(chat)
    assert [i["will"] for i in json.loads(draft.items)] == ["ear defenders in the hall"]
    await sam.send("/yousaid")  # picking Jo again loses nothing either
    await sam.tap("Jo")
    (draft,) = await drafts(chat)
    assert len(json.loads(draft.items)) == 1
