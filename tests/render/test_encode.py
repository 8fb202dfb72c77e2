"""The encoder every drawn picture goes through (bot.render.cards.shapes.encode, issue 17):
JPEG that keeps the words legible, the picture's size, and its attribution.

The floors are measured (bench/encoders.py): quality 90, 4:4:4 gives at least 43.6 dB over
a whole 1080 px card and 42.5 dB over its title band on the hardest card (12 tiles); the
floors sit a little below, so a change of encoder that blurs the words fails here.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator

import pytest
from PIL import Image, ImageChops

from bot.render.cards import PALETTES, Card, CardStyle, Tile, attribution, layout_card, render_card
from bot.render.cards import draw as card_drawing
from bot.render.cards.shapes import MIME_TYPE, encode, mime_type_of

WHOLE_FLOOR = 42.0  # dB, the decoded file against the canvas
TITLE_FLOOR = 41.0  # dB, over the title band
TWELVE = [("Home", "🏠"), ("School", "🏫"), ("Friend", "🧑‍🤝‍🧑"), ("Teacher", "🧑‍🏫"),
          ("Football", "⚽"), ("Music", "🎵"), ("Pizza", "🍕"), ("Bus", "🚌"), ("Art", "🎨"),
          ("Sleep", "😴"), ("Pet", "🐶"), ("Games", "🎲")]
CARD = Card("What do you like doing?", tuple(Tile(w, e) for w, e in TWELVE), "Step 3 of 5")
STYLES = [CardStyle(palette=name) for name in sorted(PALETTES)] + [CardStyle(text_scale=1.5)]


@pytest.fixture
def canvases(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Image.Image]]:
    """The canvases render_card hands to the encoder, kept (it returns only bytes)."""
    kept: list[Image.Image] = []

    def keep(canvas: Image.Image) -> bytes:
        kept.append(canvas.copy())
        return encode(canvas)

    monkeypatch.setattr(card_drawing, "_png", keep)
    yield kept


def _psnr(a: Image.Image, b: Image.Image) -> float:
    """Peak signal-to-noise ratio of b against a, in dB (RGB, same size)."""
    squares = sum(n * (i % 256) ** 2 for i, n in enumerate(ImageChops.difference(a, b)
                                                            .histogram()))
    mse = squares / (3 * a.width * a.height)
    return 99.0 if mse == 0 else 10 * math.log10(255 * 255 / mse)


def _decoded(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "JPEG"
        return img.convert("RGB")


@pytest.mark.parametrize("style", STYLES, ids=lambda s: f"{s.palette}-{s.text_scale}")
def test_every_palette_keeps_its_words_legible(canvases: list[Image.Image],
                                               style: CardStyle) -> None:
    data = render_card(CARD, style)
    canvas = canvases[-1]
    picture = _decoded(data)
    assert picture.size == canvas.size
    assert _psnr(canvas, picture) >= WHOLE_FLOOR
    band = (0, 0, canvas.width, layout_card(CARD, style).title_box[3])
    assert _psnr(canvas.crop(band), picture.crop(band)) >= TITLE_FLOOR
    assert attribution() in Image.open(io.BytesIO(data)).info["comment"].decode()


def _after_telegram(data: bytes) -> Image.Image:
    """Roughly what Telegram shows (bench/encoders.py: JPEG 87, 4:2:0), 360 px wide."""
    out = io.BytesIO()
    Image.open(io.BytesIO(data)).convert("RGB").save(out, "JPEG", quality=87, subsampling=2)
    seen = Image.open(io.BytesIO(out.getvalue())).convert("RGB")
    return seen.resize((360, round(seen.height * 360 / seen.width)), Image.Resampling.LANCZOS)


def test_after_telegram_the_title_looks_as_a_lossless_uploads_does(
        canvases: list[Image.Image]) -> None:
    render_card(CARD)
    canvas = canvases[-1]
    ideal = canvas.resize((360, round(canvas.height * 360 / canvas.width)),
                          Image.Resampling.LANCZOS)
    band = (0, 0, 360, round(layout_card(CARD).title_box[3] * 360 / canvas.width))
    sent = _psnr(ideal.crop(band), _after_telegram(encode(canvas)).crop(band))
    lossless = _psnr(ideal.crop(band), _after_telegram(encode(canvas, lossless=True)).crop(band))
    assert sent >= lossless - 0.5


def test_the_lossless_encoding_is_the_canvas_itself(canvases: list[Image.Image]) -> None:
    render_card(CARD)
    canvas = canvases[-1]
    data = encode(canvas, lossless=True)
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "PNG" and img.info["Copyright"] == attribution()
        assert ImageChops.difference(img.convert("RGB"), canvas).getbbox() is None
    assert mime_type_of(data) == "image/png"


def test_the_type_named_is_the_type_made() -> None:
    data = encode(Image.new("RGB", (16, 16), (10, 200, 30)))
    assert mime_type_of(data) == MIME_TYPE == Image.MIME["JPEG"]
    assert mime_type_of(b"not a picture") == "application/octet-stream"
    # A canvas with transparency is encoded without it, not refused (JPEG has no alpha).
    assert _decoded(encode(Image.new("RGBA", (16, 16), (10, 200, 30, 128)))).size == (16, 16)
