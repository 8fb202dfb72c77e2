"""Turning an engine Screen into words and buttons (the card picture is the renderer's job)."""

from __future__ import annotations

from dataclasses import replace

from bot.engine.core import ActionKind
from bot.engine.screen import Control, MatView, Screen, ScreenKind
from bot.i18n import Locale
from bot.render.screens import Picture
from bot.service import callbacks
from bot.service.types import Button, Keyboard, Reply

_CONTROL_ACTIONS: dict[Control, ActionKind | str] = {
    Control.DONE: ActionKind.DONE, Control.BACK: ActionKind.BACK, Control.SKIP: ActionKind.SKIP,
    Control.DONT_KNOW: ActionKind.DONT_KNOW, Control.SOMETHING_ELSE: callbacks.SOMETHING_ELSE,
    Control.READ: callbacks.READ_ALOUD, Control.STOP: ActionKind.STOP,
    Control.SHARE: ActionKind.SHARE, Control.KEEP: ActionKind.KEEP,
    Control.CHANGE: ActionKind.CHANGE, Control.CONTINUE: ActionKind.RESUME,
    Control.MOVE: ActionKind.MOVE, Control.RIGHT: ActionKind.RIGHT,
}
# Controls that sit side by side; the rest get a row each so they are big enough to hit.
_PAIRS = ((Control.BACK, Control.SKIP), (Control.DONT_KNOW, Control.SOMETHING_ELSE),
          (Control.READ, Control.STOP))
_PICKS = {ScreenKind.CHOICE: ActionKind.CHOOSE, ScreenKind.MULTI: ActionKind.TOGGLE,
          ScreenKind.CHANGE: ActionKind.CHOOSE, ScreenKind.MAT_PLACE: ActionKind.CHOOSE,
          ScreenKind.MAT_MOVE: ActionKind.CHOOSE}
_ONE_PER_ROW = (ScreenKind.CHANGE, ScreenKind.MAT_PLACE)
CAPTION_LIMIT = 1024  # Telegram's limit for the words under a photo (Bot API sendPhoto)


def prompt_words(screen: Screen, locale: Locale) -> str:
    """The question in words: a locale key for engine-made screens; for flow steps the flow's
    words, or their translation when media/locales/<language>/ has `flow.<flow>.<step>`."""
    if screen.prompt_is_key:
        return locale(screen.prompt, **screen.fields)
    key = f"flow.{screen.flow_id}.{screen.step_id}"
    return locale(key) if locale.has(key) else screen.prompt


def caption(screen: Screen, locale: Locale, lead: str | None = None) -> str:
    """The words that go with the picture: always there, for screen readers too."""
    parts = [lead] if lead else []
    if screen.notice:
        parts.append(locale(screen.notice))
    if screen.kind in (ScreenKind.PAUSED, ScreenKind.FINISHED):
        return "\n\n".join(parts) or locale("paused")
    if counter := mat_counter(screen, locale):
        parts.append(counter)
    parts.append(prompt_words(screen, locale))
    if screen.review:
        parts.append("\n".join(f"{line.emoji} {line.question} → {line.answer}"
                               for line in screen.review))
    if screen.mat is not None and screen.kind is not ScreenKind.REVIEW:
        # (A review's mat is already in words in its line: see with_mat.)
        parts.append(mat_words(screen, locale))
    if progress := footer(screen, locale):
        parts.append(progress)
    return "\n\n".join(parts)


def mat_words(screen: Screen, locale: Locale) -> str:
    """The mat so far in words, for anyone who cannot see the picture."""
    assert screen.mat is not None
    lines = []
    for scale, column in zip(screen.mat.scale, screen.mat.columns, strict=True):
        cards = ", ".join(card.words for card in column) or "–"
        lines.append(f"{scale.emoji} {scale.words}: {cards}")
    if screen.mat.left_off:
        lines.append(locale("mat_left_off", cards=", ".join(c.words for c in screen.mat.left_off)))
    return "\n".join(lines)


