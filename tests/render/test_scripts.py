"""Any script, drawn right (issue 15, point 10): own words and names in Arabic, Urdu, Polish,
Welsh, Bengali and Chinese are drawn on cards, tiles, the profile, the mat and the review in a
font that has every one of their characters (checked on the font's cmap, at the draw call),
shaped and right to left; words no font has stay out of the picture and go in the caption."""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from bidi import get_display
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageFont

from bot.engine.screen import MatCard, MatView
from bot.render import fonts, scripts
from bot.render.cards import Card, CardStyle, Tile, render_card, render_text_card, text
from bot.render.mat import render_mat
from bot.render.profile import render_profile
from bot.service.drawing import MatPicture, ProfilePicture, with_words

SAYINGS = {
    "arabic": "أحب كرة القدم",
    "urdu": "مجھے فٹ بال پسند ہے",
    "polish": "Lubię żółte jabłka",
    "welsh": "Dw i'n hoffi ŵy a tŷ",
    "bengali": "আমি ফুটবল ভালোবাসি",
    "chinese": "我喜欢踢足球",
}
NAMES = {"arabic": "أحمد", "urdu": "عائشہ", "polish": "Łucja", "welsh": "Siân Ŵyn",
         "bengali": "রাহুল", "chinese": "李明"}
DEBIAN_NOTO = (Path("/usr/share/fonts/truetype/noto/NotoSansBengali-Bold.ttf"),
               Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"))
needs_debian = pytest.mark.skipif(
    not all(p.is_file() for p in DEBIAN_NOTO),
    reason="Debian's fonts-noto-core and fonts-noto-cjk are not installed (CI, .ci/run, "
           "installs them): Bengali and Chinese have no font here")
KHITAN = "\U00018b00\U00018b01\U00018b02"  # a script no installed font has


def _face(font: ImageFont.FreeTypeFont) -> scripts.Face:
    return scripts.Face(Path(font.path), getattr(font, "index", 0))


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, ImageFont.FreeTypeFont]]]:
    """Every (text, font) Pillow is asked to draw while the test runs."""
    calls: list[tuple[str, ImageFont.FreeTypeFont]] = []
    real = ImageDraw.ImageDraw.text

    def spy(self: ImageDraw.ImageDraw, xy: object, text: str, *args: object,
            **kwargs: object) -> None:
        font = kwargs.get("font")
        if (isinstance(font, ImageFont.FreeTypeFont) and isinstance(text, str)
                and Path(font.path) != fonts.emoji_font_path()):  # symbols: pictures, not words
            calls.append((text, font))
        real(self, xy, text, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ImageDraw.ImageDraw, "text", spy)
    yield calls


def assert_drawn_whole(calls: list[tuple[str, ImageFont.FreeTypeFont]], words: str) -> None:
    """Every character of `words` was drawn, and every character drawn is in the cmap of the
    font it was drawn with (so none is the .notdef box)."""
    for text_run, font in calls:
        lacking = [c for c in text_run if not c.isspace() and ord(c) not in
                   scripts.cmap(_face(font)) and not scripts._glue(c)]
        assert not lacking, f"{lacking} drawn in {Path(font.path).name}, which lacks them"
    shown = "".join(t for t, _ in calls)
    assert set(words.replace(" ", "")) <= set(shown), f"{words!r} not all drawn: {shown!r}"


def assert_not_boxes(calls: list[tuple[str, ImageFont.FreeTypeFont]], words: str) -> None:
    """Each run holding `words`' letters looks different from the same number of .notdef
    boxes in its font."""
    for text_run, font in list(calls):  # (drawing here adds to calls)
        if not set(text_run) & set(words.replace(" ", "")):
            continue
        boxes = "\ue000" * len(text_run.replace(" ", ""))
        assert _ink(font, text_run.replace(" ", "")) != _ink(font, boxes)


def _ink(font: ImageFont.FreeTypeFont, words: str, **layout: str) -> bytes:
    """The pixels of `words` drawn alone in `font`, cropped to the ink."""
    image = Image.new("L", (int(font.getlength(words, **layout)) + 40, font.size * 2))
    ImageDraw.Draw(image).text((20, font.size), words, font=font, fill=255, anchor="lm",
                               **layout)
    box = image.getbbox()
    return image.crop(box).tobytes() if box else b""


pytestmark = needs_debian


