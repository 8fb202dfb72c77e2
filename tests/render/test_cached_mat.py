"""The mat drawn from cached parts is the mat drawn afresh, pixel for pixel (issue 17, point 1).

Every Talking Mat topic of every flow is grown card by card as the young person places it (the
card being placed below, cards left off, a card moved to another column), at every text size
in /settings (and in every palette at every size, a topic each), and each picture drawn from
one long-lived parts cache (warmed by the other mats and styles before it, so a part keyed by
too little would be pasted where it does not belong) must equal the full redraw: same size,
same bytes. Also a personal photo card, long words that wrap, and any sequence of placements
(Hypothesis).
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from bot.engine.flows import StepType
from bot.engine.screen import MatCard, MatView
from bot.render import mat as mat_module
from bot.render.cards import PALETTES, CardStyle
from bot.render.cards.parts import PartsCache, digest
from bot.render.mat import draw_mat, render_mat
from bot.render.screens import Picture
from bot.service.drawing import MatPicture
from bot.service.features.settings import CHOICES
from bot.services import load_content

ENGINE = load_content().engine
SIZES = [value for value, _key, _emoji in CHOICES["z"][1]]  # Normal, Big, Very big
STYLES = [CardStyle(text_scale=size, palette=palette) for size in SIZES for palette in PALETTES]
LEFT_OFF = 3

# One cache for the whole module, big enough to keep everything: each mat is drawn into a
# cache that already holds the parts of every mat and style drawn before it.
WARM = PartsCache(512 * 1024 * 1024)


def _card(symbol_id: str) -> MatCard:
    return MatCard(symbol_id, ENGINE.vocabulary[symbol_id].words,
                   ENGINE.vocabulary[symbol_id].emoji)


def every_topic() -> Iterator[tuple[str, MatCard, tuple[MatCard, MatCard, MatCard],
                                    list[MatCard]]]:
    """(where, topic, scale, cards) for each topic of each flow's Talking Mat step."""
    for flow in ENGINE.flows.values():
        for step in flow.steps:
            if step.type is not StepType.MAT:
                continue
            scale = tuple(_card(s) for s in step.scale)
            assert len(scale) == 3
            for topic, ids in step.topics.items():
                yield (f"{flow.id}/{step.id}/{topic}", _card(topic),
                       (scale[0], scale[1], scale[2]), [_card(s) for s in ids])


def view_of(topic: MatCard, scale: tuple[MatCard, MatCard, MatCard],
            placed: list[tuple[MatCard, int]], current: MatCard | None) -> MatView:
    """The mat as bot.engine.core builds it: cards under each scale point in the order placed,
    those left off, and the card being placed (or moved) now."""
    columns: list[list[MatCard]] = [[], [], []]
    left: list[MatCard] = []
    for card, column in placed:
        (left if column == LEFT_OFF else columns[column]).append(card)
    return MatView(topic, scale, (tuple(columns[0]), tuple(columns[1]), tuple(columns[2])),
                   current, tuple(left))


def growing(topic: MatCard, scale: tuple[MatCard, MatCard, MatCard],
            cards: list[MatCard]) -> Iterator[tuple[MatView, str]]:
    """The mat after each placement, then a card moved to another column, then finished."""
    placed: list[tuple[MatCard, int]] = []
    for i, card in enumerate(cards):
        yield view_of(topic, scale, placed, card), f"placing card {i + 1}"
        placed.append((card, [0, 2, 1, 0, LEFT_OFF][i % 5]))
    yield view_of(topic, scale, placed, None), "all placed"
    moving, column = placed.pop(0)  # "Move a card": it leaves its column and is shown below
    yield view_of(topic, scale, placed, moving), "moving the first card"
    placed.append((moving, (column + 1) % 3))
    yield view_of(topic, scale, placed, None), "the first card moved"


def same(view: MatView, style: CardStyle, images: dict[int, bytes] | None = None,
         title: str = "", parts: PartsCache = WARM) -> list[str]:
    """Problems: where the cached drawing differs from the full redraw (none when equal)."""
    full = draw_mat(view, style, images, title)
    cached = draw_mat(view, style, images, title, parts)
    if full.size != cached.size:
        return [f"size {cached.size}, not {full.size}"]
    if full.tobytes() != cached.tobytes():
        return ["pixels differ"]
    return []


def _style_id(style: CardStyle) -> str:
    return f"{style.palette}-{style.text_scale}"


TOPICS = list(every_topic())


def topics_for(style: CardStyle) -> list[tuple[str, MatCard, tuple[MatCard, MatCard, MatCard],
                                               list[MatCard]]]:
    """Every topic in the standard palette; in each other palette one topic, a different one
    per palette and size (a palette changes only colours; the full redraw to compare with is
    the slow part, so every topic in every palette would add minutes to the suite)."""
    if style.palette == "standard":
        return TOPICS
    at = list(PALETTES).index(style.palette) + len(PALETTES) * SIZES.index(style.text_scale)
    return [TOPICS[at % len(TOPICS)]]


