"""/outcomes and "How am I getting on?" (issue 14, point 3), through the chat driver: a
therapist adds, changes and removes a young person's outcomes (audited; another therapist is
refused), and the young person is asked about each outcome, one at a time."""

from __future__ import annotations

from sqlalchemy import select

from bot.store.models import Answer, AuditEntry, FlowRun, Outcome
from bot.store.models import Person as PersonRow
from tests.service.test_privacy import jpeg
from tests.support.driver import Person
from tests.support.driver import World as ChatWorld

REFUSAL = "Sorry, you can't do that."
TITLE = "How am I getting on?"


async def outcomes(chat: ChatWorld) -> list[Outcome]:
    async with chat.bot.services.db.transaction() as session:
        return list((await session.scalars(select(Outcome).order_by(Outcome.id))).all())


async def audit_actions(chat: ChatWorld) -> list[str]:
    async with chat.bot.services.db.transaction() as session:
        return [a.action for a in (await session.scalars(
            select(AuditEntry).order_by(AuditEntry.id))).all()]


async def add_outcome(sam: Person, name: str, words: str, symbol: str | None = None) -> None:
    """/outcomes, pick `name`, Add, type `words`, then a symbol (by its button words) or none."""
    await sam.send("/outcomes")
    await sam.tap(name)
    await sam.tap("Add an outcome")
    await sam.send(words)
    await sam.tap(symbol or "No picture")


async def test_add_change_and_remove_outcomes_each_audited(chat: ChatWorld) -> None:
    sam = await chat.therapist("Sam")
    await chat.young_person(sam, "Jo")
    await sam.send("/outcomes")
    await sam.tap("Jo")
    assert "None yet" in sam.text()
    await sam.tap("Add an outcome")
    await sam.send("I can ask for help in class")
    assert "choose a symbol" in sam.text()
    await sam.tap("Help")
    assert "1. 🛟 I can ask for help in class" in sam.text()
    await add_outcome(sam, "Jo", "I can make a friend at lunch")
    assert "2. 🎯 I can make a friend at lunch" in sam.text()
    rows = await outcomes(chat)
    assert [(o.words, o.symbol_id, o.ended_at) for o in rows] == [
        ("I can ask for help in class", "help", None),
        ("I can make a friend at lunch", None, None)]

    await sam.tap("2. I can make a friend at lunch")
    await sam.tap("Change the words")
    await sam.send("I can play with a friend at lunch")
    assert "2. 🎯 I can play with a friend at lunch" in sam.text()

    await sam.tap("1. I can ask for help")
    await sam.tap("Remove")
    assert "Remove “I can ask for help in class”?" in sam.text()
    await sam.tap("No, keep it")
    assert "1. 🛟 I can ask for help in class" in sam.text()
    await sam.tap("1. I can ask for help")
    await sam.tap("Remove")
    await sam.tap("Yes, remove it")
    assert "Removed “I can ask for help in class”" in sam.text()
    assert "1. 🎯 I can play with a friend at lunch" in sam.text()
    rows = await outcomes(chat)
    # Removed is kept (ended), with its words, for the views already given about it.
    assert rows[0].words == "I can ask for help in class" and rows[0].ended_at is not None
    assert rows[1].words == "I can play with a friend at lunch" and rows[1].ended_at is None
    assert [a for a in await audit_actions(chat) if a.startswith("outcome_")] == [
        "outcome_added", "outcome_changed", "outcome_added", "outcome_changed",
        "outcome_removed"]


async def test_another_therapist_is_refused_audited_and_nothing_changes(
        chat: ChatWorld) -> None:
    sam = await chat.therapist("Sam")
    jo = await chat.young_person(sam, "Jo")
    await add_outcome(sam, "Jo", "I can ask for help")
    outcome_id = (await outcomes(chat))[0].id
    async with chat.bot.services.db.transaction() as session:
        jo_id = (await session.scalar(select(PersonRow.id).where(
            PersonRow.telegram_user_id == jo.user_id)))
    kim = await chat.therapist("Kim")
    message = (await kim.send("/outcomes")).message_id
    for data in (f"oc:p:{jo_id}", f"oc:a:{jo_id}", f"oc:r:{jo_id}:{outcome_id}",
                 f"oc:y:{jo_id}:{outcome_id}", f"oc:s:{jo_id}:{outcome_id}:talking"):
        await kim.tap_data(message, data)
        assert REFUSAL in kim.text(), data
    rows = await outcomes(chat)
    assert [(o.words, o.symbol_id, o.ended_at) for o in rows] == [
        ("I can ask for help", None, None)]
    assert (await audit_actions(chat)).count("refused_outcomes") == 5


