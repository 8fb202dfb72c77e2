"""Going back or changing keeps what was said, and the review says what each answer is about
(issue 12, points 2 and 3), through the real bot and the fake Bot API."""

from __future__ import annotations

import io
from typing import Any

from pypdf import PdfReader
from sqlalchemy import select

from bot.store.models import Answer, FlowRun
from tests.support.driver import Driver, Person, World


async def young(chat: World) -> tuple[Person, Person]:
    therapist = await chat.therapist()
    return therapist, await chat.young_person(therapist, "Jo")


async def kept(bot: Driver, flow_id: str) -> dict[str, Any]:
    async with bot.services.db.transaction() as session:
        run = await session.scalar(select(FlowRun).where(FlowRun.flow_id == flow_id)
                                   .order_by(FlowRun.id.desc()))
        assert run is not None
        rows = (await session.scalars(select(Answer).where(Answer.run_id == run.id))).all()
        return {a.step_id: (a.kind, list(a.choices or ()), a.own_words, list(a.media or ()))
                for a in rows}


def ticked(jo: Person) -> list[str]:
    return jo.ticked()


async def test_change_something_shows_the_ticks_and_done_keeps_them(chat: World) -> None:
    _, jo = await young(chat)
    await jo.tap("How was today")
    await jo.tap("Good")
    await jo.tap("Friend")
    await jo.tap("Games")
    await jo.tap("Done")
    await jo.send("nice day")
    before = await kept(chat.bot, "check_in")
    await jo.tap("Change something")
    assert "What made it good" in jo.buttons()[1]  # topics, not whole prompts
    await jo.tap("What made it good")
    assert "What made it good?" in jo.text()
    assert ticked(jo) == ["Friend", "Games"]
    await jo.tap("Done")  # nothing changed: straight back to the review
    assert "This is what you told me" in jo.text()
    assert await kept(chat.bot, "check_in") == before


async def test_own_words_are_kept_with_one_tap(chat: World) -> None:
    _, jo = await young(chat)
    await jo.tap("How was today")
    await jo.tap("Bad")
    await jo.tap("Tired")
    await jo.tap("Done")
    await jo.send("the bus was late again")
    before = await kept(chat.bot, "check_in")
    await jo.tap("Back")  # from the review, back to the own-words step
    assert "You wrote: “the bus was late again”" in jo.text()
    keep = next(b for b in jo.buttons() if b.startswith("📌 Keep what I wrote"))
    assert "the bus" in keep
    await jo.tap("Keep what I wrote")
    assert "This is what you told me" in jo.text() and "the bus was late again" in jo.text()
    assert await kept(chat.bot, "check_in") == before


async def test_a_reopened_mat_has_its_cards_where_they_were(chat: World) -> None:
    _, jo = await young(chat)
    await jo.tap("Talking Mat")
    for column in ("Like", "Don't like", "Not sure", "Like", "Don't like", "Like", "Like"):
        await jo.tap(column)
    await jo.tap("Skip")  # homework: left off
    where = jo.text()
    await jo.tap("This is right")
    await jo.send("I like art best")
    await jo.tap("On my own")
    await jo.tap("Done")
    before = await kept(chat.bot, "talking_mat")
    await jo.tap("Change something")
    await jo.tap("My Talking Mat")
    assert "Is it right?" in jo.text()
    assert jo.text().split("\n\n", 1)[1] == where.split("\n\n", 1)[1]  # every card in place
    await chat.bot.restart()  # nothing in memory: the cards come back from the store
    await jo.send("/continue")
    assert "Left off the mat: Homework" in jo.text()
    await jo.tap("This is right")
    assert "This is what you told me" in jo.text()
    assert await kept(chat.bot, "talking_mat") == before  # the same mat and picture


async def test_good_day_bad_day_review_names_each_part_of_the_day(chat: World) -> None:
    _, jo = await young(chat)
    await jo.tap("Good day")
    for part in range(7):
        if part % 2 == 0:
            await jo.tap("Good")
            await jo.tap("Friend")
            await jo.tap("Calm")
        else:
            await jo.tap("Bad")
            await jo.tap("Too loud")
            await jo.tap("Tired")
        await jo.tap("Done")
    await jo.tap("Quiet place")
    await jo.tap("Done")
    await jo.send("More breaks please")
    await jo.tap("On my own")
    first = len(jo.messages())
    await jo.tap("Done")
    pages = [m for m in jo.messages()[first - 1:]
             if "This is what you told me" in (m.display_text or "")]
    review = "\n".join(m.display_text or "" for m in pages)
    for part in ("Morning", "Getting to school", "Lessons", "Break and lunch",
                 "After school", "Evening", "Bedtime"):
        assert f"{part}: " in review, part
    assert "Morning: Good 😀 · because: Friend 🧑‍🤝‍🧑, Calm 😌" in review
    assert review.count("because: Too loud 🙉, Tired 🥱") == 3
    assert "More good days: Quiet place" in review and "More breaks please" in review
    assert "more" not in review.replace("More", "").replace("more good", "")  # no "…and N more"
    assert "What makes morning good?" not in review
    assert len(pages) >= 2 and all(m.photo for m in pages)  # pages, each with its picture
    assert "Page 1 of" in (pages[0].display_text or "")
    assert "Share with my therapist" in " ".join(jo.buttons())


async def test_two_helpers_are_in_the_review_and_the_summary(chat: World) -> None:
    therapist, jo = await young(chat)
    await jo.tap("My meeting")
    while "Who helped you answer?" not in jo.text():
        await jo.tap("Skip")
    await jo.tap("My family")
    await jo.tap("School staff")
    assert ticked(jo) == ["My family", "School staff"]
    await jo.tap("Done")
    review = jo.text()
    # "My family" is an OpenMoji extra: in a message its words stand alone (no empty box).
    assert "\nWho helped: My family, School staff 🎓" in review
    await jo.tap("Share")
    async with chat.bot.services.db.transaction() as session:
        run = await session.scalar(select(FlowRun).order_by(FlowRun.id.desc()))
        assert run is not None and run.helped_by == "helped_family,helped_school"
    await therapist.send("/summary")
    await therapist.tap("Jo")
    pdf = next(m for m in reversed(therapist.messages()) if m.document)
    assert pdf.document is not None
    reader = PdfReader(io.BytesIO(chat.bot.api.file_bytes(pdf.document)))
    summary = " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
    at = summary.index("Who helped me answer")  # the heading, then each helper and a count
    assert "My family" in summary[at:at + 200] and "School staff" in summary[at:at + 200]
