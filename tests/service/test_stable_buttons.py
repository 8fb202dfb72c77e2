"""Buttons name a flow, choice, topic, card or step by its stable id, so a keyboard sent before
a deploy that adds a flow file or a choice still does what it says; a button from before issue
13 (by position) is answered kindly with the screen as it is now (issue 13, point 1).

Through the real bot and the fake Bot API, on SQLite and PostgreSQL (the `world` fixture)."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from bot.paths import flows_dir
from bot.service import callbacks
from tests.conftest import World
from tests.support.harness import Person, forge_callback

OLD = "That button is from before"  # the stale_button words (media/locales/en/core.yaml)


def deploy_with_more(world: World, folder: Path) -> None:
    """The next deploy's flows: a flow file that sorts before every other, and a new choice
    ("Happy") before "Games" in the check-in's "What made it good?"."""
    shutil.copytree(flows_dir(), folder)
    check_in = yaml.safe_load((folder / "check_in.yaml").read_text())
    first = {**check_in, "id": "aaa_first", "title": "A first one"}
    (folder / "aaa_first.yaml").write_text(yaml.safe_dump(first, sort_keys=False))
    step = next(s for s in check_in["steps"] if s["id"] == "what_good")
    step["choices"].insert(step["choices"].index("games"), "happy")
    (folder / "check_in.yaml").write_text(yaml.safe_dump(check_in, sort_keys=False))
    # The next start reads its flows from there (MYSAY_FLOWS_DIR).
    world.bot.settings = world.bot.settings.model_copy(update={"flows_dir": folder})


def data_of(person: Person, message_id: int, label: str) -> str:
    message = person.bot.api.message(person.user_id, message_id)
    assert message is not None
    return Person._find(message, label)


async def press(person: Person, message_id: int, data: str) -> str:
    """Press a button with `data` on an old message (a forged query: the fake API only pushes
    data the message has); returns the toast the bot answered with."""
    api = person.bot.api
    update_id = forge_callback(api, person.user_id, message_id, data)
    await person.bot.wait_processed(update_id)
    query_id = next(q for q in reversed(api.callback_queries) if q.startswith("forged-"))
    return str(api.answered_callback_queries[query_id].get("text", ""))


def ticked(labels: list[str]) -> set[str]:
    return {b.removeprefix("✅ ").split(" ", 1)[-1] for b in labels if b.startswith("✅ ")}


async def test_an_old_run_keyboard_ticks_the_choice_it_shows_after_a_deploy(
        world: World, tmp_path: Path) -> None:
    therapist = await world.therapist()
    jo = await world.young_person(therapist, "Jo")
    await jo.tap("How was today")
    card = await jo.tap("Good")
    assert "What made it good?" in jo.text()
    games = data_of(jo, card.message_id, "Games")
    tap = callbacks.decode(games)
    assert isinstance(tap, callbacks.RunTap) and tap.choice == "games"  # "r:<run>:<v>:t:games"
    # The same button as made before issue 13: Games by its position (friend, lessons,
    # break_lunch, games).
    by_position = callbacks.RunTap(tap.run_id, tap.version, callbacks.RunOp.TOGGLE,
                                   index=3).pack()
    deploy_with_more(world, tmp_path / "flows")
    await world.bot.restart()

    # Position 3 is "Happy" now: the old button ticks nothing, says so, and shows the step.
    assert OLD in await press(jo, card.message_id, by_position)
    assert "What made it good?" in jo.text() and OLD in jo.text()
    assert "Happy" in " ".join(jo.buttons()) and ticked(jo.buttons()) == set()

    # The button sent before the deploy names Games by its id: Games is ticked.
    await press(jo, card.message_id, games)
    assert ticked(jo.buttons()) == {"Games"}


async def test_an_old_assign_keyboard_toggles_the_flow_it_shows_after_a_deploy(
        world: World, tmp_path: Path) -> None:
    therapist = await world.therapist()
    await world.young_person(therapist, "Jo")
    await therapist.send("/assign")
    listed = await therapist.tap("Jo")
    before = ticked(therapist.buttons())
    mat = data_of(therapist, listed.message_id, "Talking Mat")
    tap = callbacks.decode(mat)
    assert isinstance(tap, callbacks.AssignTap) and (tap.op, tap.ref) == ("F", "talking_mat")
    titles = [b.split(" ", 1)[1] for b in therapist.buttons()[:-1]]  # the flows, not Done
    by_position = callbacks.AssignTap("f", tap.person_id, titles.index("Talking Mat")).pack()
    deploy_with_more(world, tmp_path / "flows")
    await world.bot.restart()

    # "A first one" sorts first now and shifts every position: the old button toggles nothing.
    assert OLD in await press(therapist, listed.message_id, by_position)
    assert ticked(therapist.buttons()) == before
    assert any("A first one" in b for b in therapist.buttons())

    await press(therapist, listed.message_id, mat)
    assert ticked(therapist.buttons()) == before ^ {"Talking Mat"}


async def test_an_old_record_keyboard_picks_the_flow_and_step_it_shows_after_a_deploy(
        world: World, tmp_path: Path) -> None:
    therapist = await world.therapist()
    flows = await therapist.send("/record")
    check_in = data_of(therapist, flows.message_id, "How was today")
    assert callbacks.decode(check_in) == callbacks.RecordTap("F", flow="check_in")
    steps = await therapist.tap("How was today")
    question = data_of(therapist, steps.message_id, "How was today?")
    assert callbacks.decode(question) == callbacks.RecordTap("S", flow="check_in", step="how")
    deploy_with_more(world, tmp_path / "flows")
    await world.bot.restart()

    assert OLD in await press(therapist, flows.message_id, "rc:f:0")  # by position: old
    assert any("A first one" in b for b in therapist.buttons())
    await press(therapist, steps.message_id, question)
    assert "Send a voice note reading" in therapist.text()
    assert "How was today?" in therapist.text()


async def test_an_old_choose_by_position_is_never_acted_on_at_a_picture_or_a_mat_card(
        world: World) -> None:
    """Before issue 13 a one-picture step and a Talking Mat card both sent "c<index>": such a
    button is answered "from before", nothing is stored, and the same step is shown."""
    therapist = await world.therapist()
    jo = await world.young_person(therapist, "Jo")
    for start, label, prompt, after in (
            ("How was today", "Good", "How was today?", "What made it good?"),
            ("Talking Mat", "Like", "Card 1 of", "Card 2 of")):
        card = await jo.tap(start)
        assert prompt in jo.text()
        tap = callbacks.decode(data_of(jo, card.message_id, label))
        assert isinstance(tap, callbacks.RunTap) and tap.choice is not None
        by_position = callbacks.RunTap(tap.run_id, tap.version, callbacks.RunOp.CHOOSE,
                                       index=0).pack()
        assert OLD in await press(jo, card.message_id, by_position)
        assert prompt in jo.text() and OLD in jo.text()
        await jo.tap(label)  # the button as made now does what it shows
        assert after in jo.text()
        await jo.send("/menu")


async def test_a_menu_page_past_the_end_shows_the_last_page(world: World) -> None:
    """An old "More ▶️" after the list got shorter: the last page, never an error."""
    therapist = await world.therapist()
    jo = await world.young_person(therapist, "Jo")
    await jo.send("/menu")
    menu = jo.last()
    await press(jo, menu.message_id, callbacks.MenuPage(5).pack())
    assert "What would you like to do?" in jo.text()
    assert "Page " not in jo.text()  # the shipped flows fit on one page
    assert any("How was today" in b for b in jo.buttons())