def footer(screen: Screen, locale: Locale) -> str:
    """'Part 2 of 5' under a question, in the words and on the picture card alike; nothing on
    the review (it has no part number) or in a flow of one part (issue 12, point 5)."""
    if screen.part_count > 1 and screen.part_number and screen.kind not in (
            ScreenKind.REVIEW, ScreenKind.CHANGE, ScreenKind.PAUSED, ScreenKind.FINISHED):
        return locale("part_of", n=screen.part_number, total=screen.part_count)
    return ""


def mat_counter(screen: Screen, locale: Locale) -> str:
    """Above a Talking Mat card to place: 'Card 3 of 8', and before the first card how many
    there are, so the young person knows how long the mat will take (issue 12, point 5).
    Empty on any other screen."""
    if not screen.card_number or screen.kind is not ScreenKind.MAT_PLACE:
        return ""
    counter = locale("card_of", n=screen.card_number, total=screen.card_count)
    if screen.card_number == 1 and screen.card_count > 1:
        return locale("mat_card_count", count=screen.card_count) + "\n" + counter
    return counter


def _label(selected: bool, emoji: str, words: str) -> str:
    return f"{'✅' if selected else emoji or '🖼️'} {words}"


def keyboard(screen: Screen, run_id: int, version: int, locale: Locale) -> Keyboard:
    rows: list[tuple[Button, ...]] = []
    pick = _PICKS.get(screen.kind)
    if pick is not None:
        buttons = [Button(_label(o.selected, o.emoji, o.words),
                          callbacks.run_tap(run_id, version, pick, o.index))
                   for o in screen.options]
        per_row = 1 if screen.kind in _ONE_PER_ROW else 2
        rows += [tuple(buttons[i:i + per_row]) for i in range(0, len(buttons), per_row)]
    placed: set[Control] = set()
    for control in screen.controls:
        if control in placed:
            continue
        pair = next((p for p in _PAIRS if control in p and all(c in screen.controls for c in p)),
                    (control,))
        rows.append(tuple(
            Button(locale(f"control.{c.value}"),
                   callbacks.run_tap(run_id, version, _CONTROL_ACTIONS[c]))
            for c in pair))
        placed.update(pair)
    return tuple(rows)


def screen_reply(screen: Screen, run_id: int, version: int, locale: Locale, *,
                 edit: bool = False, lead: str | None = None, extra: Keyboard = (),
                 look: tuple[tuple[str, object], ...] = (), about: int | None = None) -> Reply:
    """A flow screen as a reply. `about` is the young person whose run it is: a picture of
    their own content (their answers, mat, cards) is kept only tied to them (Reply.about)."""
    return Reply(caption(screen, locale, lead), keyboard(screen, run_id, version, locale) + extra,
                 screen=screen, edit=edit, look=look, about=about)


def with_mat(screen: Screen, mat: MatView | None) -> Screen:
    """A review ("This is what you told me") that holds a finished Talking Mat shows the mat
    itself as its picture, so the young person sees each card where they put it before they
    share (MySay issue 12, point 1). Other screens, or no mat: the screen as it is."""
    if mat is None or screen.kind is not ScreenKind.REVIEW:
        return screen
    return replace(screen, mat=mat)


def screen_replies(screen: Screen, run_id: int, version: int, locale: Locale, *,
                   edit: bool = False, lead: str | None = None,
                   look: tuple[tuple[str, object], ...] = (),
                   about: int | None = None) -> list[Reply]:
    """`screen_reply` as a list: one message, except a review with a mat whose words do not
    fit under a photo (CAPTION_LIMIT). Then the mat picture comes first with the mat in words,
    and the review after it, so neither the picture nor any word is dropped."""
    reply = screen_reply(screen, run_id, version, locale, edit=edit, lead=lead, look=look,
                         about=about)
    mat = screen.mat
    if mat is None or screen.kind is not ScreenKind.REVIEW or len(reply.text) <= CAPTION_LIMIT:
        return [reply]
    picture = Reply(mat_words(screen, locale)[:CAPTION_LIMIT],
                    picture=Picture(mat.topic.words, mat=mat), edit=edit, look=look,
                    about=about)
    return [picture, replace(reply, screen=replace(screen, mat=None), edit=False)]