@pytest.mark.parametrize("lang", sorted(SAYINGS))
def test_a_question_card_title_and_tile_label_are_drawn_in_fonts_that_have_them(
        lang: str, drawn: list[tuple[str, ImageFont.FreeTypeFont]]) -> None:
    words = SAYINGS[lang]
    render_card(Card(title=f"{NAMES[lang]}: {words}",
                     tiles=(Tile(label=words, emoji="⚽"), Tile(label=NAMES[lang], emoji="🙂"))))
    assert_drawn_whole(drawn, words + NAMES[lang])
    assert_not_boxes(drawn, words)


@pytest.mark.parametrize("lang", sorted(SAYINGS))
def test_the_one_page_profile_draws_own_words_and_names(
        lang: str, drawn: list[tuple[str, ImageFont.FreeTypeFont]]) -> None:
    words = SAYINGS[lang]
    render_profile(f"{NAMES[lang]}", [("What I like", [("✏️", f"“{words}”")])])
    assert_drawn_whole(drawn, words + NAMES[lang])
    assert_not_boxes(drawn, words)


@pytest.mark.parametrize("lang", sorted(SAYINGS))
def test_the_mat_and_the_review_list_draw_own_words(
        lang: str, drawn: list[tuple[str, ImageFont.FreeTypeFont]]) -> None:
    words = SAYINGS[lang]
    scale = (MatCard("like", "Like", "🙂"), MatCard("unsure", "Not sure", "😐"),
             MatCard("dislike", NAMES[lang], "🙁"))
    render_mat(MatView(MatCard("topic", words, "⚽"), scale,
                       ((MatCard("c1", words, "⚽"),), (), ())))
    render_text_card(NAMES[lang], [("✏️", words), words])
    assert_drawn_whole(drawn, words + NAMES[lang])
    assert_not_boxes(drawn, words)


def test_arabic_is_shaped_joined_and_right_to_left() -> None:
    font = fonts.text_font("atkinson", 80)
    word = "أحب"
    run = scripts.runs(word, _face(font))[0]
    arabic = scripts.pil_font(run.face, 80)  # type: ignore[arg-type]
    assert run.rtl
    joined = _ink(arabic, word, direction="rtl")
    alone = Image.new("L", (400, 120))
    x = 0.0
    for letter in reversed(word):  # isolated forms, laid out right to left
        ImageDraw.Draw(alone).text((x, 10), letter, font=arabic, fill=255)
        x += arabic.getlength(letter)
    assert joined != alone.crop(alone.getbbox()).tobytes()
    # Right to left: the first letter (alef) is at the right end of the word.
    image = Image.new("L", (600, 140))
    scripts.draw_text(ImageDraw.Draw(image), (10, 70), word, font, 255, "lm")
    left, _, right, _ = image.getbbox()  # type: ignore[misc]
    alef = arabic.getmask("أ")
    right_part = image.crop((right - alef.size[0] - 4, 0, right, 140))
    left_part = image.crop((left, 0, left + alef.size[0] + 4, 140))
    assert _tall(right_part) > _tall(left_part)  # alef's tall stroke ends the line on the right


def _tall(image: Image.Image) -> int:
    box = image.getbbox()
    return 0 if box is None else box[3] - box[1]


def test_a_right_to_left_paragraph_lays_its_runs_out_from_the_right(
        drawn: list[tuple[str, ImageFont.FreeTypeFont]]) -> None:
    font = fonts.text_font("atkinson", 60)
    image = Image.new("RGB", (1000, 100))
    positions: list[tuple[str, float]] = []
    real = ImageDraw.ImageDraw.text

    def where(self: ImageDraw.ImageDraw, xy: tuple[float, float], text_run: str,
              *args: object, **kwargs: object) -> None:
        positions.append((text_run, xy[0]))
        real(self, xy, text_run, *args, **kwargs)  # type: ignore[arg-type]

    pytest.MonkeyPatch().setattr(ImageDraw.ImageDraw, "text", where)
    try:
        scripts.draw_text(ImageDraw.Draw(image), (500, 50), "أحب Messi", font, "white", "mm")
    finally:
        pytest.MonkeyPatch().undo()
        ImageDraw.ImageDraw.text = real  # type: ignore[method-assign]
    x = dict((t.strip(), pos) for t, pos in positions)
    assert x["Messi"] < x["أحب"]


