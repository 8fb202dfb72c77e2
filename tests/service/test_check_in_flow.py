"""The Good day / Bad day check-in, end to end, with every control (issue 2, points 5, 7, 8)."""

from __future__ import annotations

from sqlalchemy import select

from bot.store.models import Answer, FlowRun
from tests.conftest import World
from tests.support.harness import Person, RunningBot


async def start_check_in(world: World) -> tuple[Person, Person]:
    therapist = await world.therapist()
    jo = await world.young_person(therapist, "Jo")
    await jo.tap("How was today")
    return therapist, jo


async def answers(bot: RunningBot) -> dict[str, tuple[str, list[str], str | None]]:
    async with bot.services.db.transaction() as session:
        rows = (await session.scalars(select(Answer).order_by(Answer.id))).all()
        return {a.step_id: (a.kind, list(a.choices), a.own_words) for a in rows}


async def test_every_step_offers_back_skip_dont_know_and_stop(world: World) -> None:
    _, jo = await start_check_in(world)
    first = jo.buttons()
    assert {"⏭️ Skip", "❔ I don't know", "⏸️ Stop for now", "💭 Something else"} <= set(first)
    assert "⬅️ Back" not in first  # nothing to go back to yet
    await jo.tap("Bad")
    assert "What made it bad?" in jo.text()
    assert {"⬅️ Back", "⏭️ Skip", "⏸️ Stop for now", "🏁 Done"} <= set(jo.buttons())
    await jo.tap("Back")
    assert "How was today?" in jo.text()


async def test_multi_select_shows_ticks_and_needs_a_pick_or_skip(world: World) -> None:
    _, jo = await start_check_in(world)
    await jo.tap("Good")
    await jo.tap("Done")
    assert "Tap one or more pictures, or tap Skip" in jo.text()
    await jo.tap("Friend")
    await jo.tap("Games")
    assert jo.ticked() == ["Friend", "Games"]
    await jo.tap("Friend")  # untick
    assert jo.ticked() == ["Games"]
    await jo.tap("Done")
    assert (await answers(world.bot))["what_good"] == ("answered", ["games"], None)


async def test_skip_dont_know_and_own_words_are_kept_as_such(world: World) -> None:
    _, jo = await start_check_in(world)
    await jo.tap("I don't know")
    assert "What made it like that?" in jo.text()
    await jo.send("the bus was late")  # typing at a picture step = something else, own words
    assert "own words" in jo.text()
    await jo.tap("Skip")
    review = jo.text()
    assert "This is what you told me" in review
    assert "I don't know" in review and "the bus was late" in review and "(skipped)" in review
    assert await answers(world.bot) == {
        "how": ("dont_know", [], None),
        "what_made": ("answered", [], "the bus was late"),
        "own_words": ("skipped", [], None),
    }


async def test_stop_for_now_then_continue_at_the_same_step(world: World) -> None:
    _, jo = await start_check_in(world)
    await jo.tap("Good")
    await jo.tap("Friend")
    await jo.tap("Stop for now")
    assert "Stopped for now" in jo.text()
    await jo.send("/continue")
    assert "What made it good?" in jo.text()
    await jo.tap("Done")
    assert "own words" in jo.text()


async def test_keep_it_private_and_the_therapist_never_sees_it(world: World) -> None:
    therapist, jo = await start_check_in(world)
    await jo.tap("Bad")
    await jo.tap("Worried")
    await jo.tap("Done")
    await jo.send("a secret about my day")
    await jo.tap("Keep it just for me")
    assert "Kept just for you" in jo.text()
    await therapist.send("/summary")
    await therapist.tap("Jo")
    assert "has not shared anything yet" in therapist.text()
    everything = " ".join(m.display_text or "" for m in therapist.messages())
    assert "a secret about my day" not in everything


async def test_shared_answers_reach_the_therapist_newest_first(world: World) -> None:
    therapist, jo = await start_check_in(world)
    await jo.tap("Good")
    await jo.tap("Friend")
    await jo.tap("Done")
    await jo.send("first day words")
    await jo.tap("Share")
    await jo.tap("How was today")
    await jo.tap("OK")
    await jo.tap("Skip")
    await jo.send("second day words")
    await jo.tap("Share")
    await therapist.send("/summary")
    await therapist.tap("Jo")
    summary = therapist.text()
    assert summary.index("second day words") < summary.index("first day words")
    assert "Friend" in summary
    caseload = (await therapist.send("/caseload")).display_text or ""
    assert "Jo" in caseload and "2 shared" in caseload


async def test_change_an_answer_from_the_review(world: World) -> None:
    _, jo = await start_check_in(world)
    await jo.tap("Good")
    await jo.tap("Friend")
    await jo.tap("Done")
    await jo.send("nice day")
    await jo.tap("Change something")
    assert "Which one do you want to change?" in jo.text()
    await jo.tap("How today was")  # the answer's topic, as in the review
    await jo.tap("Bad")  # a different route: asks what made it bad
    assert "What made it bad?" in jo.text()
    await jo.tap("Tired")
    await jo.tap("Done")  # rejoins the old route: straight back to the review
    review = jo.text()
    assert "This is what you told me" in review and "Tired" in review and "nice day" in review
    await jo.tap("Share")
    kept = await answers(world.bot)
    assert set(kept) == {"how", "what_bad", "own_words"}  # the abandoned branch is gone
    assert kept["how"] == ("answered", ["bad"], None)


async def test_restart_mid_flow_continues_from_the_same_step(world: World) -> None:
    _, jo = await start_check_in(world)
    await jo.tap("Bad")
    await jo.tap("Too loud")
    await jo.tap("Done")
    await world.bot.restart()  # a new Application, same database file, nothing in memory
    await jo.send("it was noisy")
    assert "This is what you told me" in jo.text()
    assert "Too loud" in jo.text() and "it was noisy" in jo.text()
    async with world.bot.services.db.transaction() as session:
        run = await session.scalar(select(FlowRun))
    assert run is not None and run.step_id == "_review"


async def test_restart_keeps_a_pending_multi_select(world: World) -> None:
    _, jo = await start_check_in(world)
    await jo.tap("Good")
    await jo.tap("Friend")
    await world.bot.restart()
    await jo.tap("Games")
    await jo.tap("Done")
    assert (await answers(world.bot))["what_good"] == ("answered", ["friend", "games"], None)
