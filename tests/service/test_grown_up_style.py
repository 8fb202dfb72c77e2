"""The grown-up style and words-only answers (issue 15, point 4), and two /settings faults
(point 9): the preview card shows what is chosen, and /mydata says settings in words.

Driven through the conversation (tests/support/driver.py); the adapter's side (no sendPhoto
for a words-only question) over HTTP in tests/telegram/test_words_only.py.
"""

from __future__ import annotations

import io
import itertools
import json
import zipfile
from types import SimpleNamespace
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from bot import preferences
from bot.preferences import CHOICES
from bot.service import callbacks, drawing
from bot.service.features import settings
from bot.store.models import AuditEntry, FlowRun
from bot.store.models import Person as PersonRow
from tests.service.test_privacy import check_in, documents, join
from tests.support.content import shipped_content
from tests.support.driver import World as ChatWorld
from tests.support.driver import forge_callback, row_of

# What the grown-up style never says to a young person.
CHEERS = ("🎉", "🌟", "💛", "⭐", "✨", "🥳", "👏", "Well done", "right thing", "Thank you!")


def _options(name: str) -> list[tuple[Any, str, str]]:
    return next(opts for n, opts in CHOICES.values() if n == name)


async def _preferences(chat: ChatWorld, person: Any) -> dict[str, Any]:
    async with chat.services.db.transaction() as session:
        return dict((await row_of(session, person)).preferences or {})


# --- point 9: the preview card shows what is chosen -------------------------------------------

def test_the_preview_card_shows_every_combination_of_what_is_chosen() -> None:
    """Every text size x colours x letters: the preview's tiles are the chosen options' words
    and pictures, and the settings text names them too (it said "Normal" and "Calm" always)."""
    say = shipped_content().locale
    ctx: Any = SimpleNamespace(locale=say)
    names = settings.PREVIEWED
    for chosen in itertools.product(*(_options(name) for name in names)):
        prefs = {name: value for name, (value, _, _) in zip(names, chosen, strict=True)}
        person = PersonRow(preferences=prefs)
        reply = settings.settings_reply(ctx, person, edit=False)
        assert reply.picture is not None
        assert [(t.label, t.emoji) for t in reply.picture.tiles] == \
            [(say(label), emoji) for _, label, emoji in chosen], prefs
        for name, (_, label, _) in zip(names, chosen, strict=True):
            assert f"{say('set.name.' + name)}: {say(label)}" in reply.text


# --- point 9: /mydata says settings in the young person's words ------------------------------

def test_settings_in_words_name_every_option_as_settings_shows_it() -> None:
    say = shipped_content().locale
    for name, options in CHOICES.values():
        for value, label, _ in options:
            assert preferences.in_words({name: value}, say) == \
                [(say("set.name." + name), say(label))]
    assert preferences.in_words({"palette": "neon"}, say) == [("Colours", "neon")]


async def test_mydata_shows_settings_in_the_young_persons_words(chat: ChatWorld) -> None:
    sam = await chat.therapist("Sam")
    jo = await join(chat, sam, "Jo")
    await jo.send("/settings")
    await jo.tap("Strong")
    await jo.tap("Big")
    await jo.send("/mydata")
    files = documents(jo, chat.bot.api)
    pdf = PdfReader(io.BytesIO(files["my-mysay.pdf"]))
    text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
    assert "Text size: Big" in text and "Colours: Strong" in text
    assert "palette" not in text and "high_contrast" not in text and "text_scale" not in text
    archive = zipfile.ZipFile(io.BytesIO(files["my-mysay-data.zip"]))
    data = json.loads(archive.read("my-mysay-data.json"))
    assert data["you"]["settings"] == {"Text size": "Big", "Colours": "Strong"}


# --- point 4: the grown-up style ---------------------------------------------------------------

async def test_grown_up_look_and_words_only_answers(chat: ChatWorld) -> None:
    """Jo chooses "Look: Grown-up" and "Pictures: Words only": plain colours, plain words,
    and a question comes as words with word buttons, no picture card, review included."""
    sam = await chat.therapist("Sam")
    jo = await join(chat, sam, "Jo")
    await jo.send("/settings")
    await jo.tap("Grown-up")
    assert "✅ 🧑 Grown-up" in jo.buttons() and "✅ ⬜ Plain" in jo.buttons()  # colours follow
    shown = jo.last()
    assert shown.reply is not None and shown.reply.picture is not None
    assert shown.reply.picture.title == "How my cards look"  # the overlay's words at once
    assert "• Look: Grown-up" in jo.text() and "• Colours: Plain" in jo.text()
    await jo.tap("Words only")
    assert await _preferences(chat, jo) == {"style": "grown_up", "palette": "plain",
                                            "pictures": "words"}
    before = len(jo.messages())  # the welcome said 🎉, before they chose
    await jo.send("/menu")
    menu = jo.last()  # the menu too: words and buttons, no picture card
    assert menu.kind == "text" and menu.reply is not None and menu.reply.picture is None
    await jo.tap("How was today")
    question = jo.last()
    assert question.kind == "text" and question.reply is not None
    assert question.reply.words_only and question.reply.picture is None  # no picture card
    labels = jo.buttons()
    assert "Good" in labels and "Bad" in labels  # words, no symbols
    assert "🔈 Read it to me" in labels  # read-aloud reads the same words, picture or not
    await jo.tap("Good")
    await jo.tap("Friend")
    assert "✅ Friend" in jo.buttons()  # a chosen word keeps its tick
    await jo.tap("Done")
    await jo.send("I liked the swings best")
    review = jo.last()
    assert review.kind == "text" and "What I said. Is it right?" in review.text
    assert "I liked the swings best" in review.text
    await jo.tap("Share")
    said = "\n".join(m.text for m in jo.messages()[before:])
    assert "Your therapist can see this now." in said
    assert not [c for c in CHEERS if c in said], said


