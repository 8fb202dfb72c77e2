"""A new tool is one data file (issue 13, point 3), and the menu never cuts activities off.

Each test copies the shipped flows into a temporary folder, adds flow files there, and starts
the real bot on it (MYSAY_FLOWS_DIR) over the local Bot API: no code knows the new flows.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from bot.config import Settings
from bot.engine.flows import load_flows
from bot.engine.vocabulary import Vocabulary
from bot.paths import flows_dir, media_dir
from bot.service import callbacks
from bot.service.young_person import MENU_PAGE
from tests.conftest import World
from tests.support.harness import Person

NEW_FLOW = """\
id: what_helps
title: What helps me
symbol: give_me_time
description: Tell people what helps you.
heading: support
ask_who_helped: false
steps:
  - id: helps
    type: multi
    prompt: What helps you?
    choices: [give_me_time, use_pictures, quiet_place]
  - id: more
    type: text
    prompt: Tell me more.
"""
OWN_WORDS = "A quiet table near the window helps me think"
# The young person's shipped activities on the menu ("How am I getting on?" is not there for
# a young person with no outcomes set, as here).
SHIPPED = [f for f in load_flows(flows_dir(), Vocabulary.load(media_dir() / "symbols.yaml"))
           .values() if f.audience == "young_person" and not f.asks_outcomes]
# Enough small extra tools that the young person's menu needs a second page.
EXTRA = MENU_PAGE + 2 - len(SHIPPED)


def small_flow(n: int) -> str:
    return NEW_FLOW.replace("id: what_helps", f"id: extra_{n}").replace(
        "title: What helps me", f"title: Extra tool {n}")


@pytest.fixture
def flows_folder(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """The shipped flows and the new ones the test names (`request.param`: file -> text)."""
    folder = tmp_path / "flows"
    shutil.copytree(flows_dir(), folder)
    for name, text in getattr(request, "param", {}).items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def settings(settings: Settings, flows_folder: Path) -> Settings:
    """conftest's settings, pointed at the temporary flows folder."""
    return settings.model_copy(update={"flows_dir": flows_folder})


def menu_titles(person: Person) -> list[str]:
    return [b for b in person.buttons() if b.split(" ", 1)[-1] in ALL_TITLES]


ALL_TITLES = {f.title for f in SHIPPED} | {"What helps me"} | {
    f"Extra tool {n}" for n in range(EXTRA)}


def pdf_text(person: Person) -> str:
    document = next(m for m in reversed(person.messages()) if m.document)
    assert document.document is not None
    reader = PdfReader(io.BytesIO(person.api.file_bytes(document.document)))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.mark.parametrize("flows_folder", [{"what_helps.yaml": NEW_FLOW}], indirect=True,
                         ids=["one_new_file"])
async def test_a_new_flow_file_is_in_the_menu_can_be_assigned_and_has_its_heading(
        world: World) -> None:
    sam = await world.therapist()
    jo = await world.young_person(sam)
    assert "What helps me" in " ".join(jo.buttons())  # nothing assigned: every tool shows

    await sam.send("/assign")
    await sam.tap("Jo")
    await sam.tap("What helps me")  # by its words: whatever the button carries inside
    assert any(b.startswith("✅") and "What helps me" in b for b in sam.buttons())
    await sam.tap("Done")
    assert "Jo now has: What helps me" in sam.text()

    await jo.send("/menu")
    assert [b.split(" ", 1)[-1] for b in menu_titles(jo)] == ["What helps me"]
    await jo.tap("What helps me")
    assert "What helps you?" in jo.text()
    await jo.tap("Use pictures")
    await jo.tap("Quiet place")
    await jo.tap("Done")
    await jo.send(OWN_WORDS)
    assert "This is what you told me" in jo.text()
    await jo.tap("Share with my therapist")

    await sam.send("/summary")
    await sam.tap("Jo")
    text = pdf_text(sam)
    support = text.index(". How best to support me")  # its numbered heading
    after = text.index("Who helped me answer", support)  # the section drawn after it
    assert support < text.index(OWN_WORDS) < after, text
    assert "Other things I shared" not in text


@pytest.mark.parametrize("flows_folder", [
    {f"extra_{n}.yaml": small_flow(n) for n in range(EXTRA)} | {"what_helps.yaml": NEW_FLOW}],
    indirect=True, ids=["more_than_a_page"])
async def test_every_activity_is_reachable_through_the_menu_pages(world: World) -> None:
    sam = await world.therapist()
    jo = await world.young_person(sam)
    await jo.send("/menu")
    seen: list[str] = []
    pages = 0
    while True:
        pages += 1
        shown = menu_titles(jo)
        assert 0 < len(shown) <= MENU_PAGE
        seen += shown
        if not any("More" in b for b in jo.buttons()):
            break
        assert f"Page {pages} of" in jo.text()
        await jo.tap("More ▶️")
    assert pages == 2 and len(seen) == len(ALL_TITLES) == MENU_PAGE + 3
    assert {s.split(" ", 1)[-1] for s in seen} == ALL_TITLES
    assert "Page 2 of 2" in jo.text()

    await jo.tap("What helps me")  # an activity on the last page starts
    assert "What helps you?" in jo.text()
    await jo.send("/menu")
    await jo.tap("More ▶️")
    await jo.tap("◀️ Back")
    assert "Page 1 of 2" in jo.text() and "Continue" in jo.buttons()[0]


def test_the_menu_page_button_round_trips_and_nothing_else_decodes() -> None:
    assert callbacks.decode(callbacks.MenuPage(3).pack()) == callbacks.MenuPage(3)
    assert callbacks.MenuPage(999).pack() == "fm:999"
    for forged in ("fm:", "fm:-1", "fm:1000", "fm:x"):
        with pytest.raises(callbacks.InvalidCallback):
            callbacks.decode(forged)
