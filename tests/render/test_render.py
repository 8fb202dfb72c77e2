"""Picture cards drawn with Pillow: size, symbols, words, selection, layout, palettes, cache."""

from __future__ import annotations

import io
import logging

import pytest
from PIL import Image, ImageChops, ImageDraw

from bot.render import cards, fonts
from bot.render.cards import (
    MAX_TEXT_CARD_HEIGHT,
    PALETTES,
    RENDER_VERSION,
    Card,
    CardCache,
    CardStyle,
    Tile,
    card_key,
    layout_card,
    render_card,
    render_text_card,
)

TODAY = Card(
    title="How was today?",
    tiles=(Tile("Good", "😀"), Tile("OK", "😐"), Tile("Bad", "🙁"), Tile("Not sure", "🤷")),
)
VOCAB = [
    ("Home", "🏠"), ("School", "🏫"), ("Friend", "🧑‍🤝‍🧑"), ("Teacher", "🧑‍🏫"),
    ("Football", "⚽"), ("Music", "🎵"), ("Pizza", "🍕"), ("Bus", "🚌"), ("Art", "🎨"),
    ("Sleep", "😴"), ("Pet", "🐶"), ("Games", "🎲"),
]  # fmt: skip
LONG_TITLE = (
    "When you think about everything that happens at school on a normal day, which of these "
    "things would you most like the grown-ups at your planning meeting to change next year?"
)


