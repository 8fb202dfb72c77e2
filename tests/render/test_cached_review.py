"""Review pictures drawn from cached parts (issue 17, point 1) are the full redraw, pixel for
pixel: every flow's review (each flow walked through the real engine to its review, and its
"Change something" list), at every text size, palette and font /settings offers, with and
without symbols, long and wrapped words, the "…and N more" cut, Arabic; the one-page profile
likewise. The parts cache is warmed by other reviews first (the same words with other symbols,
other styles, other titles), so a part keyed by too little would be pasted where it does not
belong and show here."""

from __future__ import annotations

import io
import random
from collections.abc import Iterator, Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from bot.engine.core import Action, ActionKind, AnswerRecord
from bot.engine.screen import Control, Screen, ScreenKind
from bot.preferences import options
from bot.render import symbol_set
from bot.render.cards import CardStyle, draw_text_card, render_text_card
from bot.render.cards.parts import PartsCache
from bot.render.cards.review import ReviewLine
from bot.render.profile import draw_profile, render_profile
from bot.render.screens import picture_for
from bot.render.symbol_set import SymbolSet
from bot.service import present
from bot.services import load_content
from tests.render.test_symbol_set import EXAMPLE, GOOD, LIKE

CONTENT = load_content()
ENGINE = CONTENT.engine
SAY = CONTENT.locale
FLOWS = sorted(ENGINE.flows)
SIZES = [value for value, _, _ in options("text_scale")]
PALETTES = [value for value, _, _ in options("palette")]
FONTS = [value for value, _, _ in options("font")]
STYLES = [CardStyle(size, palette, FONTS[n % len(FONTS)])
          for n, (size, palette) in enumerate((s, p) for s in SIZES for p in PALETTES)]
ARABIC = "أحب الرسم والموسيقى في المدرسة"
LONG_WORD = "Supercalifragilisticexpialidocious" * 3
WORDS = ["I like art", "The bus is loud and the lights are too bright in the morning " * 3,
         ARABIC, LONG_WORD, "ok", "Mornings are better with a plan and a quiet place"]

# One cache for the whole module: every picture drawn here warms it for the next ones.
PARTS = PartsCache(256 * 1024 * 1024)


def same(a: Image.Image, b: Image.Image) -> bool:
    return a.size == b.size and a.mode == b.mode and a.tobytes() == b.tobytes()


def lines_of(screen: Screen) -> tuple[ReviewLine, ...]:
    """The review's lines as the review picture shows them (bot.render.screens.picture_for)."""
    picture = picture_for(screen, present.prompt_words(screen, SAY))
    if picture is not None and picture.as_list:
        return picture.lines
    return tuple((line.emoji, f"{line.title}: {line.words or line.answer}",
                  tuple(emoji for emoji, _ in line.symbols)) for line in screen.review)


def move(screen: Screen, rng: random.Random) -> Action:
    """An answer for the screen: a choice, a few ticks then Done, own words (sometimes long or
    Arabic), a photo, a mat card placed; Done or Skip otherwise."""
    kind = screen.kind
    controls = set(screen.controls)
    if kind in (ScreenKind.CHOICE, ScreenKind.MAT_MOVE) and screen.options:
        if rng.random() < 0.2 and Control.DONT_KNOW in controls:
            return Action(ActionKind.DONT_KNOW)
        if rng.random() < 0.2:
            return Action(ActionKind.TEXT, text=rng.choice(WORDS))
        return Action(ActionKind.CHOOSE, rng.choice(screen.options).index)
    if kind is ScreenKind.MULTI:
        ticked = [o for o in screen.options if o.selected]
        if screen.options and len(ticked) < 3 and rng.random() < 0.75:
            return Action(ActionKind.TOGGLE, rng.choice(screen.options).index)
        return Action(ActionKind.DONE)
    if kind is ScreenKind.TEXT:
        return Action(ActionKind.TEXT, text=rng.choice(WORDS))
    if kind is ScreenKind.PHOTO:
        return Action(ActionKind.MEDIA, media=(1, "photo"))
    if kind is ScreenKind.MAT_PLACE:
        return Action(ActionKind.CHOOSE, rng.randrange(3))
    if kind is ScreenKind.MAT_REVIEW:
        return Action(ActionKind.RIGHT)
    return Action(ActionKind.DONE if Control.DONE in controls else ActionKind.SKIP)


