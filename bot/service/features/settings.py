"""/settings: the young person's own choices, with picture buttons, and gentle reminders.

Text size, colours, font and read-aloud change how every card looks or sounds; reminders are
never by default, and the schedule lives in the database so it survives restarts.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot import preferences
from bot.preferences import CHOICES, DEFAULTS
from bot.render.cards import Tile
from bot.render.screens import Picture
from bot.service import callbacks
from bot.service.present import ticked
from bot.service.routes import command, periodic, tap
from bot.service.types import Button, Command, Keyboard, Reply, Result
from bot.service.young_person import in_their_words, look_of, menu
from bot.store import reminder_repo
from bot.store.models import Person, Role
from bot.timeutil import local_zone, utcnow

if TYPE_CHECKING:
    from bot.service.conversation import Context

# Gentle times, in the service's own time zone (MYSAY_TIMEZONE, through bot.timeutil).
REMIND_TIMES = {"morning": time(9, 30), "after_school": time(16, 30), "evening": time(18, 30)}
REMIND_DAYS = {"weekly": (0,), "twice": (0, 3)}  # Monday; Monday and Thursday


# What the preview card shows: the settings that change how a card looks.
PREVIEWED = ("text_scale", "palette", "font")


def preference(person: Person, name: str) -> Any:
    """The person's value of setting `name` (bot.preferences.CHOICES), else its default."""
    return preferences.current(person.preferences, name)


def next_reminder(prefs: dict[str, Any], after: datetime, zone: ZoneInfo) -> datetime | None:
    """The next reminder time after `after` (UTC), on the chosen days at the chosen time in
    `zone` (the service's, bot.timeutil.local_zone); None when reminders are off."""
    days = REMIND_DAYS.get(prefs.get("reminders", "never"))
    if not days:
        return None
    at = REMIND_TIMES.get(prefs.get("remind_at", "after_school"), REMIND_TIMES["after_school"])
    local = after.astimezone(zone)
    for ahead in range(0, 8):
        day = (local + timedelta(days=ahead)).date()
        if day.weekday() in days:
            moment = datetime.combine(day, at, zone)
            if moment > local:
                return moment.astimezone(after.tzinfo)
    return None  # unreachable: a week always holds one of the days


def _keyboard(ctx: Context, person: Person) -> Keyboard:
    say = ctx.locale
    rows: list[tuple[Button, ...]] = []
    for key, (name, options) in CHOICES.items():
        current = preference(person, name)
        row = [Button(ticked(f"{emoji} {say(label)}", value == current),
                      callbacks.Setting(key, i).pack())
               for i, (value, label, emoji) in enumerate(options)]
        # Telegram cuts a label that does not fit its share of the row ("🌓 Str…"): more than
        # three choices go two to a row, so every word stays whole on a 360 px phone.
        width = 2 if len(row) > 3 else len(row)
        rows.extend(tuple(row[i:i + width]) for i in range(0, len(row), width))
    return tuple(rows)


def preview_tiles(ctx: Context, person: Person) -> tuple[Tile, ...]:
    """The preview card's tiles: the chosen text size, colours and letters, each with its
    words and picture as the /settings buttons show them (issue 15, point 9)."""
    tiles = []
    for name in PREVIEWED:
        found = preferences.option(name, preference(person, name)) \
            or preferences.option(name, DEFAULTS[name])
        assert found is not None  # every default is one of its options
        _, label, emoji = found
        tiles.append(Tile(ctx.locale(label), emoji))
    return tuple(tiles)


def settings_reply(ctx: Context, person: Person, *, edit: bool, lead: str | None = None
                   ) -> Reply:
    """/settings: each setting and its value in words, a row of buttons per setting, and a
    preview card drawn in the chosen style."""
    say = ctx.locale
    lines = [say("set.title")]
    lines += [f"• {name}: {value}"
              for name, value in preferences.in_words(_all_settings(person), say)]
    text = "\n".join(([lead, ""] if lead else []) + lines)
    # A preview card in their own style, so they see what they chose.
    preview = Picture(say("set.preview"), preview_tiles(ctx, person),
                      shared=True)  # locale words only
    return Reply(text, _keyboard(ctx, person), picture=preview, edit=edit, look=look_of(person))


def _all_settings(person: Person) -> dict[str, Any]:
    """Every setting's value for `person`, the default where they chose none."""
    return {name: preference(person, name) for name, _ in CHOICES.values()}


@command(Role.YOUNG_PERSON, "settings")
async def show(ctx: Context, session: AsyncSession, person: Person, _: Command) -> Result:
    return Result().say_reply(settings_reply(ctx, person, edit=False))


@tap(Role.YOUNG_PERSON, callbacks.Setting)
async def change(ctx: Context, session: AsyncSession, person: Person,
                 data: callbacks.Setting) -> Result:
    name, options = CHOICES[data.key]
    if not 0 <= data.value < len(options):
        return Result(toast=ctx.locale("not_allowed"))
    value = options[data.value][0]
    prefs = preferences.with_style(person.preferences, value) if name == "style" \
        else {**(person.preferences or {}), name: value}
    person.preferences = prefs
    if name in ("reminders", "remind_at"):
        person.next_reminder_at = next_reminder(prefs, utcnow(), local_zone(ctx.settings))
    # A new look is answered in its own words at once.
    return Result(toast="✅").say_reply(settings_reply(in_their_words(ctx, person), person,
                                                      edit=True))


@periodic("reminders", seconds=300)
async def send_reminders(ctx: Context, session: AsyncSession, now: datetime) -> list[Reply]:
    """Gentle reminders that are due. Each is claimed (next time set) in this transaction, so
    several bot processes never send the same one twice."""
    due = await reminder_repo.claim_due_reminders(session, now)
    replies = []
    for person in due:
        person.next_reminder_at = next_reminder(person.preferences or {}, now,
                                                local_zone(ctx.settings))
        if preference(person, "reminders") == "never":
            continue
        # The reminder is the picture menu itself, with "no more reminders" one tap away.
        theirs = in_their_words(ctx, person)
        reply = (await menu(theirs, session, person,
                            lead=theirs.locale("remind.text"))).replies[0]
        stop = (Button(theirs.locale("remind.stop"), callbacks.Setting("r", 0).pack()),)
        replies.append(replace(reply, buttons=(*reply.buttons, stop), chat_id=person.chat_id))
    return replies
