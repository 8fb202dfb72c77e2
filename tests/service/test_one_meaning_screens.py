"""One picture, one meaning on the screens a young person sees outside an activity (issue 15,
point 2): the hello with its choice, the menu, /settings, /mine (and its share preview and
"shared, undo?"), /privacy, /help, /delete and the safety reply with its card;
a ticked choice keeps its symbol beside the tick; and every command a young person can use is
in /help and in Telegram's command menu (point 9). Driven through the conversation (the chat
driver); symbols are read from media/symbols.yaml and the locale, never written here."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.app import _set_commands
from bot.service.features.settings import CHOICES, DEFAULTS
from bot.service.routes import ROUTES
from bot.services import load_content
from bot.store import repo
from bot.store.models import FlowRun, Role
from tests.engine.test_one_meaning import seen as seen_screen
from tests.support.driver import Said, World
from tests.support.glyphs import Seen, all_clashes
from tests.support.harness import Person

CONTENT = load_content()
SAY = CONTENT.locale
VOCABULARY = CONTENT.engine.vocabulary


def seen_buttons(person: Person, screen: str) -> Seen:
    """Every symbol on the newest buttons `person` has, with its meaning."""
    found = Seen(screen)
    for label in person.buttons():
        found.label(label)
    return found


async def join(chat: World, name: str = "Jo") -> tuple[Person, Person, Seen]:
    """A young person invited by a therapist; the hello's buttons (before yes), then agreed."""
    sam = await chat.therapist("Sam")
    await sam.send("/invite")
    invite = next(m.display_text or "" for m in reversed(sam.messages())
                  if "Code: " in (m.display_text or ""))
    jo = chat.person(name)
    await jo.send(f"/start {invite.rsplit('Code: ', 1)[1].split()[0]}")
    hello = seen_buttons(jo, "the hello and its choice")
    await jo.tap("Yes")
    return sam, jo, hello


async def finish_check_in(jo: Person, *, share: bool) -> None:
    """"How was today?" from the menu, answered with one picture and kept or shared."""
    await jo.tap("How was today")
    await jo.tap("Good")
    await jo.tap("Friend")
    await jo.tap("Done")
    await jo.send("my own words")
    await jo.tap("Share" if share else "Keep it just for me")


async def test_every_screen_outside_an_activity_shows_each_symbol_with_one_meaning(
        chat: World) -> None:
    _, jo, hello = await join(chat)
    screens = [hello, seen_buttons(jo, "the menu")]
    await jo.send("/settings")
    screens.append(seen_buttons(jo, "/settings"))
    for words in ("Very big", "Strong", "Dyslexia", "Read to me", "Weekly", "Evening"):
        # every row with another choice ticked (the button that ends in these words)
        await jo.tap(next(b for b in jo.buttons() if b.endswith(f" {words}")))
        screens.append(seen_buttons(jo, f"/settings after {words}"))
    await jo.send("/menu")
    await finish_check_in(jo, share=True)
    await jo.send("/menu")
    await finish_check_in(jo, share=False)
    await jo.send("/mine")
    screens.append(seen_buttons(jo, "/mine"))
    await jo.send("/privacy")
    screens.append(seen_buttons(jo, "/privacy"))
    await jo.send("/delete")
    screens.append(seen_buttons(jo, "/delete"))
    await jo.tap("No, keep it")
    await jo.send("/menu")
    screens.append(seen_buttons(jo, "the menu after an activity"))
    assert sum(len(s.meanings) for s in screens) > 30
    assert all_clashes(screens) == []


def seen_message(said: Said, screen: str) -> Seen:
    """Every symbol one message shows, with its meaning: its buttons, the symbols in front of
    its lines of words, and its picture card's tiles and lines."""
    found = Seen(screen)
    for label in said.labels:
        found.label(label)
    for line in said.text.splitlines():
        found.label(line.strip(), "words")
    picture = said.reply.picture if said.reply is not None else None
    if picture is not None:
        for tile in picture.tiles:
            found.add(tile.emoji, tile.label, "picture")
        for emoji, words, *_ in picture.lines:
            found.add(emoji, words, "picture line")
    return found