async def test_no_outcomes_no_activity_in_the_menu(chat: ChatWorld) -> None:
    sam = await chat.therapist("Sam")
    jo = await chat.young_person(sam, "Jo")
    await jo.send("/menu")
    assert not any(TITLE in b for b in jo.buttons())
    await add_outcome(sam, "Jo", "I can ask for help")
    await jo.send("/menu")
    assert any(TITLE in b for b in jo.buttons())


async def test_each_outcome_one_at_a_time_skip_one_review_shows_both(chat: ChatWorld) -> None:
    sam = await chat.therapist("Sam")
    jo = await chat.young_person(sam, "Jo")
    await add_outcome(sam, "Jo", "I can ask for help in class", "Help")
    await add_outcome(sam, "Jo", "I can make a friend at lunch")
    await jo.send("/menu")
    await jo.tap(TITLE)
    assert "I can ask for help in class" in jo.text()
    assert "Part 1 of 4" in jo.text()
    buttons = jo.buttons()
    # A three-point scale, never yes / no; and the usual ways out.
    assert {"🌱 Getting better", "〰️ About the same", "😓 Finding it hard"} <= set(buttons)
    assert {"⏭️ Skip", "❔ I don't know", "⏸️ Stop for now"} <= set(buttons)
    assert not any(b.endswith(("Yes", "No")) for b in buttons)
    await jo.tap("Getting better")
    assert "What helps you with this?" in jo.text()
    await jo.tap("Give me time")
    await jo.tap("Done")
    await jo.send("I put my hand up now")
    assert "I can make a friend at lunch" in jo.text() and "Part 2 of 4" in jo.text()
    await jo.tap("Back")  # back to the first outcome's own words
    assert "own words" in jo.text()
    await jo.send("I put my hand up now")
    await jo.tap("Skip")  # the second outcome, skipped all the way
    await jo.tap("Skip")
    await jo.tap("Skip")
    await jo.tap("Skip")  # anything else
    await jo.tap("On my own")
    await jo.tap("Done")
    review = jo.text()
    assert "I can ask for help in class" in review and "Getting better" in review
    assert "“I put my hand up now”" in review and "Give me time" in review
    assert "I can make a friend at lunch" in review and "(skipped)" in review
    async with chat.bot.services.db.transaction() as session:
        run = await session.scalar(select(FlowRun).where(
            FlowRun.flow_id == "how_am_i_getting_on"))
        assert run is not None
        given = run.options["outcomes"]
        kept = {a.step_id: (a.kind, list(a.choices or ()), a.own_words)
                for a in (await session.scalars(select(Answer).where(
                    Answer.run_id == run.id))).all()}
    rows = await outcomes(chat)
    # The run names each outcome by id, with its words as they were when asked.
    assert given == {
        "outcome_1": {"id": rows[0].id, "words": "I can ask for help in class",
                      "symbol": "help", "media": None},
        "outcome_2": {"id": rows[1].id, "words": "I can make a friend at lunch",
                      "symbol": None, "media": None}}
    assert kept["view_outcome_1"] == ("answered", ["getting_better"], None)
    assert kept["helps_outcome_1"] == ("answered", ["give_me_time"], None)
    assert kept["words_outcome_1"] == ("answered", [], "I put my hand up now")
    assert kept["view_outcome_2"][0] == "skipped"
    assert "view_outcome_3" not in kept


async def test_an_outcome_with_a_picture_sent_and_a_wrong_reply_asked_again(
        chat: ChatWorld) -> None:
    sam = await chat.therapist("Sam")
    await chat.young_person(sam, "Jo")
    await sam.send("/outcomes")
    await sam.tap("Jo")
    await sam.tap("Add an outcome")
    await sam.send("I can catch the bus on my own")
    await sam.tap("Send a picture")
    assert "Send the picture for “I can catch the bus on my own”" in sam.text()
    await sam.send("a bus stop")  # words, not a photo: asked again, nothing lost
    assert "Please send a photo" in sam.text()
    await sam.send(photo=jpeg((40, 120, 200)))
    (kept,) = await outcomes(chat)
    assert kept.words == "I can catch the bus on my own" and kept.media_id is not None
    assert "I can catch the bus on my own" in sam.text()
