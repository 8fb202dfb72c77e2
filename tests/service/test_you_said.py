"""/yousaid: the therapist closes the loop, the young person answers "Did people listen?"."""

from __future__ import annotations

from sqlalchemy import select

from bot.store.models import Person as PersonRow
from bot.store.models import YouSaid
from tests.summary.test_summary_loop import check_in
from tests.support.driver import Person, World


async def setup(chat: World) -> tuple[Person, Person]:
    sam = await chat.therapist("Sam")
    jo = await chat.young_person(sam, "Jo")
    await check_in(jo, "Bad", "Too loud", "the hall is too noisy", share=True)
    await check_in(jo, "Good", "Friend", "words I keep", share=False)
    return sam, jo


async def after_the_meeting(sam: Person, name: str = "Jo") -> None:
    """/yousaid for `name`, saying the meeting has happened (no meeting date has passed)."""
    await sam.send("/yousaid")
    await sam.tap(name)
    assert "The meeting has happened" in " ".join(sam.buttons()), sam.text()
    await sam.tap("The meeting has happened")


async def rows(chat: World) -> list[YouSaid]:
    async with chat.bot.services.db.transaction() as session:
        return list((await session.scalars(select(YouSaid).order_by(YouSaid.id))).all())


async def test_typed_items_then_the_card_and_the_answer(chat: World) -> None:
    sam, jo = await setup(chat)
    await after_the_meeting(sam)
    offered = sam.buttons()
    assert any("too loud makes days hard" in b for b in offered)
    assert any("the hall is too noisy" in b for b in offered)
    assert not any("words I keep" in b or "Friend" in b for b in offered)  # private: never
    await sam.send("   ")
    assert "Please type it in words." in sam.text()
    await sam.send("x" * 201)
    assert "under 200 letters" in sam.text()
    await sam.send("you find break time hard")
    await sam.send(sticker=True)
    assert "Please type it in words." in sam.text()
    await sam.send("a quiet room at break")
    assert "This is the card Jo will get" in sam.text()
    async with chat.bot.services.db.transaction() as session:
        therapist = await session.scalar(select(PersonRow).where(
            PersonRow.telegram_user_id == sam.user_id))
        assert therapist is not None
        assert therapist.pending == {}  # the words live in the encrypted draft, not here
    await sam.tap("Add another")
    await sam.tap("Too loud")
    await sam.send("ear defenders in the hall")
    await sam.tap("Send it to Jo")
    assert "Sent to Jo" in sam.text()
    card, question = jo.messages()[-2:]
    assert card.photo and question.photo
    assert "You said: you find break time hard" in (card.display_text or "")
    assert "So we will: ear defenders in the hall" in (card.display_text or "")
    assert [b.split(" ", 1)[1] for b in jo.buttons()] == ["Yes", "A bit", "No"]
    await jo.tap("Yes")
    assert "glad you felt listened to" in jo.text()
    assert "Jo answered: did people listen? Yes" in sam.text()
    saved = await rows(chat)
    assert len(saved) == 1 and saved[0].listened == "yes" and saved[0].answered_at
    assert saved[0].sent_at is not None
    # Changing their mind is allowed.
    await jo.tap_data(jo.last().message_id, f"ys:l:{saved[0].id}:2")
    assert (await rows(chat))[0].listened == "no"
    assert "changed their answer" in sam.text()


async def test_cancel_leaves_nothing_sent(chat: World) -> None:
    sam, jo = await setup(chat)
    before = len(jo.messages())
    await after_the_meeting(sam)
    await sam.tap("Cancel")
    assert "Nothing was sent" in sam.text()
    assert await rows(chat) == [] and len(jo.messages()) == before
    await sam.send("/yousaid")
    await sam.tap("Jo")
    await sam.tap("the hall is too noisy")
    await sam.send("/caseload")  # a new command leaves the half-done card behind, unsent
    await sam.send("a quiet room")
    assert "This is the card" not in sam.text()
    assert [r.sent_at for r in await rows(chat)] == [None]


async def test_nobody_else_can_answer_or_send(chat: World) -> None:
    sam, jo = await setup(chat)
    ali = await chat.young_person(sam, "Ali")
    await after_the_meeting(sam)
    await sam.send("lunch is loud")
    await sam.send("a quiet room")
    await sam.tap("Send it to Jo")
    sent = (await rows(chat))[0]
    kim = await chat.therapist("Kim")
    for person, data in ((ali, f"ys:l:{sent.id}:0"), (kim, f"ys:g:{sent.id}"),
                         (kim, f"ys:l:{sent.id}:0"), (jo, f"ys:g:{sent.id}"),
                         (jo, f"ys:l:{sent.id}:7")):
        await person.tap_data(person.last().message_id, data)
    assert (await rows(chat))[0].listened is None
    seen = " ".join(m.display_text or "" for m in kim.messages() + ali.messages())
    assert "lunch is loud" not in seen
