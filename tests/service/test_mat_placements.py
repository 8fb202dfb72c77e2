"""A Talking Mat keeps where each card went, everywhere it is shown or exported (MySay issue 12,
point 1): the review before sharing (the mat picture, its words in the caption), /mine,
/mydata's PDF and data file, the therapist's summary (text and PDF), the export command, and
the "you said" offers. Driven through the fake Bot API; PDFs are read back with pypdf."""

from __future__ import annotations

import io
import json
import re
import unicodedata
import zipfile
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from bot.engine.core import LEFT_OFF, AnswerKind, AnswerRecord, FlowEngine
from bot.render.cards import CardStyle
from bot.render.mat import render_mat
from bot.store.models import Person as PersonRow
from bot.summary import export
from bot.timeutil import utcnow
from tests.conftest import World
from tests.support.harness import Person, RunningBot

# The talking_mat flow's cards, in the order they are given, and where Jo puts each one.
PLACED = [("Lessons", "Like"), ("Maths", "Don't like"), ("Reading", "Not sure"),
          ("Art", "Like"), ("PE", "Skip"), ("Break time", "Like"), ("Lunch", "Not sure"),
          ("Homework", "Don't like")]
MAT_WORDS = ("Like: Lessons, Art, Break time · Not sure: Reading, Lunch · "
             "Don't like: Maths, Homework · Left off: PE")
PER_POINT = {"Like": "Lessons, Art, Break time", "Not sure": "Reading, Lunch",
             "Don't like": "Maths, Homework", "Left off": "PE"}


def plain(text: str) -> str:
    """The words without symbols: the review puts each card's emoji beside its words."""
    kept = "".join(c for c in text if unicodedata.category(c) not in ("So", "Sk", "Mn", "Cf"))
    return re.sub(r" +([,\n])", r"\1", re.sub(r"  +", " ", kept))


IN_ORDER = [("lessons", "like"), ("maths", "dont_like"), ("reading", "not_sure"),
            ("art", "like"), ("pe", "left_off"), ("break", "like"), ("lunch", "not_sure"),
            ("homework", "dont_like")]


def flat(text: str) -> str:
    return " ".join(text.split())


async def do_the_mat(jo: Person, more: str = "I like art best") -> None:
    await jo.tap("Talking Mat")
    for _card, column in PLACED:
        await jo.tap(column)
    await jo.tap("This is right")
    await jo.send(more)
    await jo.tap("On my own")
    await jo.tap("Done")  # more than one can help: tick, then Done


def the_mat(engine: FlowEngine) -> bytes:
    """The finished mat as the review draws it (default look, no photos)."""
    placements = tuple((card, LEFT_OFF if column == "left_off" else
                        ["like", "not_sure", "dont_like"].index(column))
                       for card, column in IN_ORDER)
    view = engine.mat_view_of("talking_mat",
                              AnswerRecord("mat", AnswerKind.ANSWERED, placements=placements))
    assert view is not None
    return render_mat(view, CardStyle(), {}, view.topic.words)


async def jo_id(bot: RunningBot, jo: Person) -> int:
    async with bot.services.db.transaction() as session:
        found = await session.scalar(select(PersonRow.id).where(
            PersonRow.telegram_user_id == jo.user_id))
        assert found is not None
        return found


def files_of(person: Person, api: Any) -> dict[str, bytes]:
    return {api.files[m.document].file_name: api.files[m.document].data
            for m in person.messages() if m.document}


def pdf_text(data: bytes) -> str:
    return flat(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages))


async def test_the_review_is_the_mat_picture_with_each_card_under_its_scale_point(
        world: World) -> None:
    sam = await world.therapist()
    jo = await world.young_person(sam, "Jo")
    await do_the_mat(jo)
    review = jo.last()
    words = review.display_text or ""
    assert "This is what you told me" in words
    assert f"My Talking Mat: {MAT_WORDS}" in plain(words)
    assert "Talking Mat: Lessons" not in plain(words)  # not a flat list that reads as all liked
    assert review.photo, "the review is one message: the mat picture with the words"
    shown = Image.open(io.BytesIO(world.bot.api.file_bytes(review.photo)))
    drawn = Image.open(io.BytesIO(the_mat(world.bot.services.content.engine)))
    assert shown.size == drawn.size and shown.convert("RGB").tobytes() == \
        drawn.convert("RGB").tobytes()
    assert any(b.startswith("🌟") or "Share" in b for b in jo.buttons())


async def test_a_review_too_long_for_a_caption_sends_the_mat_then_the_review(
        world: World) -> None:
    sam = await world.therapist()
    jo = await world.young_person(sam, "Jo")
    long_words = "I like art best because " + "we paint and draw " * 60
    await do_the_mat(jo, long_words.strip())
    told = [m for m in jo.messages() if "This is what you told me" in (m.display_text or "")]
    picture = jo.messages()[jo.messages().index(told[0]) - 1]
    assert picture.photo and "Homework" in (picture.display_text or "")
    caption = picture.display_text or ""
    assert "Like: Lessons, Art, Break time" in caption and "Left off the mat: PE" in caption
    review = "\n".join(plain(m.display_text or "") for m in told)
    assert MAT_WORDS in review and long_words.strip()[:200] in review
    await jo.tap("Share with my therapist")
    assert "Talking Mat" in jo.text() or jo.last().inline_keyboard