@pytest.mark.parametrize("style", STYLES, ids=_style_id)
def test_every_mat_as_it_grows_is_the_full_redraw(style: CardStyle) -> None:
    problems: list[str] = []
    for where, topic, scale, cards in topics_for(style):
        for view, when in growing(topic, scale, cards):
            problems += [f"{where}, {when}: {p}" for p in same(view, style)]
    # A title in place of the topic's words (bot.render.screens.picture_for gives one).
    problems += [f"titled: {p}" for p in same(view, style, title="My Talking Mat about it")]
    assert not problems, "\n".join(problems[:20])
    assert WARM.hits > 0


def photo(colour: tuple[int, int, int], size: tuple[int, int] = (320, 240)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


TOPIC = MatCard("topic", "Weekends at my grandma's house by the sea", "🏖️")
SCALE = (MatCard("like", "I really like it a lot", "👍"),
         MatCard("not_sure", "Not sure", "🤔"),
         MatCard("dont_like", "I don't like it at all, it makes me cross", "👎"))
OWN = MatCard("card_1", "Grandma", "", image=7)
LONG = MatCard("card_2", "Going to the swimming pool on Saturday mornings with my cousins",
               "🏊")
WORD = MatCard("card_3", "Supercalifragilisticexpialidocious", "🎵")
NO_SYMBOL = MatCard("card_4", "Words and no picture", "")


@pytest.mark.parametrize("style", STYLES, ids=_style_id)
def test_a_photo_card_and_long_words_that_wrap(style: CardStyle) -> None:
    images = {7: photo((255, 0, 255))}
    cards = [OWN, LONG, WORD, NO_SYMBOL, MatCard("card_5", "Broken photo", "", image=9)]
    images[9] = b"not a picture at all"  # the placeholder is drawn
    problems: list[str] = []
    for view, when in growing(TOPIC, SCALE, cards):
        problems += [f"{when}: {p}" for p in same(view, style, images)]
    # The same media id showing another photo is another part, not the first one pasted.
    view = view_of(TOPIC, SCALE, [(OWN, 0)], None)
    problems += [f"other photo: {p}" for p in same(view, style, {7: photo((0, 200, 0))})]
    problems += [f"photo not given: {p}" for p in same(view, style, {})]
    assert not problems, "\n".join(problems)


PLACEMENT = st.tuples(st.integers(0, 11), st.sampled_from([0, 1, 2, LEFT_OFF]))
WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDE ,'?", min_size=1, max_size=60)


@settings(max_examples=15, deadline=None)
@given(topic=st.sampled_from(TOPICS),
       moves=st.lists(PLACEMENT, min_size=0, max_size=10),
       own_words=st.lists(WORDS, min_size=0, max_size=3),
       style=st.sampled_from(STYLES))
def test_any_placements_drawn_from_parts_are_the_full_redraw(
        topic: tuple[str, MatCard, tuple[MatCard, MatCard, MatCard], list[MatCard]],
        moves: list[tuple[int, int]], own_words: list[str], style: CardStyle) -> None:
    """Any cards (a young person's own words too), placed, moved and left off in any order:
    after every placement the cached mat is the full redraw."""
    _where, top, scale, cards = topic
    cards = [*cards, *(MatCard(f"own_{i}", w, "🙂") for i, w in enumerate(own_words))]
    placed: list[tuple[MatCard, int]] = []
    for index, column in moves:
        card = cards[index % len(cards)]
        placed = [(c, col) for c, col in placed if c != card]  # placed before: a move
        assert not same(view_of(top, scale, placed, card), style)
        placed.append((card, column))
        assert not same(view_of(top, scale, placed, None), style)


def test_the_mat_sent_and_the_mat_kept_are_one_picture_encoded_once() -> None:
    """Drawn from parts, the encoded mat is the full redraw's bytes; the finished mat asked for
    again (the record after commit, then the review) is encoded once."""
    _where, topic, scale, cards = next(every_topic())
    view = view_of(topic, scale, [(c, i % 3) for i, c in enumerate(cards[:6])], None)
    style = CardStyle(text_scale=1.25, palette="calm")
    encoded = 0
    real = mat_module._png

    def counted(canvas: Image.Image) -> bytes:
        nonlocal encoded
        encoded += 1
        return real(canvas)

    mat_module._RECENT.forget()
    full = render_mat(view, style, {}, topic.words)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mat_module, "_png", counted)
        shown = Picture(topic.words, mat=view).render(None, style)[1]  # confirm / review
        kept = MatPicture(view, style).render()  # the record, drawn after commit
    assert shown == kept == full
    assert encoded == 1


def test_fitted_words_are_kept_under_a_digest_only() -> None:
    secret = MatCard("card_9", "My secret hiding place", "🤫")
    view = view_of(TOPIC, SCALE, [(secret, 0)], None)
    draw_mat(view, CardStyle(), parts=PartsCache(64 * 1024 * 1024))
    keys = repr(list(mat_module._FITS._items))
    assert "secret" not in keys and digest("My secret hiding place") in keys