def walk_to_review(flow_id: str, seed: int) -> tuple[Screen, Screen | None]:
    """The flow's review screen reached through the engine with seeded answers, and its
    "Change something" screen."""
    rng = random.Random(seed)
    state, screen = ENGINE.start(flow_id, {})
    answers: dict[str, AnswerRecord] = {}
    for _ in range(300):
        if screen.kind is ScreenKind.REVIEW:
            break
        outcome = ENGINE.apply(state, answers, move(screen, rng))
        if outcome.answer is not None:
            answers[outcome.answer.step_id] = outcome.answer
        state, screen = outcome.state, outcome.screen
    assert screen.kind is ScreenKind.REVIEW and screen.review, (flow_id, screen.kind)
    change = ENGINE.apply(state, answers, Action(ActionKind.CHANGE)).screen \
        if Control.CHANGE in screen.controls else None
    return screen, change


def reviews(flow_id: str) -> Iterator[tuple[str, tuple[ReviewLine, ...]]]:
    """(title, lines) of each picture the flow's review is drawn as: the whole review, each
    page (bot.service.present.review_pages), "Change something", and the review with one
    line more than the one before (as it grows)."""
    for seed in (1, 2):
        screen, change = walk_to_review(flow_id, seed)
        title = present.prompt_words(screen, SAY)
        whole = lines_of(screen)
        yield title, whole
        if seed == 1:  # growing: the last few steps, each a line more
            for n in range(max(1, len(whole) - 3), len(whole)):
                yield title, whole[:n]
        for page in present.review_pages(screen, SAY):
            yield title, lines_of(screen.__class__(**{**screen.__dict__, "review": page}))
        if change is not None and change.review:
            yield present.prompt_words(change, SAY), lines_of(change)


def warm_with_decoys(title: str, lines: Sequence[ReviewLine], style: CardStyle) -> None:
    """Draw look-alikes into PARTS first: the same lines with no symbols, another symbol, in
    other styles, another title; a part keyed by too little would then be the wrong one."""
    plain = [(line[1] if isinstance(line, tuple) else line) for line in lines]
    other = [("🐶", line[1], ("🎲",)) if isinstance(line, tuple) else ("🐶", line)
             for line in lines]
    draw_text_card(title, plain, style, PARTS)
    draw_text_card(title, other, style, PARTS)
    draw_text_card(title + "!", lines, style, PARTS)
    decoy = STYLES[0] if style != STYLES[0] else STYLES[-1]
    draw_text_card(title, lines, decoy, PARTS)


@pytest.mark.parametrize("flow_id", FLOWS)
def test_every_flows_review_from_cached_parts_is_the_full_redraw(flow_id: str) -> None:
    pictures = list(reviews(flow_id))
    assert pictures
    for n, style in enumerate(STYLES):
        for k, (title, lines) in enumerate(pictures):
            if k % len(STYLES) != n and k > 0:
                continue  # the whole review at every style; each other picture at one
            if k == 0:
                warm_with_decoys(title, lines, style)
            full = draw_text_card(title, lines, style)
            assert same(draw_text_card(title, lines, style, PARTS), full), (title, style)
            if k == 0:  # again, every part now from the cache
                assert same(draw_text_card(title, lines, style, PARTS), full)