async def test_mine_mydata_summary_and_export_keep_where_each_card_went(
        world: World) -> None:
    bot = world.bot
    sam = await world.therapist()
    jo = await world.young_person(sam, "Jo")
    await do_the_mat(jo)
    await jo.tap("Share with my therapist")

    await jo.send("/mine")
    assert MAT_WORDS in plain(jo.text())

    await jo.send("/mydata")
    files = files_of(jo, bot.api)
    archive = zipfile.ZipFile(io.BytesIO(files["my-mysay-data.zip"]))
    data = json.loads(archive.read("my-mysay-data.json"))
    answer = next(a for f in data["flows"] for a in f["answers"] if a["step"] == "mat")
    mat = answer["mat"]
    assert answer["step_type"] == "mat"
    assert mat["topic"] == {"id": "school", "words": "School"}
    assert [p["id"] for p in mat["scale"]] == ["like", "not_sure", "dont_like"]
    assert [(c["id"], c["placed"]) for c in mat["cards"]] == IN_ORDER
    assert mat["cards"][4]["placed_words"] == "Left off"
    text = pdf_text(files["my-mysay.pdf"])
    for point, cards in PER_POINT.items():
        assert f"{point}: {cards}" in text, point

    await sam.send("/summary")
    await sam.tap("Jo")
    short = sam.text()
    assert MAT_WORDS.replace(" · ", "; ") in short  # every column named, in context
    summary_pdf = next(m for m in reversed(sam.messages()) if m.document)
    text = pdf_text(bot.api.file_bytes(summary_pdf.document))
    for point, cards in PER_POINT.items():
        assert f"{point} {cards}" in text or f"{point}: {cards}" in text, point

    young_id = await jo_id(bot, jo)
    async with bot.services.db.transaction() as session:
        viewer = await session.scalar(select(PersonRow).where(PersonRow.role == "therapist"))
        assert viewer is not None
        made = await export.export_for(session, bot.services.content.engine, viewer,
                                       young_id, utcnow())
    exported = next(a for r in made.data["runs"] for a in r["answers"] if a["step_id"] == "mat")
    assert [(c["id"], c["placed"]) for c in exported["mat"]["cards"]] == IN_ORDER
    assert exported["mat"]["scale"][2] == {"id": "dont_like", "words": "Don't like"}


async def test_the_summary_text_lists_each_scale_point_and_the_cards_left_off(
        world: World) -> None:
    from bot.summary import load
    from bot.summary.text import full_text

    bot = world.bot
    sam = await world.therapist()
    jo = await world.young_person(sam, "Jo")
    await do_the_mat(jo)
    await jo.tap("Share with my therapist")
    content = bot.services.content
    young_id = await jo_id(bot, jo)
    async with bot.services.db.transaction() as session:
        viewer = await session.scalar(select(PersonRow).where(PersonRow.role == "therapist"))
        assert viewer is not None
        built = await load.summary_for(session, content.engine, content.locale, viewer,
                                       young_id, utcnow(), purpose="test")
    text = full_text(built, content.locale)
    for point, cards in PER_POINT.items():
        assert f"  {point}: {cards}" in text, point
    assert built.mats[0].words == MAT_WORDS


async def test_you_said_offers_a_mat_card_with_where_it_went(world: World) -> None:
    sam = await world.therapist()
    jo = await world.young_person(sam, "Jo")
    await do_the_mat(jo)
    await jo.tap("Share with my therapist")
    await sam.send("/yousaid")
    await sam.tap("Jo")
    await sam.tap("The meeting has happened")  # "you said, we did" is for after it
    offered = sam.buttons()
    assert any("you put maths under “Don't like”" in b for b in offered), offered
    assert any("you put lessons under “Like”" in b for b in offered), offered
    assert not any(b.endswith(" Maths") or b.endswith(" PE") for b in offered), offered
    await sam.tap("you put maths under")
    assert "What will happen now?" in sam.text()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([0, 1, 2, LEFT_OFF]), min_size=1, max_size=8),
       st.randoms(use_true_random=False))
def test_every_card_is_named_once_under_where_it_went(columns: list[int], rnd: Any) -> None:
    """For any mat: mat_words and mat_record name every card once, under its own point."""
    engine = _engine()
    cards = ["lessons", "maths", "reading", "art", "pe", "break", "lunch", "homework"]
    rnd.shuffle(cards)
    placements = tuple(zip(cards, columns, strict=False))
    answer = AnswerRecord("mat", AnswerKind.ANSWERED, placements=placements)
    record = engine.mat_record("talking_mat", answer)
    assert record is not None
    scale = [p["id"] for p in record["scale"]]
    assert [(c["id"], c["placed"]) for c in record["cards"]] == [
        (card, "left_off" if column == LEFT_OFF else scale[column])
        for card, column in placements]
    view = engine.mat_view_of("talking_mat", answer)
    assert view is not None
    words = engine.mat_words(view)
    for part in words.split(" · "):
        point, named = part.split(": ")
        expected = [engine.vocabulary[c].words for c, column in placements
                    if (column == LEFT_OFF and point == "Left off")
                    or (column != LEFT_OFF and engine.vocabulary[scale[column]].words == point)]
        assert named.split(", ") == expected


def test_a_mat_with_no_card_put_down_has_no_mat_record() -> None:
    engine = _engine()
    assert engine.mat_record("talking_mat", AnswerRecord("mat", AnswerKind.ANSWERED)) is None


_ENGINE: list[FlowEngine] = []


def _engine() -> FlowEngine:
    if not _ENGINE:
        from bot.services import load_content
        _ENGINE.append(load_content().engine)
    return _ENGINE[0]
