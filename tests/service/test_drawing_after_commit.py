"""The finished Talking Mat and the one-page profile are drawn after the update's transaction
commits, not while it holds the young person's row lock (on SQLite, the write lock): issue 13,
point 5. The picture sent is the one kept, byte for byte, and the one render_mat and
render_profile draw from the same data."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.screen import MatCard, MatView
from bot.render.cards import CardStyle
from bot.render.mat import render_mat
from bot.render.profile import render_profile
from bot.service import drawing
from bot.service.drawing import Drawing, MatPicture, ProfilePicture
from bot.service.types import Reply
from bot.store import repo
from bot.store.models import Answer, FlowRun, MediaFile
from tests.conftest import World
from tests.support.harness import Person, RunningBot


class Transactions:
    """Counts the transactions open on the bot's database, and what happened in which order."""

    def __init__(self, bot: RunningBot, monkeypatch: pytest.MonkeyPatch) -> None:
        self.open = 0
        self.events: list[str] = []
        db = bot.services.db
        opened = db.transaction

        @asynccontextmanager
        async def counted() -> AsyncIterator[AsyncSession]:
            self.open += 1
            try:
                async with opened() as session:
                    yield session
                self.events.append("commit")
            finally:
                self.open -= 1

        monkeypatch.setattr(db, "transaction", counted)

    def watch(self, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
        """Wrap bot.service.drawing's `name` (render_mat, render_profile) to note each call,
        and whether a transaction was open then."""
        real: Callable[..., bytes] = getattr(drawing, name)

        def noted(*args: Any, **kwargs: Any) -> bytes:
            self.events.append(f"{name} with {self.open} open")
            return real(*args, **kwargs)

        monkeypatch.setattr(drawing, name, noted)


def jpeg(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(buffer, "JPEG")
    return buffer.getvalue()


async def kept(bot: RunningBot, media_id: int) -> bytes:
    async with bot.services.db.transaction() as session:
        row = await session.get(MediaFile, media_id)
        assert row is not None
        return row.content


def sent_photo(person: Person, bot: RunningBot, words: str) -> bytes:
    message = next(m for m in reversed(person.messages())
                   if m.photo and words in (m.display_text or ""))
    return bot.api.file_bytes(message.photo)


async def test_the_mat_is_drawn_after_commit_and_kept_as_sent(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    sam = await world.therapist()
    jo = await world.young_person(sam, "Jo")
    await jo.tap("Talking Mat")
    for column in ("Like", "Don't like", "Not sure", "Like", "Skip", "Like", "Not sure"):
        await jo.tap(column)
    watched = Transactions(world.bot, monkeypatch)
    watched.watch(monkeypatch, "render_mat")
    await jo.tap("Don't like")  # the last card: the mat is finished
    if "render_mat with 0 open" not in watched.events:
        await jo.tap("This is right")
    assert "render_mat with 0 open" in watched.events, watched.events
    assert not [e for e in watched.events if e.startswith("render_mat with 1")]
    drawn = watched.events.index("render_mat with 0 open")
    assert "commit" in watched.events[:drawn]  # the answer committed first

    async with world.bot.services.db.transaction() as session:
        answer = await session.scalar(select(Answer).where(Answer.step_id == "mat"))
        assert answer is not None
        run = await session.get(FlowRun, answer.run_id)
        assert run is not None
        (media,) = answer.media
        record = repo.answer_record(answer.step_id, answer.kind, answer.choices,
                                    answer.own_words, answer.media, answer.detail)
    assert media["kind"] == "mat"
    picture = await kept(world.bot, media["id"])
    assert picture == sent_photo(jo, world.bot, "your finished mat")  # the one sent
    # ... and the one render_mat draws of the mat as kept, in Jo's (default) look.
    view = world.bot.services.content.engine.mat_view_of("talking_mat", record, run.options)
    assert view is not None
    assert picture == render_mat(view, CardStyle(), {})


async def test_the_profile_is_drawn_after_commit_and_kept_as_sent(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    sam = await world.therapist()
    jo = await world.young_person(sam, "Jo")
    await jo.tap("About me")
    await jo.tap("Kind")
    await jo.tap("Done")
    await jo.tap("Skip")
    while "Send a photo of you" not in jo.text():
        await jo.tap("Skip")
    await jo.send(photo=jpeg((30, 160, 90)))
    await jo.tap("On my own")
    await jo.tap("Done")
    watched = Transactions(world.bot, monkeypatch)
    watched.watch(monkeypatch, "render_profile")
    await jo.tap("Share")
    assert watched.events.count("render_profile with 0 open") == 1, watched.events
    drawn = watched.events.index("render_profile with 0 open")
    assert "commit" in watched.events[:drawn]

    async with world.bot.services.db.transaction() as session:
        run = await session.scalar(select(FlowRun).where(FlowRun.flow_id == "one_page_profile"))
        assert run is not None
        media_id = run.options["profile_media"]
    assert await kept(world.bot, media_id) == sent_photo(jo, world.bot, "one-page profile")


# --- the same pictures as before: a description draws exactly what the renderers draw --------


def _card(symbol: str, words: str, emoji: str) -> MatCard:
    return MatCard(symbol, words, emoji)


MAT = MatView(topic=_card("school", "School", "🏫"),
              scale=(_card("like", "Like", "👍"), _card("not_sure", "Not sure", "🤔"),
                     _card("dont_like", "Don't like", "👎")),
              columns=((_card("art", "Art", "🎨"),), (_card("maths", "Maths", "➗"),), ()),
              current=None, left_off=(_card("pe", "PE", "⚽"),))
STYLE = CardStyle(text_scale=1.25, palette="calm", font="atkinson")


def test_a_mat_description_draws_the_same_picture() -> None:
    assert MatPicture(MAT, STYLE).render() == render_mat(MAT, STYLE, {})


def test_a_profile_description_draws_the_same_picture() -> None:
    sections = (("What people like about me", (("😊", "Kind"), ("✏️", "“I make people laugh”"))),
                ("How to support me", (("⏳", "Give me time"),)))
    photo = jpeg((200, 80, 40))
    picture = ProfilePicture("My one-page profile", sections, photo, STYLE)
    assert picture.render() == render_profile("My one-page profile", sections, photo, STYLE)


async def test_draw_all_turns_a_description_into_a_photo_and_leaves_other_replies() -> None:
    words = Reply("hello")
    described = Reply("Here is your mat", drawing=Drawing(MatPicture(MAT, STYLE), "mat.png"))
    plain, drawn = await drawing.draw_all(None, [words, described])  # type: ignore[arg-type]
    assert plain is words
    assert drawn.drawing is None and drawn.attachment is not None
    assert drawn.attachment.kind == "photo" and drawn.attachment.filename == "mat.png"
    assert drawn.attachment.data == render_mat(MAT, STYLE, {})



async def test_a_picture_that_cannot_be_drawn_leaves_its_words_and_the_rest(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    def broken(_self: MatPicture) -> bytes:
        raise OSError("a font file went missing")

    monkeypatch.setattr(MatPicture, "render", broken)
    words = Reply("hello")
    described = Reply("Here is your mat", drawing=Drawing(MatPicture(MAT, STYLE), "mat.png"))
    silent = Reply("", drawing=Drawing(MatPicture(MAT, STYLE), "mat.png"))
    after = Reply("This is what you told me")
    with caplog.at_level(logging.ERROR, logger="bot.service.drawing"):
        sent = await drawing.draw_all(None, [words, described, silent, after])  # type: ignore[arg-type]
    assert [r.text for r in sent] == ["hello", "Here is your mat", "This is what you told me"]
    assert all(r.drawing is None and r.attachment is None for r in sent)
    assert "could not draw mat.png" in caplog.text


async def test_the_finished_mat_and_a_mat_seen_before_are_not_drawn_again(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 17, point 3. The mat kept as the record is the picture the young person was just
    shown to confirm (drawn once, encoded once); going back shows a mat already sent (its
    Telegram file id, kept per owner and content); the review's mat is the same picture."""
    from bot.render import mat as mat_module

    drawn: list[MatView] = []
    real = mat_module.draw_mat

    def counted(view: MatView, *args: Any, **kwargs: Any) -> Image.Image:
        drawn.append(view)
        return real(view, *args, **kwargs)

    monkeypatch.setattr(mat_module, "draw_mat", counted)
    sam = await world.therapist()
    jo = await world.young_person(sam, "Jo")
    await jo.tap("Talking Mat")
    for column in ("Like", "Don't like", "Not sure", "Like", "Skip", "Like", "Not sure",
                   "Don't like"):
        await jo.tap(column)
    assert "This is right" in " ".join(jo.buttons())
    assert drawn and drawn[-1].current is None  # the finished mat, drawn to confirm
    drawn.clear()
    await jo.tap("This is right")  # kept as the record after commit: not drawn again
    await jo.send("I like art best")
    await jo.tap("On my own")
    await jo.tap("Done")  # the review shows the same mat
    assert jo.last().photo and "This is what you told me" in (jo.last().display_text or "")
    await jo.tap("Change something")
    await jo.tap("My Talking Mat")
    await jo.tap("Back")  # the mat as it was before the last card: sent before
    assert drawn == []