@pytest.mark.parametrize("style", STYLES, ids=lambda s: f"{s.text_scale}-{s.palette}-{s.font}")
def test_made_up_reviews_match_at_every_size_and_palette(style: CardStyle) -> None:
    lines: list[ReviewLine] = [("😀", "Today was good"), "words with no symbol",
                               ("🏫", "School: art and music", ("🎨", "🎵", "⚽", "🍕")),
                               ("", "no symbol but chosen ones", ("👍",)),
                               ("✏️", ARABIC), ("🚌", WORDS[1]), ("📷", LONG_WORD),
                               ("🙂", f"Mixed {ARABIC} and English")]
    many = [("👍", f"Thing {i} that I said") for i in range(60)]  # ends "…and N more"
    for title, shown in (("This is what you said", lines), ("What you said", many),
                         (ARABIC, lines[:3]), ("", lines[:2]), ("Nothing", [])):
        warm_with_decoys(title, shown, style)
        full = draw_text_card(title, shown, style)
        assert same(draw_text_card(title, shown, style, PARTS), full), title
    cut = draw_text_card("What you said", many, style, PARTS)
    assert cut.height <= 2600


def test_the_encoded_picture_is_the_same_bytes_with_or_without_parts() -> None:
    lines = [("😀", "Today was good"), ("🏫", "I like art", ("🎨",))]
    assert render_text_card("You said", lines, parts=PARTS) == render_text_card("You said", lines)


def test_a_service_symbol_set_gives_rows_of_their_own() -> None:
    """The same line drawn with OpenMoji and then with the service's own symbols: the row
    part must not be re-used across symbol sets (the key holds the set's marks)."""
    lines = [(GOOD, "How was today?: Good", (LIKE,))]
    parts = PartsCache(64 * 1024 * 1024)
    openmoji = draw_text_card("You said", lines, parts=parts)
    try:
        load_content(None, EXAMPLE)  # makes the example set the active one
        own = draw_text_card("You said", lines)
        assert same(draw_text_card("You said", lines, parts=parts), own)
        assert not same(own, openmoji)
    finally:
        symbol_set.use(SymbolSet())
    assert same(draw_text_card("You said", lines, parts=parts), openmoji)


line_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=80)
symbols = st.sampled_from(["😀", "🏫", "🎨", "👍", "🚌", "🐶", "✏️", "", "🧑‍🤝‍🧑"])
review_line = st.one_of(
    line_text,
    st.tuples(symbols, line_text),
    st.tuples(symbols, line_text, st.lists(symbols.filter(bool), max_size=6).map(tuple)),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=line_text, lines=st.lists(review_line, max_size=12),
       style=st.sampled_from(STYLES))
def test_any_review_from_cached_parts_is_the_full_redraw(
        title: str, lines: list[ReviewLine], style: CardStyle) -> None:
    full = draw_text_card(title, lines, style)
    assert same(draw_text_card(title, lines, style, PARTS), full)
    assert same(draw_text_card(title, lines, style, PARTS), full)


def profile_sections(words: str) -> list[tuple[str, list[tuple[str, str]]]]:
    return [("What people like about me", [("⚽", "Football"), ("🎵", f"Music: {words}")]),
            ("What is important to me", []),
            ("How best to support me", [("🤫", WORDS[1]), ("✏️", ARABIC), ("📷", LONG_WORD)])]


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (180, 60, 90)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("style", STYLES, ids=lambda s: f"{s.text_scale}-{s.palette}-{s.font}")
def test_the_profile_from_cached_parts_is_the_full_redraw(style: CardStyle) -> None:
    for title, picture in (("My one-page profile", None), ("My one-page profile", photo()),
                           (f"{ARABIC} " * 4, None)):
        for words in ("I play guitar", "I play the drums"):  # one line changed
            draw_profile(title + "?", profile_sections(words), picture, style, PARTS)  # decoy
            full = draw_profile(title, profile_sections(words), picture, style)
            assert same(draw_profile(title, profile_sections(words), picture, style, PARTS),
                        full)
    assert render_profile("Me", profile_sections("x"), None, style, PARTS) == \
        render_profile("Me", profile_sections("x"), None, style)
