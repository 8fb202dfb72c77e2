"""Turning an engine Screen into words and buttons (the card picture is the renderer's job)."""

from __future__ import annotations

from dataclasses import replace

from bot.engine.core import ActionKind
from bot.engine.flows import OUTCOME_SLOT
from bot.engine.screen import OWN_CARD_MARK, Control, ReviewLine, Screen, ScreenKind
from bot.engine.vocabulary import labelled, text_emoji
from bot.i18n import Locale
from bot.render.screens import Picture
from bot.service import callbacks
from bot.service.types import Button, Keyboard, Reply

_CONTROL_ACTIONS: dict[Control, ActionKind | callbacks.RunOp] = {
    Control.DONE: ActionKind.DONE, Control.BACK: ActionKind.BACK, Control.SKIP: ActionKind.SKIP,
    Control.DONT_KNOW: ActionKind.DONT_KNOW, Control.SOMETHING_ELSE: callbacks.SOMETHING_ELSE,
    Control.READ: callbacks.READ_ALOUD, Control.STOP: ActionKind.STOP,
    Control.SHARE: ActionKind.SHARE, Control.KEEP: ActionKind.KEEP,
    Control.CHANGE: ActionKind.CHANGE, Control.CONTINUE: ActionKind.RESUME,
    Control.MOVE: ActionKind.MOVE, Control.RIGHT: ActionKind.RIGHT,
    Control.KEEP_EARLIER: ActionKind.KEEP_EARLIER,
}
# Controls that sit side by side; the rest get a row each so they are big enough to hit.
_PAIRS = ((Control.BACK, Control.SKIP), (Control.DONT_KNOW, Control.SOMETHING_ELSE),
          (Control.READ, Control.STOP))
_PICKS = {ScreenKind.CHOICE: ActionKind.CHOOSE, ScreenKind.MULTI: ActionKind.TOGGLE,
          ScreenKind.CHANGE: ActionKind.CHOOSE, ScreenKind.MAT_PLACE: ActionKind.CHOOSE,
          ScreenKind.MAT_MOVE: ActionKind.CHOOSE}
_ONE_PER_ROW = (ScreenKind.CHANGE, ScreenKind.MAT_PLACE)
CAPTION_LIMIT = 1024  # Telegram's limit for the words under a photo (Bot API sendPhoto)
# A review longer than this goes out as several pages, each a picture with its words: a photo
# caption holds 1024 characters (Bot API sendPhoto), and a few lines per picture stay readable.
PAGE_CHARS = 1000
PAGE_LINES = 6
BUTTON_WORDS = 24  # of the earlier own words on the "Keep what I wrote" button
# The screens of a Talking Mat under way: each offers the mat page (issue 16) when MySay has a
# public address for it (Settings.mat_page_url).
MAT_PAGE_SCREENS = (ScreenKind.MAT_PLACE, ScreenKind.MAT_MOVE, ScreenKind.MAT_REVIEW)


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
    if screen.about is not None and OUTCOME_SLOT.match(screen.about.symbol_id):
        # One of their outcomes: its words (as their therapist wrote them) lead the question.
        parts.append(labelled(screen.about.emoji or "🎯", screen.about.words))
    parts.append(prompt_words(screen, locale))
    if screen.earlier:
        parts.append(locale("earlier_words", words=screen.earlier))
    elif screen.earlier is not None:
        parts.append(locale("earlier_sent"))
    if screen.review:
        parts.append(review_words(screen.review))
    if screen.mat is not None and screen.kind is not ScreenKind.REVIEW:
        # (A review's mat is already in words in its line: it is only the picture.)
        parts.append(mat_words(screen, locale))
    if progress := footer(screen, locale):
        parts.append(progress)
    return "\n\n".join(parts)


def review_words(lines: tuple[ReviewLine, ...]) -> str:
    """The review in words, one line per topic: "🌅 Morning: Good 😀 · because: Calm 😌"."""
    return "\n".join(f"{labelled(line.emoji, line.title)}: {line.answer}" for line in lines)