async def test_nothing_a_grown_up_style_young_person_is_shown_cheers(chat: ChatWorld) -> None:
    """Every toast and every message after choosing the grown-up style, through what a young
    person does: an activity shared, /mine (share from the preview, a second tap, undo), and
    🆘 at the menu and mid-activity. None of them celebrates (the toasts were "🌟" and "💛")."""
    sam = await chat.therapist("Sam")
    jo = await join(chat, sam, "Jo")
    await jo.send("/settings")
    await jo.tap("Grown-up")
    toasts, before = len(chat.driver.toasts), len(jo.messages())
    await jo.send("/menu")
    await check_in(jo, "the swings were best", share=True)
    await check_in(jo, "the slide was best", share=False)
    await jo.send("/mine")
    listed = jo.last().message_id
    await jo.tap("🔒")
    await jo.tap("Share with my therapist")
    async with chat.services.db.transaction() as session:
        run_id = max((await session.scalars(select(FlowRun.id))).all())
    again = forge_callback(chat.driver, jo.user_id, listed,
                           callbacks.MineToggle(run_id, True, 0).pack())  # the old list's row
    await chat.driver.wait_processed(again)
    await jo.tap("Make it private again")
    await jo.send("/menu")
    await jo.tap("I don't feel safe")
    await jo.tap("Back to my activities")
    await jo.tap("How was today")
    await jo.tap("Good")
    await jo.send("/menu")  # the menu, with the activity still under way
    await jo.tap("I don't feel safe")
    await jo.tap("Carry on where I was")
    said = [c for c in chat.driver.toasts[toasts:] if c]
    said += [m.text for m in jo.messages()[before:]]
    said += [label for m in jo.messages()[before:] for label in m.labels]
    assert [words for words in said if any(c in words for c in CHEERS)] == []
    assert len(chat.driver.toasts) - toasts >= 12 and "Passed on." in said


async def test_the_talking_mat_keeps_its_picture_with_words_only(chat: ChatWorld) -> None:
    """The mat is the answer's shape: with words only, its screens still show it."""
    sam = await chat.therapist("Sam")
    jo = await join(chat, sam, "Jo")
    await jo.send("/settings")
    await jo.tap("Words only")
    await jo.send("/menu")
    await jo.tap("Talking Mat")
    assert jo.last().kind == "photo"
    assert jo.last().reply is not None and jo.last().reply.screen is not None


async def test_the_grown_up_profile_has_first_person_headings(
        chat: ChatWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[tuple[Any, ...]] = []
    real = drawing.render_profile

    def spy(*args: Any, **kwargs: Any) -> bytes:
        drawn.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(drawing, "render_profile", spy)
    sam = await chat.therapist("Sam")
    jo = await join(chat, sam, "Jo")
    await jo.send("/settings")
    await jo.tap("Grown-up")
    await jo.send("/menu")
    await jo.tap("About me")
    await jo.tap("Kind")
    await jo.tap("Done")
    await jo.send("I make people laugh")
    await jo.tap("Pet")
    await jo.tap("Done")
    await jo.tap("Give me time")
    await jo.tap("Done")
    await jo.tap("Skip")  # no photo
    await jo.tap("On my own")
    await jo.tap("Done")
    await jo.tap("Share")
    ((_, sections, _, style),) = drawn
    assert [heading for heading, _ in sections] == [
        "What people like about me", "Important to me", "How to help me"]
    assert [words for _, words in sections[0][1]] == ["Kind", "“I make people laugh”"]
    assert style.palette == "plain"
    assert any(m.text == "Here is your one-page profile." and m.photo for m in jo.messages())


async def test_the_therapist_sets_the_look_for_them_guarded_and_audited(
        chat: ChatWorld) -> None:
    sam = await chat.therapist("Sam")
    jo = await join(chat, sam, "Jo")
    await sam.send("/style")
    await sam.tap("Jo")
    assert "Look: Young" in sam.text() and "Pictures: Pictures and words" in sam.text()
    assert {"✅ 🧒 Young", "✅ 🖼️ Pictures and words"} <= set(sam.buttons())  # keeps its symbol
    await sam.tap("Grown-up")
    await sam.tap("Words only")
    assert "Look: Grown-up" in sam.text() and "Pictures: Words only" in sam.text()
    assert {"✅ 🧑 Grown-up", "✅ 📃 Words only"} <= set(sam.buttons())
    assert "🧒 Young" in sam.buttons() and "🖼️ Pictures and words" in sam.buttons()
    assert await _preferences(chat, jo) == {"style": "grown_up", "palette": "plain",
                                            "pictures": "words"}
    async with chat.services.db.transaction() as session:
        details = (await session.scalars(select(AuditEntry.detail).where(
            AuditEntry.action == "style_changed"))).all()
    assert details == ["style: grown_up", "pictures: words"]
    await sam.tap("Young")  # and back: Plain colours go back to Warm
    assert (await _preferences(chat, jo))["palette"] == "standard"
    await jo.send("/mydata")
    pdf = PdfReader(io.BytesIO(documents(jo, chat.bot.api)["my-mysay.pdf"]))
    text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
    assert "changed how MySay looks for you" in text


async def test_a_chosen_colour_stays_when_the_look_changes(chat: ChatWorld) -> None:
    sam = await chat.therapist("Sam")
    jo = await join(chat, sam, "Jo")
    await jo.send("/settings")
    await jo.tap("Strong")
    await jo.tap("Grown-up")
    assert (await _preferences(chat, jo))["palette"] == "high_contrast"