async def seen_preview(chat: World, jo: Person, screen: str) -> Seen:
    """The /mine share preview: the review picture's every symbol (as the review screen shows
    it, tests/engine/test_one_meaning.py) and the buttons under it."""
    said = jo.last()
    assert said.reply is not None and said.reply.screen is not None
    async with chat.services.db.transaction() as session:
        run = await session.scalar(select(FlowRun).order_by(FlowRun.id.desc()))
        assert run is not None
        state = repo.run_state(run)
    found = seen_screen(said.reply.screen, state, screen)
    found.screen = screen
    for label in said.labels:
        found.label(label)
    return found


async def test_sharing_from_mine_and_the_safety_reply_show_each_symbol_with_one_meaning(
        chat: World) -> None:
    """The /mine share preview (the review picture, "📤 Share with my therapist", "✋ Not now"),
    the "shared, undo?" message, and the safety reply with its card and buttons, after 🆘 at
    the menu and mid-activity."""
    _, jo, _ = await join(chat)
    await finish_check_in(jo, share=False)
    await jo.send("/mine")
    await jo.tap("🔒")
    preview = await seen_preview(chat, jo, "the /mine share preview")
    assert {"📤", "✋"} <= set(preview.meanings)
    await jo.tap("Share with my therapist")
    screens = [preview, seen_message(jo.last(), "shared, undo?")]
    assert "🔒" in screens[-1].meanings
    await jo.send("/menu")
    await jo.tap("I don't feel safe")
    screens.append(seen_message(jo.last(), "the safety reply"))
    await jo.tap("Back to my activities")
    await jo.tap("How was today")
    await jo.tap("Good")
    await jo.send("/menu")
    await jo.tap("I don't feel safe")
    screens.append(seen_message(jo.last(), "the safety reply mid-activity"))
    assert {"🚨", "☎️", "⬅️"} <= set(screens[-2].meanings)
    assert {"🚨", "☎️", "⬅️", "▶️"} <= set(screens[-1].meanings)
    assert all_clashes(screens) == []


async def test_a_ticked_choice_keeps_its_symbol_beside_the_tick(chat: World) -> None:
    _, jo, _ = await join(chat)
    await jo.tap("How was today")
    await jo.tap("Good")
    await jo.tap("Friend")
    friend = VOCABULARY["friend"]
    assert f"✅ {friend.emoji} {friend.words}" in jo.buttons()
    assert f"{VOCABULARY['games'].emoji} {VOCABULARY['games'].words}" in jo.buttons()
    assert jo.ticked() == ["Friend"]
    await jo.tap("Stop for now")
    await jo.send("/settings")
    chosen = [f"✅ {emoji} {SAY(label)}" for name, options in CHOICES.values()
              for value, label, emoji in options if value == DEFAULTS[name]]
    assert [b for b in jo.buttons() if b.startswith("✅ ")] == chosen
    await jo.tap("Very big")
    assert "Very big" in jo.ticked() and "Normal" not in jo.ticked()


async def test_help_names_every_command_a_young_person_can_use(chat: World) -> None:
    _, jo, _ = await join(chat)
    await jo.send("/help")
    words = jo.last().text
    commands = sorted(name for role, name in ROUTES.commands if role == Role.YOUNG_PERSON)
    assert {"settings", "mine", "mydata", "delete"} <= set(commands)
    assert [c for c in commands if f"/{c}" not in words] == []


class _Bot:
    """Telegram's setMyCommands, as the app calls it, kept for the test to read."""

    def __init__(self) -> None:
        self.commands: list[Any] = []

    async def set_my_commands(self, commands: list[Any], scope: Any) -> bool:
        self.commands = list(commands)
        return True


class _App:
    def __init__(self) -> None:
        self.bot = _Bot()


class _Services:
    content = CONTENT


async def test_the_command_menu_holds_every_command_a_young_person_can_use() -> None:
    app = _App()
    await _set_commands(app, _Services())  # type: ignore[arg-type]
    menu = {c.command: c.description for c in app.bot.commands}
    commands = {name for role, name in ROUTES.commands if role == Role.YOUNG_PERSON}
    assert {"settings", "mine", "mydata", "delete", "help"} <= commands
    assert sorted(commands - set(menu)) == []
    assert menu["settings"] == SAY("command.settings")
