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

from bot.render.cards import Tile
from bot.render.screens import Picture
from bot.service import callbacks
from bot.service.present import ticked
from bot.service.routes import command, periodic, tap
from bot.service.types import Button, Command, Keyboard, Reply, Result
from bot.service.young_person import look_of, menu
from bot.store import reminder_repo
from bot.store.models import Person, Role
from bot.timeutil import local_zone, utcnow

if TYPE_CHECKING:
    from bot.service.conversation import Context

# key -> (preference name, [(value, locale key of its label, emoji)])
CHOICES: dict[str, tuple[str, list[tuple[Any, str, str]]]] = {
    "z": ("text_scale", [(1.0, "set.size_normal", "🔤"), (1.25, "set.size_large", "🔠"),
                         (1.5, "set.size_huge", "🔎")]),
    "c": ("palette", [("standard", "set.colour_standard", "🟠"),
                      ("high_contrast", "set.colour_contrast", "🌓"),
                      ("calm", "set.colour_calm", "🌿")]),
    "f": ("font", [("atkinson", "set.font_atkinson", "🅰️"),
                   ("opendyslexic", "set.font_dyslexic", "📖")]),
    "a": ("read_aloud", [(False, "set.read_off", "🔇"), (True, "set.read_on", "🔈")]),
    "r": ("reminders", [("never", "set.remind_never", "🚫"), ("weekly", "set.remind_weekly", "📅"),
                        ("twice", "set.remind_twice", "🗓️")]),
    "t": ("remind_at", [("morning", "set.time_morning", "🌅"),
                        ("after_school", "set.time_after_school", "🎒"),
                        ("evening", "set.time_evening", "🌙")]),
}
DEFAULTS: dict[str, Any] = {"text_scale": 1.0, "palette": "standard", "font": "atkinson",
                            "read_aloud": False, "reminders": "never", "remind_at": "after_school"}
# Gentle times, in the service's own time zone (MYSAY_TIMEZONE, through bot.timeutil).
REMIND_TIMES = {"morning": time(9, 30), "after_school": time(16, 30), "evening": time(18, 30)}
REMIND_DAYS = {"weekly": (0,), "twice": (0, 3)}  # Monday; Monday and Thursday


def preference(person: Person, name: str) -> Any:
    return (person.preferences or {}).get(name, DEFAULTS[name])


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
        rows.append(tuple(
            Button(ticked(f"{emoji} {say(label)}", value == current),
                   callbacks.Setting(key, i).pack())
            for i, (value, label, emoji) in enumerate(options)))
    return tuple(rows)


def settings_reply(ctx: Context, person: Person, *, edit: bool, lead: str | None = None
                   ) -> Reply:
    say = ctx.locale
    lines = [say("set.title")]
    for name, options in CHOICES.values():
        current = preference(person, name)
        label = next((say(lbl) for value, lbl, _ in options if value == current), "")
        lines.append(f"• {say('set.name.' + name)}: {label}")
    text = "\n".join(([lead, ""] if lead else []) + lines)
    # A preview card in their own style, so they see what they chose.
    preview = Picture(say("set.preview"), (Tile(say("set.size_normal"), "🔤"),
                                           Tile(say("set.colour_calm"), "🌿")),
                      shared=True)  # locale words only
    return Reply(text, _keyboard(ctx, person), picture=preview, edit=edit, look=look_of(person))


@command(Role.YOUNG_PERSON, "settings")
async def show(ctx: Context, session: AsyncSession, person: Person, _: Command) -> Result:
    return Result().say_reply(settings_reply(ctx, person, edit=False))


@tap(Role.YOUNG_PERSON, callbacks.Setting)
async def change(ctx: Context, session: AsyncSession, person: Person,
                 data: callbacks.Setting) -> Result:
    name, options = CHOICES[data.key]
    if not 0 <= data.value < len(options):
        return Result(toast=ctx.locale("not_allowed"))
    prefs = {**(person.preferences or {}), name: options[data.value][0]}
    person.preferences = prefs
    if name in ("reminders", "remind_at"):
        person.next_reminder_at = next_reminder(prefs, utcnow(), local_zone(ctx.settings))
    return Result(toast="✅").say_reply(settings_reply(ctx, person, edit=True))


@periodic("reminders", seconds=300)
async def send_reminders(ctx: Context, session: AsyncSession, now: datetime) -> list[Reply]:
    """Gentle reminders that are due. Each is claimed (next time set) in this transaction, so
    several bot processes never send the same one twice."""
    due = await reminder_repo.claim_due_reminders(session, now)
    replies = []
    say = ctx.locale
    for person in due:
        person.next_reminder_at = next_reminder(person.preferences or {}, now,
                                                local_zone(ctx.settings))
        if preference(person, "reminders") == "never":
            continue
        # The reminder is the picture menu itself, with "no more reminders" one tap away.
        reply = (await menu(ctx, session, person, lead=say("remind.text"))).replies[0]
        stop = (Button(say("remind.stop"), callbacks.Setting("r", 0).pack()),)
        replies.append(replace(reply, buttons=(*reply.buttons, stop), chat_id=person.chat_id))
    return replies