def review_pages(screen: Screen, locale: Locale, lead: str | None = None,
                 text_scale: float = 1.0) -> list[tuple[ReviewLine, ...]]:
    """The review's lines split into pages that each fit one photo caption (with the prompt,
    the notice and the page number) and one picture: PAGE_LINES lines at normal text size,
    fewer for larger text (/settings). Every line is on a page: a line too long for a caption
    gets a page of its own (sent as words, up to 4096 characters)."""
    fixed = len(caption(replace(screen, review=()), locale, lead)) + 40
    most = max(2, round(PAGE_LINES / max(1.0, text_scale) ** 2))
    pages: list[list[ReviewLine]] = [[]]
    for line in screen.review:
        page = pages[-1]
        size = len(review_words((*page, line)))
        if page and (len(page) >= most or fixed + size > PAGE_CHARS):
            pages.append([line])
        else:
            page.append(line)
    return [tuple(page) for page in pages]


def mat_words(screen: Screen, locale: Locale) -> str:
    """The mat so far in words, for anyone who cannot see the picture."""
    assert screen.mat is not None
    lines = []
    for scale, column in zip(screen.mat.scale, screen.mat.columns, strict=True):
        cards = ", ".join(card.words for card in column) or "–"
        lines.append(f"{labelled(scale.emoji, scale.words)}: {cards}")
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


TICK = "✅"  # beside a ticked choice, which keeps its own symbol (issue 15, point 2)


def ticked(label: str, selected: bool) -> str:
    """A button's words with the tick in front when it is chosen: "✅ 😀 Happy". The symbol
    stays, so a ticked picture still says what it is; only the label grows (the callback data
    is the same either way)."""
    return f"{TICK} {label}" if selected else label


def _label(selected: bool, emoji: str, words: str, words_only: bool = False) -> str:
    """A choice's button: its symbol and words, with the tick in front when chosen. An OpenMoji
    extra has no glyph on phones, so its button shows the words alone (the picture card still
    draws it); `words_only` buttons never show a symbol."""
    if words_only:  # a word button: the tick when chosen, no picture
        return ticked(words, selected)
    shown = text_emoji(emoji) if emoji else OWN_CARD_MARK
    return ticked(f"{shown} {words}".strip(), selected)


def words_only(screen: Screen, look: tuple[tuple[str, object], ...]) -> bool:
    """Whether this screen goes out as words with word buttons, no picture card: the young
    person chose "Pictures: Words only" (/settings, issue 15, point 4), and the screen holds
    no Talking Mat. A mat keeps its picture: the mat is the answer's shape (cards placed
    along a scale), which its words alone do not show, and the finished mat is kept as one."""
    return dict(look).get("pictures") == "words" and screen.mat is None


def keyboard(screen: Screen, run_id: int, version: int, locale: Locale, *,
             plain: bool = False) -> Keyboard:
    """The screen's buttons: its options (picture and words, or with `plain` words only),
    then its controls."""
    rows: list[tuple[Button, ...]] = []
    pick = _PICKS.get(screen.kind)
    if pick is not None:
        buttons = [Button(_label(o.selected, o.emoji, o.words, plain),
                          callbacks.RunTap.of(run_id, version, pick, o.symbol_id).pack())
                   for o in screen.options]
        per_row = 1 if screen.kind in _ONE_PER_ROW else 2
        rows += [tuple(buttons[i:i + per_row]) for i in range(0, len(buttons), per_row)]
    placed: set[Control] = set()
    for control in screen.controls:
        if control is Control.KEEP_EARLIER:
            keep = callbacks.RunTap.of(run_id, version, ActionKind.KEEP_EARLIER).pack()
            rows.append((Button(_keep_label(screen, locale), keep),))
            continue
        if control in placed:
            continue
        pair = next((p for p in _PAIRS if control in p and all(c in screen.controls for c in p)),
                    (control,))
        rows.append(tuple(
            Button(locale(f"control.{c.value}"),
                   callbacks.RunTap.of(run_id, version, _CONTROL_ACTIONS[c]).pack())
            for c in pair))
        placed.update(pair)
    return tuple(rows)


def _keep_label(screen: Screen, locale: Locale) -> str:
    """ "Keep what I wrote: “I like…”": the start of the earlier words, so the button says
    what it keeps (the caption shows them whole)."""
    words = screen.earlier or ""
    if not words:
        return locale("control.keep_sent")
    short = words if len(words) <= BUTTON_WORDS else words[:BUTTON_WORDS - 1].rstrip() + "…"
    return locale("control.keep_earlier", words=short)


