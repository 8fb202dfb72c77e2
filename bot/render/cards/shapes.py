"""Drawing primitives: anti-aliased rounded boxes and corners, the tick badge, OpenMoji symbols,
kept photos, and the encoder every picture goes through (`encode`: JPEG with its attribution).
Their caches are cleared together here."""

from __future__ import annotations

import io
from functools import lru_cache

from PIL import Image, ImageDraw, ImageOps, PngImagePlugin

from bot.render import fonts, safe_image, symbol_set
from bot.render.cards.layout import forget_layouts
from bot.render.cards.parts import SYMBOL_PARTS, clear_parts
from bot.render.cards.style import RGB, Box, log

# How every picture MySay draws is encoded, chosen by measurement (bench/encoders.py, issue
# 17; medians over 9 pictures on a shared 2-core machine): Telegram turns every photo into
# a JPEG of its own (about quality 87, 4:2:0), so a lossless upload is not what anyone sees.
# JPEG quality 90 with full-resolution colour (4:4:4) encodes about 6x faster than PNG
# (13 ms against 79 ms for a 1080 px card; PNG's time is its filtering, not its zlib level)
# and, after Telegram's re-encoding at 360 px, the worst picture's title is 0.02 dB and its
# words 0.34 dB below a lossless upload's (no difference to see: docs/images). 4:2:0 is
# ~5 ms quicker but ~1.1 dB worse on the titles and ~3 dB on the whole picture (its colour
# is halved twice, ours then Telegram's). Quality 85 looks the same after Telegram except
# the titles (0.4 dB), and the file itself, kept as the mat's record and given back by
# /mydata, falls from 43.6 to 41.1 dB on the worst picture. The price: ~35% more bytes than
# PNG (147 KB against 108 KB), a few ms of a server's uplink.
JPEG_QUALITY = 90
JPEG_SUBSAMPLING = 0  # Pillow's code for 4:4:4 (no chroma subsampling)
MIME_TYPE = "image/jpeg"  # what `encode` gives (callers name kept pictures by mime_type_of)
_PNG_LEVEL = 3  # encode(lossless=True): zlib level 3, ~2x faster than 6 for ~15% more bytes


@lru_cache(maxsize=64)
def _rounded_mask(width: int, height: int, radius: int) -> Image.Image:
    """An anti-aliased rounded-rectangle mask (drawn at 4x, then box-reduced)."""
    big = Image.new("L", (width * 4, height * 4), 0)
    ImageDraw.Draw(big).rounded_rectangle(
        (0, 0, width * 4 - 1, height * 4 - 1), radius=radius * 4, fill=255
    )
    return big.reduce(4)


@lru_cache(maxsize=128)
def _corner(radius: int, width: int, colours: tuple[RGB, RGB, RGB], turn: int) -> Image.Image:
    """One anti-aliased corner (background, outline, fill) of a rounded box, rotated by turn."""
    background, outline, fill = colours
    k = 4
    side = radius * k
    big = Image.new("RGB", (side, side), background)
    draw = ImageDraw.Draw(big)
    draw.rounded_rectangle((0, 0, side * 3, side * 3), radius=side, fill=outline)
    inner = width * k
    draw.rounded_rectangle(
        (inner, inner, side * 3, side * 3), radius=max(0, side - inner), fill=fill
    )
    patch = big.reduce(k)
    return patch.rotate(-90 * turn) if turn else patch


