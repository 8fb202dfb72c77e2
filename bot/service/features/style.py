"""/style: a therapist sets a young person's look for them (issue 15, point 4): the grown-up
style (plain words and colours, first-person headings) and answering from word buttons with
the picture card turned off. The same settings the young person has in /settings
(bot.preferences); they can change them back there at any time.

Every tap names the young person and goes through the one guard (bot.service.guard: only
their own therapist now, else the refusal, audited as `refused_style`); a change is audited
as `style_changed`, so it shows in the young person's /mydata ("who looked").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot import preferences
from bot.service import callbacks, guard, picker
from bot.service.present import ticked
from bot.service.routes import command, tap
from bot.service.types import Button, Command, Keyboard, Result
from bot.store import repo
from bot.store.models import Person, Role

if TYPE_CHECKING:
    from bot.service.conversation import Context

# The settings a therapist may set here: op letter of callbacks.StyleTap -> preference.
SETTABLE = {"l": "style", "w": "pictures"}

# Page buttons "pk:l:<page>"; a young person's button is "sl:p:<id>".
PICK = picker.purpose("l", "style.pick_person", "🧑",
                      lambda young_id: callbacks.StyleTap("p", young_id).pack())


@command(Role.THERAPIST, "style")
async def style(ctx: Context, session: AsyncSession, person: Person, _: Command) -> Result:
    """Whose look to change: the shared picker, a page at a time."""
    return await picker.pick_young_person(ctx, session, person, PICK.letter)


def _keyboard(ctx: Context, young: Person) -> Keyboard:
    """A row per setting: its options, the chosen one ticked beside its symbol ("✅ 🧑
    Grown-up", as /settings: a ticked choice keeps its symbol, issue 15, point 2)."""
    rows = []
    for op, name in SETTABLE.items():
        now = preferences.current(young.preferences, name)
        rows.append(tuple(
            Button(ticked(f"{emoji} {ctx.locale(label)}", value == now),
                   callbacks.StyleTap(op, young.id, i).pack())  # type: ignore[arg-type]
            for i, (value, label, emoji) in enumerate(preferences.options(name))))
    return tuple(rows)


def _now_words(ctx: Context, young: Person) -> str:
    """The young person's look now, in words ("Look: Grown-up", "Pictures: Words only")."""
    said = {}
    for name in SETTABLE.values():
        found = preferences.option(name, preferences.current(young.preferences, name))
        said[name] = ctx.locale(found[1]) if found else ""
    return ctx.locale("style.now", name=young.display_name, look=said["style"],
                      pictures=said["pictures"])


@tap(Role.THERAPIST, callbacks.StyleTap)
@guard.for_young_person("style", lambda data: data.person_id)
async def on_tap(ctx: Context, session: AsyncSession, person: Person,
                 data: callbacks.StyleTap, young: Person) -> Result:
    """p: the young person's look now, with a button per option; l / w: set the look or the
    pictures to the option tapped (an unknown option is refused), audited."""
    if data.op == "p":
        return Result(toast="🧑").say(_now_words(ctx, young), _keyboard(ctx, young))
    name = SETTABLE[data.op]
    options = preferences.options(name)
    if data.value is None or not 0 <= data.value < len(options):
        return guard.refusal(ctx)
    value = options[data.value][0]
    young.preferences = preferences.with_style(young.preferences, str(value)) \
        if name == "style" else {**(young.preferences or {}), name: value}
    repo.audit(session, person, "style_changed", young, detail=f"{name}: {value}")
    text = _now_words(ctx, young) + "\n\n" + ctx.locale("style.changed",
                                                         name=young.display_name)
    return Result(toast="✅").say(text, _keyboard(ctx, young), edit=True)
