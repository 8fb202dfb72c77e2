"""The one way MySay opens a picture someone sent (issue #11, point 3).

Two doors, both here so that every picture passes the same checks:

* `check_arrival` when a photo arrives, before anything is kept: a byte limit, a short list of
  formats, a pixel limit read from the header *before* decoding (so a small file that claims to
  be huge, a "decompression bomb", is never decoded), then a full decode. What is kept is
  upright and carries no metadata (EXIF GPS and the like), and is no larger than Telegram's own
  largest photo.
* `open_stored` whenever a kept picture is drawn: the summary picture and PDF, the /mydata PDF,
  the one-page profile, picture cards and the Talking Mat. A picture kept before these checks
  existed may still be bad; it gives None (logged without personal data), never an exception,
  so one bad file cannot stop a young person reaching their own data.
"""

from __future__ import annotations

import enum
import io
import logging
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

log = logging.getLogger(__name__)

# The formats Pillow may even try; GIF and WebP give their first frame. Anything else (TIFF,
# BMP, PSD, SVG, ICO...) is refused. (Many phone JPEGs open as "MPO", through the JPEG reader.)
FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
_JPEG = ("JPEG", "MPO")
# Telegram's sendPhoto rules: width + height at most 10 000, so at most 25 million pixels,
# and neither side more than 20 times the other. Far below Pillow's own bomb limit (89 MP).
MAX_PIXELS = 25_000_000
MAX_RATIO = 20
# The longest side kept or drawn: Telegram's largest photo size.
KEPT_SIDE = 2560
JPEG_QUALITY = 90


class Refusal(enum.StrEnum):
    """Why an arriving picture was not kept (logged, and chooses the words said)."""

    TOO_BIG = "too_big"  # too many bytes or too many pixels
    NOT_A_PICTURE = "not_a_picture"  # not a picture, or a format not on the list
    BROKEN = "broken"  # a picture that does not decode (cut short, corrupt)


@dataclass(frozen=True)
class Arrival:
    """The outcome of `check_arrival`: the bytes to keep and their type, or why not."""

    data: bytes | None
    mime_type: str = "image/jpeg"
    refused: Refusal | None = None


class _Refused(Exception):
    def __init__(self, reason: Refusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


def check_arrival(data: bytes, *, max_bytes: int) -> Arrival:
    """Check a picture that has just arrived, before it is kept.

    Takes the downloaded bytes and the byte limit (bot.store.media_repo.MAX_MEDIA_BYTES).
    Returns an Arrival with the bytes to keep (the original when it is already a plain JPEG
    within bounds, else upright, metadata-free JPEG or PNG) or with the reason it was refused.
    Never raises: the bytes come from anyone.
    """
    if len(data) > max_bytes:
        return Arrival(None, refused=Refusal.TOO_BIG)
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as src:
            _check_size(src.size)
            plain = _plain_jpeg(src)
            picture = _decode(src, KEPT_SIDE)
        return Arrival(data, "image/jpeg") if plain else _encoded(picture)
    except Exception as error:  # a decoder (or encoder) fed hostile bytes can fail in any way
        reason = _reason(error)
        log.info("a picture was refused when it arrived (%s, %s)", reason.value,
                 type(error).__name__)
        return Arrival(None, refused=reason)


def open_stored(data: bytes | None, box: int) -> Image.Image | None:
    """Open a kept picture for drawing, whatever state it is in.

    Takes the stored bytes (None or empty: nothing to draw) and the largest side wanted.
    Returns an upright RGB or RGBA image no larger than box x box (nor KEPT_SIDE), or None if
    the bytes are not a picture MySay accepts (logged by reason only). Never raises, so a bad
    picture kept by an older version leaves a gap, not an error.
    """
    if not data:
        return None
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as src:
            _check_size(src.size)
            return _decode(src, max(1, min(box, KEPT_SIDE)))
    except Exception as error:  # a decoder fed hostile bytes can fail in any way
        log.warning("a kept picture could not be opened and is left out (%s, %s)",
                    _reason(error).value, type(error).__name__)
        return None


def as_jpeg(picture: Image.Image, *, quality: int = JPEG_QUALITY,
            background: tuple[int, int, int] = (255, 255, 255)) -> bytes:
    """A picture from `open_stored` as JPEG bytes (transparency laid on `background`), for
    fpdf2, which embeds JPEG as it is rather than decoding and compressing it again."""
    out = io.BytesIO()
    _flat(picture, background).save(out, "JPEG", quality=quality)
    return out.getvalue()


def _check_size(size: tuple[int, int]) -> None:
    """The header's claimed size, checked before a single pixel is decoded."""
    width, height = size
    if width < 1 or height < 1:
        raise _Refused(Refusal.BROKEN)
    if width * height > MAX_PIXELS or max(width, height) > MAX_RATIO * min(width, height):
        raise _Refused(Refusal.TOO_BIG)


def _decode(src: Image.Image, box: int) -> Image.Image:
    """Decode the first frame fully, turn it upright and scale it to fit box x box."""
    if src.format in _JPEG:
        src.draft("RGB", (box, box))  # JPEG decodes straight at 1/2, 1/4 or 1/8: less memory
    src.load()  # the full decode: a file cut short fails here, not later in a PDF
    upright = ImageOps.exif_transpose(src)
    see_through = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
    picture = upright.convert("RGBA" if see_through else "RGB")
    picture.thumbnail((box, box), Image.Resampling.LANCZOS)
    picture.info.clear()  # no EXIF, XMP, comments or text chunks travel any further
    return picture


def _plain_jpeg(src: Image.Image) -> bool:
    """Whether the original can be kept as it is: a one-frame JPEG within bounds carrying
    nothing but its JFIF header (Telegram's own photos). Saves a needless second compression."""
    markers = {marker for marker, _ in getattr(src, "applist", [])}
    return (src.format == "JPEG" and markers <= {"APP0"} and "comment" not in src.info
            and max(src.size) <= KEPT_SIDE)


def _encoded(picture: Image.Image) -> Arrival:
    out = io.BytesIO()
    if picture.mode == "RGBA":
        picture.save(out, "PNG")
        return Arrival(out.getvalue(), "image/png")
    picture.save(out, "JPEG", quality=JPEG_QUALITY)
    return Arrival(out.getvalue(), "image/jpeg")


def _flat(picture: Image.Image, background: tuple[int, int, int]) -> Image.Image:
    if picture.mode != "RGBA":
        return picture.convert("RGB")
    flat = Image.new("RGB", picture.size, background)
    flat.paste(picture, mask=picture)
    return flat


def _reason(error: Exception) -> Refusal:
    if isinstance(error, _Refused):
        return error.reason
    if isinstance(error, Image.DecompressionBombError):
        return Refusal.TOO_BIG
    if isinstance(error, UnidentifiedImageError):
        return Refusal.NOT_A_PICTURE
    return Refusal.BROKEN
