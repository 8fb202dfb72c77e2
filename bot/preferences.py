"""A young person's settings (/settings): what each can be, its words and its picture.

Kept apart from the /settings feature (bot/service/features/settings.py) so that /mydata
(bot/safety/export.py) can say a setting in the young person's own words ("Colours: Strong")
without importing the service layer. Stored in `people.preferences` (a JSON column), so a new
setting needs no migration.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

# button key -> (preference name, [(value, locale key of its label, emoji)]); in the order
# /settings shows them. The key rides in the button ("st:c:1", bot.service.callbacks.Setting).
CHOICES: dict[str, tuple[str, list[tuple[Any, str, str]]]] = {
    "z": ("text_scale", [(1.0, "set.size_normal", "🔤"), (1.25, "set.size_large", "🔠"),
                         (1.5, "set.size_huge", "🔎")]),
    "c": ("palette", [("standard", "set.colour_standard", "🟠"),
                      ("high_contrast", "set.colour_contrast", "🌓"),
                      ("calm", "set.colour_calm", "🌿"),
                      ("plain", "set.colour_plain", "⬜")]),
    "f": ("font", [("atkinson", "set.font_atkinson", "🅰️"),
                   ("opendyslexic", "set.font_dyslexic", "📖")]),
    # Issue 15, point 4: the grown-up style (plain words and colours, first-person headings)
    # and answering from word buttons with the question's picture card turned off.
    "l": ("style", [("young", "set.style_young", "🧒"), ("grown_up", "set.style_grown_up", "🧑")]),
    "p": ("pictures", [("on", "set.pictures_on", "🖼️"), ("words", "set.pictures_words", "📃")]),
    "a": ("read_aloud", [(False, "set.read_off", "🔇"), (True, "set.read_on", "🔈")]),
    "r": ("reminders", [("never", "set.remind_never", "🚫"), ("weekly", "set.remind_weekly", "📅"),
                        ("twice", "set.remind_twice", "🗓️")]),
    "t": ("remind_at", [("morning", "set.time_morning", "🌅"),
                        ("after_school", "set.time_after_school", "🎒"),
                        ("evening", "set.time_evening", "🌙")]),
}
DEFAULTS: dict[str, Any] = {"text_scale": 1.0, "palette": "standard", "font": "atkinson",
                            "style": "young", "pictures": "on", "read_aloud": False,
                            "reminders": "never", "remind_at": "after_school"}
# The colours that go with each style: choosing a style moves the other style's own colours
# to its own (Warm <-> Plain); Strong and Calm, chosen for a reason, stay as they are.
STYLE_PALETTES: dict[str, str] = {"young": "standard", "grown_up": "plain"}


def options(name: str) -> list[tuple[Any, str, str]]:
    """The (value, label key, emoji) options of setting `name`, in CHOICES order; [] for a
    name that is no setting."""
    return next((opts for n, opts in CHOICES.values() if n == name), [])


def option(name: str, value: Any) -> tuple[Any, str, str] | None:
    """The (value, label key, emoji) of setting `name` at `value`; None if it has no such
    option (an old or hand-edited value)."""
    return next((o for o in options(name) if o[0] == value), None)


def current(prefs: Mapping[str, Any] | None, name: str) -> Any:
    """The value of setting `name` in `prefs` (people.preferences), else its default."""
    return (prefs or {}).get(name, DEFAULTS[name])


def with_style(prefs: Mapping[str, Any] | None, style: str) -> dict[str, Any]:
    """`prefs` with the style set to `style`, and the colours of the other style (if those
    are the colours now) changed to this style's (STYLE_PALETTES)."""
    changed = {**(prefs or {}), "style": style}
    own = STYLE_PALETTES.get(style)
    if own is not None and current(prefs, "palette") in STYLE_PALETTES.values():
        changed["palette"] = own
    return changed


def in_words(prefs: Mapping[str, Any] | None,
             say: Callable[..., str]) -> list[tuple[str, str]]:
    """Each stored setting as the young person reads it on /settings: ("Colours", "Strong"),
    in /settings' order; a value with no option is shown as it is stored. `say` is a Locale."""
    words = []
    names = [name for name, _ in CHOICES.values()]
    for name in names:
        if name not in (prefs or {}):
            continue
        value = (prefs or {})[name]
        found = option(name, value)
        words.append((say("set.name." + name), say(found[1]) if found else str(value)))
    words += [(name, str(value)) for name, value in (prefs or {}).items() if name not in names]
    return words
