"""Turning an engine Screen into words and buttons (the card picture is the renderer's job)."""

from __future__ import annotations

from bot.engine.core import ActionKind
from bot.engine.screen import Control, Screen, ScreenKind
from bot.i18n import Locale
from bot.service import callbacks
from bot.service.types import Button, Keyboard, Reply

_CONTROL_ACTIONS: dict[Control, ActionKind | None] = {
    Control.DONE: ActionKind.DONE, Control.BACK: ActionKind.BACK, Control.SKIP: ActionKind.SKIP,
    Control.DONT_KNOW: ActionKind.DONT_KNOW, Control.SOMETHING_ELSE: None,
    Control.STOP: ActionKind.STOP, Control.SHARE: ActionKind.SHARE, Control.KEEP: ActionKind.KEEP,
    Control.CHANGE: ActionKind.CHANGE, Control.CONTINUE: ActionKind.RESUME,
}
# Controls that sit side by side; the rest get a row each so they are big enough to hit.
_PAIRS = ((Control.BACK, Control.SKIP), (Control.DONT_KNOW, Control.SOMETHING_ELSE))


def prompt_words(screen: Screen, locale: Locale) -> str:
    if screen.kind in (ScreenKind.REVIEW, ScreenKind.CHANGE):
        return locale(screen.prompt)
    return screen.prompt


def caption(screen: Screen, locale: Locale, lead: str | None = None) -> str:
    """The words that go with the picture: always there, for screen readers too."""
    parts = [lead] if lead else []
    if screen.notice:
        parts.append(locale(screen.notice))
    if screen.kind in (ScreenKind.PAUSED, ScreenKind.FINISHED):
        return "\n\n".join(parts) or locale("paused")
    parts.append(prompt_words(screen, locale))
    if screen.review:
        parts.append("\n".join(f"{line.emoji} {line.question} → {line.answer}"
                               for line in screen.review))
    if progress := footer(screen, locale):
        parts.append(progress)
    return "\n\n".join(parts)


def footer(screen: Screen, locale: Locale) -> str:
    """'2 of 5' under a question (not on the review, where the count means nothing)."""
    if screen.step_count > 1 and screen.kind in (ScreenKind.CHOICE, ScreenKind.MULTI,
                                                 ScreenKind.TEXT):
        return locale("step_of", n=screen.step_number, total=screen.step_count)
    return ""


def keyboard(screen: Screen, run_id: int, version: int, locale: Locale) -> Keyboard:
    rows: list[tuple[Button, ...]] = []
    if screen.kind in (ScreenKind.CHOICE, ScreenKind.MULTI, ScreenKind.CHANGE):
        op = ActionKind.TOGGLE if screen.kind is ScreenKind.MULTI else ActionKind.CHOOSE
        buttons = [
            Button(f"{'✅' if o.selected else o.emoji} {o.words}",
                   callbacks.run_tap(run_id, version, op, o.index))
            for o in screen.options
        ]
        per_row = 1 if screen.kind is ScreenKind.CHANGE else 2
        rows += [tuple(buttons[i:i + per_row]) for i in range(0, len(buttons), per_row)]
    placed: set[Control] = set()
    for control in screen.controls:
        if control in placed:
            continue
        pair = next((p for p in _PAIRS if control in p and all(c in screen.controls for c in p)),
                    (control,))
        rows.append(tuple(
            Button(locale(f"control.{c.value}"), callbacks.run_tap(run_id, version,
                                                                   _CONTROL_ACTIONS[c]))
            for c in pair))
        placed.update(pair)
    return tuple(rows)


def screen_reply(screen: Screen, run_id: int, version: int, locale: Locale, *,
                 edit: bool = False, lead: str | None = None,
                 extra: Keyboard = ()) -> Reply:
    return Reply(caption(screen, locale, lead), keyboard(screen, run_id, version, locale) + extra,
                 screen=screen, edit=edit)