def test_latin_the_card_font_has_is_pixel_identical_to_drawing_it_directly(
        monkeypatch: pytest.MonkeyPatch) -> None:
    cards = [Card(title="How was school today?", tiles=(Tile(label="Good", emoji="😀"),
                                                         Tile(label="Lubię żółte", emoji="🍏"))),
             Card(title="A much longer question that needs two lines to fit on the card",
                  tiles=tuple(Tile(label=w, emoji="🙂") for w in ("Art", "Maths", "PE"))),
             Card(title="Café", footer="Step 2 of 5")]
    styles = [CardStyle(), CardStyle(font="opendyslexic", text_scale=1.5)]
    new = [render_card(c, s) for c in cards for s in styles]
    monkeypatch.setattr(text, "_width", lambda font, t: font.getlength(t))
    monkeypatch.setattr(text, "_draw_line", lambda draw, xy, t, font, fill, anchor: draw.text(
        xy, t, font=font, fill=fill, anchor=anchor))
    old = [render_card(c, s) for c in cards for s in styles]
    for before, after in zip(old, new, strict=True):
        assert Image.open(io.BytesIO(before)).tobytes() == Image.open(io.BytesIO(after)).tobytes()


def test_words_no_font_has_stay_out_of_the_picture_and_go_in_the_caption(
        drawn: list[tuple[str, ImageFont.FreeTypeFont]]) -> None:
    assert not scripts.readable(KHITAN, "atkinson")
    assert scripts.readable(SAYINGS["bengali"], "atkinson")
    picture = ProfilePicture("My one-page profile",
                             (("What I like", (("✏️", f"“{KHITAN}”"), ("⚽", "Football"))),),
                             None, CardStyle())
    picture.render()
    shown = "".join(t for t, _ in drawn)
    assert not set(KHITAN) & set(shown)
    assert scripts.SEE_BELOW in shown and "Football" in shown
    assert_drawn_whole(drawn, "Football")
    caption = with_words("Here is your one-page profile.", picture, "In words:")
    assert caption.endswith(f"In words:\n“{KHITAN}”")
    scale = (MatCard("a", "Like", "🙂"), MatCard("b", "Not sure", "😐"),
             MatCard("c", "Don't like", "🙁"))
    mat = MatPicture(MatView(MatCard("t", "Food", "🍎"), scale,
                             ((MatCard("x", KHITAN, "🍚"),), (), ())), CardStyle())
    assert mat.words_not_drawn() == [KHITAN]
    assert with_words("Saved.", mat, "In words:") == f"Saved.\n\nIn words:\n{KHITAN}"
    assert with_words("Saved.", MatPicture(mat.view.__class__(
        MatCard("t", "Food", "🍎"), scale, ((), (), ())), CardStyle()), "In words:") == "Saved."


def test_emoji_in_words_are_left_out_quietly_not_drawn_as_boxes(
        drawn: list[tuple[str, ImageFont.FreeTypeFont]]) -> None:
    render_card(Card(title="I like football ⚽ a lot"))
    assert_drawn_whole(drawn, "I like football a lot")
    assert scripts.readable("I like football ⚽", "atkinson")


# -- mixed lines: the visual order of the Unicode bidirectional algorithm ----------------------

# Each line, as the units it is made of in reading (logical) order, and whether the paragraph
# reads right to left. Own words mix a game, a number or a name into Arabic or Urdu.
MIXED = {
    "arabic_latin": (("أحب", "Minecraft", "كثيرا"), True),
    "arabic_digits": (("عمري", "15", "سنة"), True),
    "urdu_latin": (("مجھے", "Minecraft", "پسند ہے"), True),
    "latin_arabic_ltr": (("I like", "أحب", "football"), False),
}


def _draw_calls(monkeypatch: pytest.MonkeyPatch, text_line: str, font: ImageFont.FreeTypeFont,
                size: tuple[int, int], xy: tuple[float, float]
                ) -> tuple[Image.Image, list[tuple[str, Image.Image]]]:
    """`text_line` drawn by scripts.draw_text (anchor "lm"), and each of Pillow's draw calls
    drawn again alone on a blank picture of the same size (so its ink is where it is in the
    line)."""
    image = Image.new("L", size)
    calls: list[tuple[str, Image.Image]] = []
    real = ImageDraw.ImageDraw.text

    def record(self: ImageDraw.ImageDraw, at: object, text_run: str, *args: object,
               **kwargs: object) -> None:
        alone = Image.new("L", size)
        real(ImageDraw.Draw(alone), at, text_run, *args, **kwargs)  # type: ignore[arg-type]
        calls.append((text_run, alone))
        real(self, at, text_run, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ImageDraw.ImageDraw, "text", record)
    scripts.draw_text(ImageDraw.Draw(image), xy, text_line, font, 255, "lm")
    monkeypatch.undo()
    return image, calls


