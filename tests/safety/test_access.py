"""A therapist never sees another therapist's young people (issue 2, point 8)."""

from __future__ import annotations

from sqlalchemy import select

from bot.service import callbacks
from bot.store.models import AuditEntry, Person
from tests.support.driver import World


async def test_a_second_therapist_reaches_nothing(chat: World) -> None:
    first = await chat.therapist("Sam")
    jo = await chat.young_person(first, "Jo")
    await jo.tap("How was today")
    await jo.tap("Good")
    await jo.tap("Skip")
    await jo.send("words only my therapist may read")
    await jo.tap("Share")

    second = await chat.therapist("Kim")
    await second.send("/caseload")
    assert "No young people yet" in second.text()
    await second.send("/summary")
    assert "No young people yet" in second.text()

    async with chat.bot.services.db.transaction() as session:
        jo_id = await session.scalar(select(Person.id).where(Person.role == "young_person"))
    assert jo_id is not None
    for data in (callbacks.PickPerson("s", jo_id).pack(), f"s:{jo_id}", "s:0", "s:999999"):
        await second.tap_data(second.last().message_id, data)
    seen = " ".join(m.display_text or "" for m in second.messages())
    assert "words only my therapist may read" not in seen
    # No button names Jo (a random invitation code may contain the letters "Jo" by chance).
    labels = [b.get("text", "") for m in second.messages() for row in m.inline_keyboard
              for b in row]
    assert not any("Jo" in label for label in labels)
    await second.send(f"/summary {jo_id}")  # a typed id is not a way in either
    seen = " ".join(m.display_text or "" for m in second.messages())
    assert "words only my therapist may read" not in seen

    await first.send("/summary")
    await first.tap("Jo")
    assert "words only my therapist may read" in first.text()
    async with chat.bot.services.db.transaction() as session:
        actions = (await session.scalars(select(AuditEntry.action))).all()
    assert "refused_summary" in actions and "read_summary" in actions


async def test_a_young_person_cannot_tap_into_someone_elses_run(chat: World) -> None:
    therapist = await chat.therapist()
    jo = await chat.young_person(therapist, "Jo")
    ali = await chat.young_person(therapist, "Ali")
    await jo.tap("How was today")
    jo_button = chat.bot.api.button_data(jo.user_id, "Good")
    await ali.tap_data(ali.last().message_id, jo_button)
    assert "How was today?" in jo.text()  # Jo's run did not move
    async with chat.bot.services.db.transaction() as session:
        from bot.store.models import Answer
        assert (await session.scalars(select(Answer))).all() == []