def page_row(screen: Screen, run_id: int, locale: Locale, page: str | None) -> Keyboard:
    """The row that opens the Talking Mat page (issue 16): one button, "🧩 Open the mat", a
    Mini App button (Bot API InlineKeyboardButton.web_app, offered in private chats only, as
    every MySay chat with a young person is) whose address names the run:
    `{page}?run={run_id}`. Only on a mat under way (MAT_PAGE_SCREENS), and only when `page`,
    the page's https address (Settings.mat_page_url), is set; else no row."""
    if page is None or screen.kind not in MAT_PAGE_SCREENS:
        return ()
    return ((Button(locale("mat_page.open"), "", web_app=f"{page}?run={run_id}"),),)


def screen_reply(screen: Screen, run_id: int, version: int, locale: Locale, *,
                 edit: bool = False, lead: str | None = None, extra: Keyboard = (),
                 look: tuple[tuple[str, object], ...] = (), about: int | None = None,
                 page: str | None = None) -> Reply:
    """A flow screen as a reply. `about` is the young person whose run it is: a picture of
    their own content (their answers, mat, cards) is kept only tied to them (Reply.about).
    For someone who answers from words (`words_only`), no picture card: the words and word
    buttons. The screen stays on the reply (`Reply.words_only` says not to draw it), so
    read-aloud reads the same words and plays the same recording (bot.service.reading).
    `page`: the Talking Mat page's address; a mat screen then has "Open the mat" first
    (`page_row`)."""
    plain = words_only(screen, look)
    return Reply(caption(screen, locale, lead),
                 page_row(screen, run_id, locale, page)
                 + keyboard(screen, run_id, version, locale, plain=plain) + extra,
                 screen=screen, edit=edit, look=look, about=about, words_only=plain)


def screen_replies(screen: Screen, run_id: int, version: int, locale: Locale, *,
                   edit: bool = False, lead: str | None = None, extra: Keyboard = (),
                   look: tuple[tuple[str, object], ...] = (),
                   about: int | None = None, page: str | None = None) -> list[Reply]:
    """A flow screen as the replies that show it whole (issue 12, points 1 and 3).

    One reply, except: a long review goes out as several pages, each a picture with its lines
    and "Page 1 of 2", the buttons with the last page; and a review that holds a finished
    Talking Mat (Screen.mat, set by the engine) has the mat as its picture, or, when the
    review's words do not fit under a photo (CAPTION_LIMIT, Bot API sendPhoto), the mat picture
    comes first with the mat in words and the review after it. Nothing is cut. `page`: the
    Talking Mat page's address, offered on a mat screen (`screen_reply`)."""
    scale = dict(look).get("text_scale", 1.0)
    text_scale = float(scale) if isinstance(scale, int | float) else 1.0
    # Only the review is paged: "Change something" lists topics, one button each.
    pages = review_pages(screen, locale, lead, text_scale) \
        if screen.review and screen.kind is ScreenKind.REVIEW else []
    mat = screen.mat if screen.kind is ScreenKind.REVIEW else None
    if len(pages) <= 1:
        reply = screen_reply(screen, run_id, version, locale, edit=edit, lead=lead,
                             extra=extra, look=look, about=about, page=page)
        if mat is None or len(reply.text) <= CAPTION_LIMIT:
            return [reply]
    replies: list[Reply] = []
    if mat is not None:
        replies.append(Reply(mat_words(screen, locale)[:CAPTION_LIMIT],
                             picture=Picture(mat.topic.words, mat=mat), edit=edit, look=look,
                             about=about))
        screen, edit = replace(screen, mat=None), False
    if len(pages) <= 1:
        replies.append(screen_reply(screen, run_id, version, locale, lead=lead, extra=extra,
                                    look=look, about=about))
        return replies
    for n, review_part in enumerate(pages, start=1):
        header = locale("review_page", n=n, total=len(pages))
        paged = replace(screen, review=review_part)
        if n < len(pages):  # an earlier page: the picture and words only, no buttons
            replies.append(Reply(caption(replace(paged, notice=None), locale, header),
                                 screen=paged, words_only=words_only(paged, look),
                                 edit=edit and n == 1, look=look, about=about))
        else:  # the note (if any) goes with the buttons, where the young person looks next
            last = "\n\n".join(p for p in (lead, header) if p)
            replies.append(screen_reply(paged, run_id, version, locale, lead=last,
                                        extra=extra, look=look, about=about))
    return replies