def _columns(image: Image.Image) -> tuple[int, int]:
    box = image.getbbox()
    assert box is not None
    return box[0], box[2]


@pytest.mark.parametrize("case", sorted(MIXED))
def test_a_mixed_line_is_in_bidi_order_with_a_space_between_its_words(
        case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    units, rtl = MIXED[case]
    line = " ".join(units)
    font = fonts.text_font("atkinson", 60)
    image, calls = _draw_calls(monkeypatch, line, font, (1400, 120), (40, 60))
    assert scripts.rtl_paragraph(line) is rtl
    # Where each unit's ink is: the draw call that drew it (and nothing else but spaces).
    ink = {}
    for unit in units:
        drawn_it = [alone for text_run, alone in calls if text_run.strip() == unit]
        assert len(drawn_it) == 1, f"{unit!r} not drawn by one call: {[t for t, _ in calls]}"
        ink[unit] = _columns(drawn_it[0])
    visual = sorted(units, key=lambda unit: ink[unit][0])
    assert visual == (list(reversed(units)) if rtl else list(units)), visual
    space = font.getlength(" ")
    for left, right in itertools.pairwise(visual):
        gap = (ink[left][1], ink[right][0])
        assert space * 0.5 <= gap[1] - gap[0] <= space * 2, (
            f"{left!r} and {right!r}: {gap[1] - gap[0]} px apart, a space is {space}")
        between = image.crop((gap[0], 0, gap[1], image.height))
        assert between.getbbox() is None, f"ink between {left!r} and {right!r}"


@pytest.mark.parametrize("case", sorted(MIXED))
def test_the_width_of_a_mixed_line_is_the_width_drawn(
        case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    line = " ".join(MIXED[case][0])
    font = fonts.text_font("atkinson", 60)
    for anchor_x, anchor in ((40.0, "lm"), (1360.0, "rm"), (700.0, "mm")):
        image = Image.new("L", (1400, 120))
        scripts.draw_text(ImageDraw.Draw(image), (anchor_x, 60), line, font, 255, anchor)
        left, right = _columns(image)
        start = anchor_x - {"l": 0, "r": 1, "m": 0.5}[anchor[0]] * scripts.width(font, line)
        end = start + scripts.width(font, line)
        # The ink fills the measured width, but for the side bearings of the letters at the ends.
        assert start - 4 <= left and right <= end + 4, (start, left, right, end)
        assert (left - start) + (end - right) < font.size * 0.3, (start, left, right, end)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="أحبكثيراعمرينةمجھےپسندہ Minecraft李明15١٥.,!-", min_size=1, max_size=30)
       .map(str.strip).filter(bool), st.lists(st.integers(1, 29), max_size=6))
def test_the_visual_order_agrees_with_python_bidis_own_reordering(
        line: str, cuts: list[int]) -> None:
    """The line cut into runs of different fonts (anywhere: a fallback font can start in the
    middle of a stretch of Latin), the runs cut into pieces at their embedding levels, put in
    order by `visual_order` and each read in its own direction, give the string python-bidi's
    (Rust, current Unicode) get_display gives."""
    ends = sorted({c for c in cuts if c < len(line)} | {0, len(line)})
    line_runs = [scripts.Run(line[a:b], scripts.Face(Path(f"font{i % 2}.ttf")))
                 for i, (a, b) in enumerate(itertools.pairwise(ends))]
    pieces = scripts.visual_order(scripts._split_by_level(line_runs, scripts.bidi_levels(line)))
    shown = "".join(p.run.text[::-1] if p.level % 2 else p.run.text for p in pieces)
    assert shown == get_display(line, base_dir="R" if scripts.rtl_paragraph(line) else "L")


@pytest.mark.parametrize("text", ["\u2067abc\u2069 أحب", "a\u2066b", "\u2068x", "0\u202e1"])
def test_isolates_and_overrides_still_give_a_level_for_every_character(text: str) -> None:
    """Directional isolates (U+2066-U+2069), which python-bidi's older implementation rejects,
    still give one level per character, and the line is drawn (a young person's own words
    may hold them: a phone puts them around a name)."""
    levels = scripts.bidi_levels(text)
    assert len(levels) == len(text)
    canvas = Image.new("RGB", (800, 100), "white")
    scripts.draw_text(ImageDraw.Draw(canvas), (10, 50), text, fonts.text_font("atkinson", 40),
                      (0, 0, 0), "lm")
