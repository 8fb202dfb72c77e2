"""/yousaid keeps fidelity after the draft (issue 14, point 7; review of points 7-8): an answer
the young person makes private (/mine) after the therapist drafted from it is left out when the
card is sent, and out of every later summary (text and PDF); what the therapist typed as "you
said" is shown in the summary as the therapist's words, not as the young person's quoted ones.
Driven through the conversation on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
from typing import Any

from pypdf import PdfReader
from sqlalchemy import select

from bot.store.models import FlowRun, YouSaid
from bot.summary import export, load
from bot.summary.pdf import render_pdf
from bot.summary.text import full_text
from bot.timeutil import utcnow
from tests.summary.test_summary_loop import check_in
from tests.support.driver import Person, World, row_of

HALL = "the hall is too noisy"
BUS = "the bus is too crowded"


async def two_check_ins(chat: World) -> tuple[Person, Person]:
    """Jo shares two check-ins, the bus one newest (first in /mine)."""
    sam = await chat.therapist("Sam")
    jo = await chat.young_person(sam, "Jo")
    await check_in(jo, "Bad", "Too loud", HALL, share=True)
    await check_in(jo, "Bad", "Tired", BUS, share=True)
    return sam, jo


async def draft(sam: Person, items: list[tuple[str, str]]) -> None:
    """Sam drafts a card after the meeting: each (button to tap, what will happen)."""
    await sam.send("/yousaid")
    await sam.tap("Jo")
    await sam.tap("The meeting has happened")
    for n, (said, will) in enumerate(items):
        if n:
            await sam.tap("Add another")
        await sam.tap(said)
        await sam.send(will)
    assert "This is the card Jo will get" in sam.text()


async def make_newest_private(jo: Person) -> None:
    """Jo, with /mine, keeps their newest shared activity just for them."""
    await jo.send("/mine")
    await jo.tap("🌟")
    assert "is just for you" in jo.text()


async def summary_words(chat: World, sam: Person, jo: Person) -> tuple[str, str]:
    """Sam's summary of Jo now, as the text summary and the PDF's text."""
    services = chat.bot.services
    locale = services.content.locale
    async with services.db.transaction() as session:
        viewer = await row_of(session, sam)
        young = await row_of(session, jo)
        assert viewer is not None and young is not None
        built = await load.summary_for(session, services.content.engine, locale, viewer,
                                       young.id, utcnow())
    pdf = "\n".join(page.extract_text() for page in PdfReader(
        io.BytesIO(render_pdf(built, locale))).pages)
    return full_text(built, locale), " ".join(pdf.split())


async def cards(chat: World) -> list[YouSaid]:
    async with chat.bot.services.db.transaction() as session:
        return list((await session.scalars(select(YouSaid).order_by(YouSaid.id))).all())


async def test_an_answer_made_private_after_drafting_is_left_out_when_sent(
        chat: World) -> None:
    sam, jo = await two_check_ins(chat)
    await draft(sam, [(HALL, "a quiet room at lunch"), (BUS, "an earlier bus")])
    await make_newest_private(jo)
    async with chat.bot.services.db.transaction() as session:
        assert list(await session.scalars(select(FlowRun.shared).order_by(FlowRun.id))) \
            == [True, False]
    await sam.tap("Send it to Jo")
    told = sam.text()
    assert "Sent to Jo" in told
    assert "Left out" in told and "So we will: an earlier bus" in told and "private" in told
    assert BUS not in told  # the private words are not shown, even to say they went
    card = jo.messages()[-2].display_text or ""  # the card, then "Did people listen?"
    assert HALL in card and "a quiet room at lunch" in card
    assert BUS not in card and "an earlier bus" not in card
    (sent,) = await cards(chat)
    assert [i["will"] for i in json.loads(sent.items)] == ["a quiet room at lunch"]
    text, pdf = await summary_words(chat, sam, jo)
    assert HALL in text and BUS not in text
    assert "a quiet room at lunch" in pdf and BUS not in pdf


async def test_a_draft_left_with_nothing_shared_is_not_sent(chat: World) -> None:
    sam, jo = await two_check_ins(chat)
    await draft(sam, [(BUS, "an earlier bus")])
    await make_newest_private(jo)
    before = len(jo.messages())
    await sam.tap("Send it to Jo")
    assert "Nothing was sent" in sam.text() and BUS not in sam.text()
    assert [b.split(" ", 1)[1] for b in sam.buttons()] == ["Add another", "Cancel"]
    assert len(jo.messages()) == before
    (kept,) = await cards(chat)
    assert kept.sent_at is None and BUS not in (kept.items or "")


async def test_a_card_sent_then_made_private_leaves_every_later_summary(chat: World) -> None:
    sam, jo = await two_check_ins(chat)
    await draft(sam, [(HALL, "a quiet room at lunch"), (BUS, "an earlier bus")])
    await sam.tap("Send it to Jo")
    text, _ = await summary_words(chat, sam, jo)
    assert f"You said: “{BUS}”" in text  # shared when sent: in the summary
    await make_newest_private(jo)
    text, pdf = await summary_words(chat, sam, jo)
    you_said = text[text.index("You said, we did"):]
    assert f"You said: “{HALL}”" in you_said and "So we will: a quiet room at lunch" in you_said
    assert BUS not in text and "an earlier bus" not in you_said
    assert BUS not in pdf and "an earlier bus" not in pdf and "a quiet room at lunch" in pdf
    exported = json.dumps(await desk_export(chat, sam, jo), ensure_ascii=False)  # at a desk
    assert HALL in exported and BUS not in exported and "an earlier bus" not in exported


async def desk_export(chat: World, sam: Person, jo: Person) -> dict[str, Any]:
    """Sam's desk export of Jo (python -m bot export), as its JSON data."""
    services = chat.bot.services
    async with services.db.transaction() as session:
        viewer = await row_of(session, sam)
        young = await row_of(session, jo)
        assert viewer is not None and young is not None
        done = await export.export_for(session, services.content.engine, viewer,
                                       young.id, utcnow())
    return done.data


async def test_typed_you_said_is_the_therapists_words_in_the_summary(chat: World) -> None:
    sam, jo = await two_check_ins(chat)
    await sam.send("/yousaid")
    await sam.tap("Jo")
    await sam.tap("The meeting has happened")
    await sam.send("“you find the bus too busy”")
    await sam.send("an earlier bus")
    await sam.tap("Send it to Jo")
    card = jo.messages()[-2].display_text or ""
    assert "You said: “you find the bus too busy”" in card  # to Jo, as before
    (sent,) = await cards(chat)
    assert json.loads(sent.items)[0]["typed_by"] == "therapist"
    text, pdf = await summary_words(chat, sam, jo)
    assert "You said (in the therapist's words): you find the bus too busy" in text
    assert "“you find the bus too busy”" not in text
    assert "You said (in the therapist's words): you find the bus too busy" in pdf


async def test_a_card_kept_before_items_named_their_answer_is_the_therapists_words(
        chat: World) -> None:
    sam, jo = await two_check_ins(chat)
    async with chat.bot.services.db.transaction() as session:  # as cards were stored before
        young = await row_of(session, jo)
        assert young is not None
        session.add(YouSaid(young_person_id=young.id, sent_at=utcnow(), items=json.dumps(
            [{"said": "you find the bus too busy", "will": "an earlier bus"}])))
    text, pdf = await summary_words(chat, sam, jo)
    assert "You said (in the therapist's words): you find the bus too busy" in text
    assert "“you find the bus too busy”" not in text and "“you find the bus too busy”" not in pdf