def _open(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    assert img.format == "JPEG"  # what Telegram makes of it anyway (bench/encoders.py)
    img.load()
    return img


def _count(img: Image.Image, box: tuple[int, int, int, int], test: str) -> int:
    """Pixels in box matching a test: 'colour' (saturated), 'dark' (near black), 'black'."""
    region = img.crop(box).convert("RGB")
    if test == "colour":
        hsv = region.convert("HSV")
        sat = hsv.getchannel("S").point(lambda v: 255 if v > 90 else 0)
        val = hsv.getchannel("V").point(lambda v: 255 if v > 60 else 0)
        return ImageChops.multiply(sat, val).histogram()[255]
    grey = region.convert("L")
    if test == "dark":
        return grey.point(lambda v: 255 if v < 60 else 0).histogram()[255]
    r, g, b = region.split()
    black = [ch.point(lambda v: 255 if v == 0 else 0) for ch in (r, g, b)]
    return ImageChops.multiply(ImageChops.multiply(black[0], black[1]), black[2]).histogram()[255]


def _near(colour: object, wanted: tuple[int, int, int], slack: int = 6) -> bool:
    """The colour is `wanted` give or take what JPEG does to a flat colour (a few levels)."""
    assert isinstance(colour, tuple)
    return all(abs(a - b) <= slack for a, b in zip(colour, wanted, strict=True))


def _label_box(spot: cards.TileLayout) -> tuple[int, int, int, int]:
    left, _, right, bottom = spot.box
    label_bottom = min(bottom - 4, spot.label_top + spot.label.height)
    return (left + 8, spot.label_top, right - 8, label_bottom)


def _contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    def lum(rgb: tuple[int, int, int]) -> float:
        def chan(v: int) -> float:
            c = v / 255
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

        r, g, bl = (chan(v) for v in rgb)
        return 0.2126 * r + 0.7152 * g + 0.0722 * bl

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _card(count: int) -> Card:
    tiles = tuple(Tile(label, emoji) for label, emoji in VOCAB[:count])
    return Card(title=f"Pick ({count})", tiles=tiles, footer="Step 2 of 5")


# ------------------------------------------------------------------------------------ basics --


def test_four_tile_card_is_a_small_rgb_jpeg() -> None:
    data = render_card(TODAY)
    img = _open(data)
    assert img.width == 1080 and img.mode == "RGB"
    assert 1000 <= img.height <= 1300
    assert len(data) < 1_000_000
    assert b"OpenMoji" in img.info.get("comment", b"")


def test_symbols_are_drawn_in_every_tile() -> None:
    img = _open(render_card(TODAY))
    for spot in layout_card(TODAY).tiles:
        assert _count(img, spot.symbol, "colour") > 2000, spot.symbol


def test_labels_are_drawn_big() -> None:
    lay = layout_card(TODAY)
    img = _open(render_card(TODAY))
    for spot in lay.tiles:
        assert spot.label.size >= 56
        assert _count(img, _label_box(spot), "dark") > 400
    other = Card(TODAY.title, (Tile("Great", "😀"), *TODAY.tiles[1:]))
    changed = _open(render_card(other))
    box = _label_box(lay.tiles[0])
    assert ImageChops.difference(img.crop(box), changed.crop(box)).getbbox() is not None
    # the other tiles are untouched
    other = lay.tiles[1].box
    assert ImageChops.difference(img.crop(other), changed.crop(other)).getbbox() is None


def test_symbols_are_at_least_forty_percent_of_the_tile() -> None:
    for count in range(1, 13):
        for scale in (1.0, 1.5):
            lay = layout_card(_card(count), CardStyle(text_scale=scale))
            for spot in lay.tiles:
                tile_h = spot.box[3] - spot.box[1]
                assert spot.symbol[3] - spot.symbol[1] >= 0.4 * tile_h, (count, scale)


def test_selected_tile_is_clearly_different() -> None:
    plain = _open(render_card(TODAY))
    tiles = list(TODAY.tiles)
    tiles[1] = Tile("OK", "😐", selected=True)
    chosen = _open(render_card(Card(TODAY.title, tuple(tiles))))
    lay = layout_card(TODAY)
    spot = lay.tiles[1]
    diff = ImageChops.difference(plain.crop(spot.box), chosen.crop(spot.box)).convert("L")
    assert diff.point(lambda v: 255 if v > 40 else 0).histogram()[255] > 5000
    # the tick badge (a shape, not only a colour) sits in the top-right corner
    _, top, right, _ = spot.box
    corner = chosen.crop((right - spot.badge - 20, top, right, top + spot.badge + 20))
    white = corner.convert("L").point(lambda v: 255 if v > 250 else 0)
    assert white.histogram()[255] > 150, "the white tick is missing"
    accent = PALETTES["standard"].accent
    assert sum(n for n, colour in corner.getcolors(1 << 16) or []
               if _near(colour, accent)) > 500
    # other tiles are unchanged
    other = lay.tiles[0].box
    assert ImageChops.difference(plain.crop(other), chosen.crop(other)).getbbox() is None


# ------------------------------------------------------------------------------------ layout --


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.parametrize("count", range(1, 13))
def test_tiles_lay_out_inside_the_canvas_without_overlap(count: int) -> None:
    card = _card(count)
    lay = layout_card(card)
    assert len(lay.tiles) == count
    assert cards.grid_shape(count)[0] * cards.grid_shape(count)[1] >= count
    boxes = [spot.box for spot in lay.tiles]
    for i, box in enumerate(boxes):
        assert 0 < box[0] < box[2] < lay.width and lay.title_box[3] < box[1] < box[3] < lay.height
        assert not any(_overlap(box, other) for other in boxes[i + 1 :])
        spot = lay.tiles[i]
        sym = spot.symbol
        assert box[0] <= sym[0] and sym[2] <= box[2] and box[1] <= sym[1]
        assert sym[3] <= spot.label_top
        assert spot.label_top + spot.label.height <= box[3]
    assert lay.footer_top >= max(b[3] for b in boxes)
    img = _open(render_card(card))
    assert img.size == (lay.width, lay.height)


def test_grid_shapes() -> None:
    expected = {1: (1, 1), 2: (2, 1), 3: (2, 2), 4: (2, 2), 5: (3, 2), 6: (3, 2), 7: (3, 3),
                9: (3, 3), 10: (4, 3), 12: (4, 3)}  # fmt: skip
    for count, shape in expected.items():
        assert cards.grid_shape(count) == shape


def test_too_many_tiles_is_an_error() -> None:
    with pytest.raises(ValueError):
        render_card(Card("Too many", tuple(Tile(str(i), "😀") for i in range(13))))


def test_long_title_and_labels_stay_inside() -> None:
    long_label = "Teaching assistant who helps me every single day with absolutely everything"
    card = Card(
        title=LONG_TITLE,
        tiles=(
            Tile(long_label, "💁"),
            Tile("Supercalifragilisticexpialidocious", "😀"),
            Tile("OK", "😐"),
            Tile("Bad", "🙁"),
        ),
        footer="A very long footer line that goes on and on and on and on and on and on and on",
    )
    style = CardStyle()
    lay = layout_card(card, style)
    # Whole words, never an ellipsis (issue 15, point 5): the card grows instead.
    assert " ".join(lay.title.lines) == " ".join(LONG_TITLE.split())
    title_font = lay.title.font
    for line in lay.title.lines:
        assert title_font.getlength(line) <= lay.width - 2 * 40
    for spot, tile in zip(lay.tiles, card.tiles, strict=True):
        assert " ".join(spot.label.lines) == tile.label
        assert len(spot.label.lines) <= 3
        inner = spot.box[2] - spot.box[0]
        for line in spot.label.lines:
            assert spot.label.font.getlength(line) <= min(inner, spot.label_width)
    img = _open(render_card(card, style))
    bg = PALETTES["standard"].background
    for strip in ((0, 0, 30, img.height), (img.width - 30, 0, img.width, img.height)):
        assert img.crop(strip).getcolors() == [(30 * img.height, bg)]


def test_three_line_title_grows_the_card() -> None:
    lay = layout_card(Card(LONG_TITLE[:80], TODAY.tiles))
    assert len(lay.title.lines) == 3
    assert lay.height > 1080
    short = layout_card(TODAY)
    assert short.height == 1080


def test_text_scale_makes_words_bigger() -> None:
    normal = layout_card(TODAY, CardStyle())
    large = layout_card(TODAY, CardStyle(text_scale=1.5))
    assert large.tiles[0].label.size > normal.tiles[0].label.size
    assert large.title.size > normal.title.size


# ---------------------------------------------------------------------------------- palettes --


@pytest.mark.parametrize("name", sorted(PALETTES))
def test_every_palette_renders_with_aaa_contrast(name: str) -> None:
    pal = PALETTES[name]
    for surface in (pal.background, pal.tile, pal.selected_fill, pal.banner):
        assert _contrast(pal.text, surface) >= 7, (name, surface)
    assert _contrast(pal.muted, pal.background) >= 7
    assert _contrast(pal.accent, pal.selected_fill) >= 3  # the selected border (non-text)
    style = CardStyle(palette=name)
    img = _open(render_card(_card(6), style))
    assert _near(img.getpixel((5, 5)), pal.background)


def test_high_contrast_text_is_pure_black() -> None:
    style = CardStyle(palette="high_contrast")
    img = _open(render_card(TODAY, style))
    lay = layout_card(TODAY, style)
    for spot in lay.tiles:
        assert _count(img, _label_box(spot), "black") > 300
    title = lay.title_box
    assert _count(img, title, "black") > 1000


def test_unknown_palette_and_missing_font_fall_back(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    png = render_card(TODAY, CardStyle(palette="rainbow"))
    assert _near(_open(png).getpixel((5, 5)), PALETTES["standard"].background)
    fonts.text_font_path.cache_clear()
    dyslexic = render_card(TODAY, CardStyle(font="opendyslexic"))
    assert _open(dyslexic).width == 1080
    if any(p.is_file() for p in fonts.OPENDYSLEXIC_PLACES):
        # Installed (CI installs fonts-opendyslexic): the letters really change.
        assert dyslexic != render_card(TODAY)
        assert fonts.text_font_path("opendyslexic").name == "OpenDyslexic-Bold.otf"
    else:
        assert "OpenDyslexic" in caplog.text


# ------------------------------------------------------------------------------------ photos --


def _photo() -> bytes:
    img = Image.new("RGB", (900, 600), (40, 120, 220))
    ImageDraw.Draw(img).ellipse((250, 100, 650, 500), fill=(250, 200, 30))
    out = io.BytesIO()
    img.save(out, "JPEG")
    return out.getvalue()


def test_photo_tiles_and_broken_photos() -> None:
    card = Card(
        "Where do you feel calm?",
        (Tile("Nan's garden", image=_photo()), Tile("Broken", image=b"not a picture"),
         Tile("Bedroom", "🛏️")),
    )  # fmt: skip
    img = _open(render_card(card))
    lay = layout_card(card)
    assert _count(img, lay.tiles[0].symbol, "colour") > 10_000
    assert _count(img, lay.tiles[1].symbol, "colour") > 500  # a picture-frame placeholder


# ------------------------------------------------------------------------------- review card --


def test_review_card_grows_and_caps() -> None:
    short = _open(render_text_card("This is what you said", [("😀", "Today was good")]))
    lines: list[tuple[str, str] | str] = [
        ("🏫", "School: I like art and music but the dinner hall is too loud at lunch time"),
        ("", "A line with no picture"),
        "a plain string line",
    ]
    medium = _open(render_text_card("This is what you said", lines))
    many = _open(render_text_card("What you said", [("👍", f"Thing {i}") for i in range(80)]))
    assert short.width == medium.width == many.width == 1080
    assert short.height < medium.height < many.height <= MAX_TEXT_CARD_HEIGHT
    assert many.height > MAX_TEXT_CARD_HEIGHT - 300


# ----------------------------------------------------------------------------- keys and cache --


def test_card_key_is_stable_and_covers_what_changes_pixels(monkeypatch: pytest.MonkeyPatch) -> None:
    base = card_key(TODAY, CardStyle())
    assert base == card_key(TODAY, CardStyle()) and len(base) == 64
    int(base, 16)
    others = {
        card_key(TODAY, CardStyle(text_scale=1.25)),
        card_key(TODAY, CardStyle(palette="calm")),
        card_key(TODAY, CardStyle(palette="high_contrast")),
        card_key(Card(TODAY.title, TODAY.tiles, footer="Step 1 of 5"), CardStyle()),
        card_key(Card(TODAY.title, (Tile("Good", "😀", selected=True), *TODAY.tiles[1:])),
                 CardStyle()),
        card_key(Card(TODAY.title, (Tile("Good", image=b"a"),)), CardStyle()),
        card_key(Card(TODAY.title, (Tile("Good", image=b"b"),)), CardStyle()),
    }  # fmt: skip
    assert base not in others and len(others) == 7
    monkeypatch.setattr(cards.cache, "RENDER_VERSION", RENDER_VERSION + "-next")
    assert card_key(TODAY, CardStyle()) != base


def test_cache_hits_on_the_second_call() -> None:
    cache = CardCache(max_entries=2)
    key1, png1 = cache.get_or_render(TODAY)
    key2, png2 = cache.get_or_render(TODAY)
    assert key1 == key2 and png2 is png1
    assert (cache.hits, cache.misses) == (1, 1)
    cache.get_or_render(TODAY, CardStyle(palette="calm"))
    cache.get_or_render(TODAY, CardStyle(palette="high_contrast"))
    assert len(cache) == 2  # bounded: the oldest entry was dropped
    _, png3 = cache.get_or_render(TODAY)
    assert png3 is not png1 and png3 == png1  # re-rendered, same pixels
    _, text1 = cache.get_or_render_text("You said", [("😀", "Good")])
    _, text2 = cache.get_or_render_text("You said", [("😀", "Good")])
    assert text1 is text2


def test_rendering_is_deterministic() -> None:
    assert render_card(TODAY) == render_card(TODAY)