def _rounded_box(
    canvas: Image.Image,
    box: Box,
    radius: int,
    colours: tuple[RGB, RGB, RGB],
    width: int,
) -> None:
    """A rounded box with an outline: plain rectangles plus four small anti-aliased corners
    (much faster than pasting a full-size mask). colours = (background, outline, fill)."""
    left, top, right, bottom = box
    _, outline, fill = colours
    radius = max(width + 1, min(radius, (right - left) // 2, (bottom - top) // 2))
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((left, top, right - 1, bottom - 1), fill=outline)
    draw.rectangle((left + width, top + width, right - 1 - width, bottom - 1 - width), fill=fill)
    spots = (
        (left, top),
        (right - radius, top),
        (right - radius, bottom - radius),
        (left, bottom - radius),
    )
    for turn, spot in enumerate(spots):
        canvas.paste(_corner(radius, width, colours, turn), spot)


@lru_cache(maxsize=16)
def _tick_badge(diameter: int, accent: RGB, ring: RGB) -> Image.Image:
    """A round badge with a tick drawn from shapes (not a font glyph), anti-aliased."""
    k = 4
    d = diameter * k
    img = Image.new("RGBA", (d, d), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.ellipse((0, 0, d - 1, d - 1), fill=ring)
    edge = max(k * 3, d // 14)
    draw.ellipse((edge, edge, d - 1 - edge, d - 1 - edge), fill=accent)
    stroke = max(k * 4, d // 9)
    points = [(d * 0.28, d * 0.53), (d * 0.44, d * 0.69), (d * 0.73, d * 0.36)]
    draw.line(points, fill=ring, width=stroke, joint="curve")
    for x, y in (points[0], points[-1]):
        r = stroke / 2
        draw.ellipse((x - r, y - r, x + r, y + r), fill=ring)
    return img.reduce(k)


_MISSING = "\u0378"  # an unassigned code point: FreeType draws the font's "missing" box


def _glyph(text: str, size: int) -> Image.Image | None:
    """The text drawn with OpenMoji at a font size, cropped to its ink (None when blank)."""
    side = round(size * 1.7)
    img = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    ImageDraw.Draw(img).text(
        (side // 2, side // 2), text, font=fonts.emoji_font(size), embedded_color=True, anchor="mm"
    )
    ink = img.getchannel("A").getbbox()
    return img.crop(ink) if ink else None


@lru_cache(maxsize=32)
def _missing_glyph(size: int) -> Image.Image | None:
    return _glyph(_MISSING, size)


def _same_image(a: Image.Image, b: Image.Image | None) -> bool:
    return b is not None and a.size == b.size and a.tobytes() == b.tobytes()


def emoji_image(emoji: str, box: int) -> Image.Image | None:
    """The picture of the symbol shown as `emoji`, cropped to its ink and fitted inside a
    box x box square: the service's own (MYSAY_SYMBOLS_DIR, bot.render.symbol_set) where it
    has one, else OpenMoji's. Every picture that draws a symbol asks here. None: nothing to
    draw (no emoji, a tiny box, or a glyph OpenMoji lacks)."""
    custom = symbol_set.active().picture(emoji, box) if emoji else None
    return custom if custom is not None else _openmoji_image(emoji, box)


_NO_SYMBOL = Image.new("RGBA", (0, 0))  # kept for a glyph OpenMoji lacks: looked up once


def _openmoji_image(emoji: str, box: int) -> Image.Image | None:
    """The OpenMoji glyph, cropped to its ink and fitted inside a box x box square, drawn once
    per (emoji, box) and kept in SYMBOL_PARTS (bounded by bytes, least-recently-used out)."""
    if not emoji or box < 4:
        return None
    image = SYMBOL_PARTS.get(("openmoji", emoji, box),
                             lambda: _draw_openmoji(emoji, box) or _NO_SYMBOL)
    return None if image is _NO_SYMBOL else image


def _draw_openmoji(emoji: str, box: int) -> Image.Image | None:
    """The OpenMoji glyph drawn now (see _openmoji_image); None when OpenMoji lacks it.

    COLRv0 outlines scale cleanly, so the glyph is rendered straight at the target size; only
    glyphs whose ink is wider than the em (flags, balls) are scaled down, with LANCZOS.
    """
    size = max(4, round(box * 0.95))
    img = _glyph(emoji, size)
    if img is None or _same_image(img, _missing_glyph(size)):
        log.warning("OpenMoji has no picture for %r", emoji)
        return None
    if img.width > box or img.height > box:
        ratio = box / max(img.width, img.height)
        new_size = (max(1, round(img.width * ratio)), max(1, round(img.height * ratio)))
        img = img.resize(new_size, Image.Resampling.LANCZOS)
    return img


PHOTO_PLACEHOLDER = "🖼️"  # drawn where a kept photo cannot be opened


def _photo_image(data: bytes, width: int, height: int, radius: int) -> Image.Image | None:
    """A kept photo cropped to fill width x height with rounded corners, or None if it cannot
    be opened (bot.render.safe_image, the one way kept pictures are opened)."""
    # Twice the box, so the crop to fill it still has pixels to spare.
    opened = safe_image.open_stored(data, 2 * max(width, height))
    if opened is None:
        return None
    photo = ImageOps.fit(opened.convert("RGB"), (width, height), Image.Resampling.LANCZOS)
    photo.putalpha(_rounded_mask(width, height, radius))
    return photo



ATTRIBUTION = (
    "Symbols: OpenMoji (openmoji.org), CC BY-SA 4.0. Text: Atkinson Hyperlegible, SIL OFL 1.1."
)


def attribution() -> str:
    """The credits a picture carries: OpenMoji's and the font's, then the service's own
    symbols' licence text (their mapping file's `attribution`) when it has one."""
    own = symbol_set.active().attribution
    return f"{ATTRIBUTION} {own}" if own else ATTRIBUTION


def encode(canvas: Image.Image, *, lossless: bool = False) -> bytes:
    """The picture as the bytes MySay sends and keeps (every drawn picture is encoded here),
    with its attribution (`attribution`) in the file.

    Takes an RGB canvas (another mode is converted; transparency is dropped, not kept).
    Returns a baseline JPEG (JPEG_QUALITY, 4:4:4, no ICC profile: read as sRGB) with the
    attribution as its COM comment (UTF-8); with `lossless`, a PNG with it as a "Copyright"
    text chunk instead (for tests that compare exact pixels, and any picture that must
    survive unchanged). Raises OSError only if Pillow's encoder fails.
    """
    out = io.BytesIO()
    picture = canvas if canvas.mode == "RGB" else canvas.convert("RGB")
    if lossless:
        info = PngImagePlugin.PngInfo()
        info.add_text("Copyright", attribution())
        picture.save(out, "PNG", compress_level=_PNG_LEVEL, pnginfo=info)
    else:
        picture.save(out, "JPEG", quality=JPEG_QUALITY, subsampling=JPEG_SUBSAMPLING,
                     comment=attribution().encode())
    return out.getvalue()


def _png(canvas: Image.Image) -> bytes:
    """`encode(canvas)`: the name the drawing modules call it by (now a JPEG, not a PNG)."""
    return encode(canvas)


def mime_type_of(data: bytes) -> str:
    """The MIME type of picture bytes `encode` (or an older version) made, from their first
    bytes: "image/jpeg", "image/png", else "application/octet-stream"."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return "application/octet-stream"


def clear_render_caches() -> None:
    """Forget cached glyphs, masks, fonts, layouts and drawn parts (for cold-start
    benchmarks)."""
    symbol_set.clear_cache()
    _missing_glyph.cache_clear()
    _rounded_mask.cache_clear()
    _corner.cache_clear()
    _tick_badge.cache_clear()
    fonts.clear_caches()
    forget_layouts()
    clear_parts()
