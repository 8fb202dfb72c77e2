"""A service's own symbol set (issue 15, point 3): Widgit, PCS or other symbols that a service
holds a licence for and its young people already know, drawn instead of OpenMoji, id by id.

`MYSAY_SYMBOLS_DIR` names a folder holding PNG or SVG files and a mapping file,
`symbols.yaml`::

    version: 1
    attribution: "Widgit Symbols © Widgit Software 2002-2026, used under licence"  # optional
    symbols:
      good: good.png        # a symbol id from media/symbols.yaml -> a file in this folder
      school: school.svg

`SymbolSet.load` checks all of it at start-up (bot.services.load_content), so a wrong folder,
file or id stops MySay with one sentence naming it (SymbolSetError is a DataFileError:
bot/__main__.py prints it and exits 2), never later in the middle of a young person's activity.

Drawing asks one place for a symbol's picture: `bot.render.cards.emoji_image(emoji, box)` asks
the active set (`active().picture`) first and falls back to the OpenMoji glyph. The set is keyed
by the symbol's emoji, which media/symbols.yaml keeps unique (tests/engine/test_symbols.py), so
every picture that draws a symbol (cards, the mat, the review list, the profile, the summary
picture and PDF) draws the service's own without knowing about it. Cache keys of pictures add
`active().marks(emojis)`, a digest of each custom file drawn, so an upload of the OpenMoji
picture is never reused for the service's one. Buttons stay text: Telegram cannot show a picture
on a button, so they keep the OpenMoji emoji.

SVG files are drawn with resvg (the `resvg-py` wheel): a self-contained Rust renderer with no
system library to install (cairosvg needs libcairo2 on the host, svglib pulls in reportlab), and
it draws at any size from the vector, so a symbol is as sharp on "Very big" as on "Normal".
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import resvg_py
from PIL import Image, UnidentifiedImageError
from pydantic import BaseModel, Field

from bot.engine.datafile import DataFileError, parse_model
from bot.engine.vocabulary import Vocabulary
from bot.render import fonts
from bot.render.safe_image import MAX_PIXELS, MAX_RATIO

MAPPING = "symbols.yaml"
KINDS = {".png": "PNG", ".svg": "SVG"}
MAX_BYTES = 5 * 1024 * 1024  # a symbol file: far more than any symbol needs
_FILL = 0.95  # a symbol's longest side, as a share of its box (the size OpenMoji's glyph is drawn)


class SymbolSetError(DataFileError):
    """MYSAY_SYMBOLS_DIR cannot be used; the message is one sentence naming the setting, the
    file and what to do (printed by bot/__main__.py, which exits 2)."""

    def __init__(self, folder: Path, problem: str) -> None:
        super().__init__(f"MYSAY_SYMBOLS_DIR ({folder}): {problem}")


class _MappingFile(BaseModel):
    model_config = {"extra": "forbid"}

    version: int = 1
    attribution: str | None = None  # the licence text every picture drawn with them carries
    symbols: dict[str, str] = Field(min_length=1)  # symbol id -> file name in the folder


@dataclass(frozen=True)
class CustomSymbol:
    """One symbol of the service's set: which symbol (id and the emoji it replaces), its file
    and the file's bytes (read once at start-up, so what was checked is what is drawn)."""

    symbol_id: str
    emoji: str
    file_name: str
    kind: str  # "PNG" or "SVG"
    digest: str  # sha256 of the bytes: part of every cache key of a picture that draws it
    data: bytes = field(repr=False, compare=False)
    aspect: float = field(default=1.0, compare=False)  # width / height


class SymbolSet:
    """The service's own symbols by the emoji they replace; empty: OpenMoji for everything."""

    def __init__(self, symbols: Iterable[CustomSymbol] = (), attribution: str = "") -> None:
        self._by_emoji = {symbol.emoji: symbol for symbol in symbols}
        self.attribution = attribution

    @classmethod
    def load(cls, folder: Path | None, vocabulary: Vocabulary) -> SymbolSet:
        """The set in `folder` (MYSAY_SYMBOLS_DIR), each file opened and checked; None gives the
        empty set. Raises SymbolSetError for a missing folder or mapping file, a mapping that
        is not valid, an id that is not in the vocabulary, or a file that is missing, not a PNG
        or SVG, too big, unreadable or blank."""
        if folder is None:
            return cls()
        if not folder.is_dir():
            raise SymbolSetError(folder, "there is no such folder; point it at the folder that "
                                         f"holds your symbol files and {MAPPING}.")
        mapping = folder / MAPPING
        if not mapping.is_file():
            raise SymbolSetError(folder, f"there is no {MAPPING} in the folder; add one that "
                                         "maps each symbol id to its file.")
        try:
            parsed = parse_model(_MappingFile, mapping)
        except DataFileError as error:
            raise SymbolSetError(folder, " ".join(str(error).split()) + ".") from None
        symbols = [_check(folder, vocabulary, symbol_id, name)
                   for symbol_id, name in parsed.symbols.items()]
        return cls(symbols, (parsed.attribution or "").strip())

    def __len__(self) -> int:
        return len(self._by_emoji)

    def __contains__(self, emoji: object) -> bool:
        return emoji in self._by_emoji

    def symbol_ids(self) -> list[str]:
        """The ids this set draws, in the mapping file's order."""
        return [symbol.symbol_id for symbol in self._by_emoji.values()]

    def picture(self, emoji: str, box: int) -> Image.Image | None:
        """The service's picture for the symbol shown as `emoji`, cropped to its ink and fitted
        inside a box x box square as OpenMoji's glyph is (RGBA, transparency kept); None when
        the set does not replace that symbol (the caller draws OpenMoji's)."""
        symbol = self._by_emoji.get(emoji)
        return _fitted(symbol, box) if symbol is not None and box >= 4 else None

    def marks(self, emojis: Iterable[str]) -> list[str]:
        """For cache keys: the digest of each custom file among `emojis` (none: an empty list,
        so pictures with only OpenMoji symbols keep the keys they had)."""
        return [self._by_emoji[e].digest for e in emojis if e in self._by_emoji]


_active = SymbolSet()


def use(symbols: SymbolSet) -> None:
    """Make `symbols` the set every picture is drawn with (bot.services.load_content)."""
    global _active
    _active = symbols
    _fitted.cache_clear()


def active() -> SymbolSet:
    """The set pictures are drawn with now (empty unless MYSAY_SYMBOLS_DIR is set)."""
    return _active


def clear_cache() -> None:
    """Forget fitted pictures (bot.render.cards.clear_render_caches)."""
    _fitted.cache_clear()


def _check(folder: Path, vocabulary: Vocabulary, symbol_id: str, name: str) -> CustomSymbol:
    """One line of the mapping, checked: a known id, a file in the folder, a PNG or SVG that
    opens and draws something. Raises SymbolSetError naming the line's id and file."""
    if symbol_id not in vocabulary:
        raise SymbolSetError(folder, f"{MAPPING} names '{symbol_id}', which is not a symbol id "
                                     "in MySay's media/symbols.yaml; use the ids listed there.")
    path = folder / name
    kind = KINDS.get(Path(name).suffix.lower())
    if Path(name).name != name or name.startswith("."):
        raise SymbolSetError(folder, f"'{symbol_id}' names '{name}', which is not a plain file "
                                     "name; put the file in the folder itself.")
    if kind is None:
        raise SymbolSetError(folder, f"'{symbol_id}' names '{name}', which is not a PNG or SVG "
                                     "file (.png or .svg).")
    if not path.is_file():
        raise SymbolSetError(folder, f"'{symbol_id}' names '{name}', which is not in the folder.")
    data = path.read_bytes()
    if len(data) > MAX_BYTES:
        raise SymbolSetError(folder, f"'{name}' is larger than {MAX_BYTES // 2**20} MB; save it "
                                     "smaller.")
    symbol = CustomSymbol(symbol_id, vocabulary[symbol_id].emoji, name, kind,
                          hashlib.sha256(data).hexdigest(), data)
    try:
        opened = _open(symbol, 64)
    except _Unreadable as error:
        raise SymbolSetError(folder, f"'{name}' ({symbol_id}) cannot be used: {error}.") from None
    if opened.getchannel("A").getbbox() is None:
        raise SymbolSetError(folder, f"'{name}' ({symbol_id}) draws nothing (every pixel is "
                                     "transparent).")
    return CustomSymbol(symbol.symbol_id, symbol.emoji, name, kind, symbol.digest, data,
                        opened.width / opened.height)


class _Unreadable(Exception):
    """A symbol file that does not open as the picture its name says (the reason, in words)."""


def _open(symbol: CustomSymbol, side: int) -> Image.Image:
    """The symbol as RGBA: a PNG as stored, an SVG drawn with its longest side `side` pixels.
    Raises _Unreadable with the reason."""
    if symbol.kind == "SVG":
        return _open_svg(symbol, side)
    try:
        with Image.open(io.BytesIO(symbol.data)) as src:
            if src.format != "PNG":
                raise _Unreadable(f"it is a {src.format or 'different'} picture, not a PNG")
            width, height = src.size
            if width * height > MAX_PIXELS or max(width, height) > MAX_RATIO * min(width, height):
                raise _Unreadable(f"it is {width} x {height} pixels, too big or too thin")
            src.load()  # a file cut short fails here
            return src.convert("RGBA")
    except UnidentifiedImageError:
        raise _Unreadable("it is not a picture Pillow can read") from None
    except (OSError, SyntaxError, ValueError) as error:  # truncated or corrupt data
        raise _Unreadable(f"the PNG is damaged ({' '.join(str(error).split())})") from None


def _open_svg(symbol: CustomSymbol, side: int) -> Image.Image:
    """An SVG drawn by resvg so its longest side is `side` pixels (no system fonts: a symbol's
    words belong in MySay's card, and text in the SVG is drawn with the card font)."""
    wide = symbol.aspect >= 1
    size = {"width": side} if wide else {"height": side}
    try:
        text = symbol.data.decode("utf-8")
        png = resvg_py.svg_to_bytes(svg_string=text, skip_system_fonts=True,
                                    font_files=[str(fonts.atkinson_path())], **size)
        with Image.open(io.BytesIO(bytes(png)), formats=["PNG"]) as drawn:
            return drawn.convert("RGBA")
    except UnicodeDecodeError:
        raise _Unreadable("it is not an SVG (not UTF-8 text)") from None
    except (ValueError, OSError) as error:
        raise _Unreadable(f"it is not a valid SVG ({' '.join(str(error).split())})") from None


@lru_cache(maxsize=512)
def _fitted(symbol: CustomSymbol, box: int) -> Image.Image | None:
    """The symbol cropped to its ink and scaled so its longest side is box * 0.95 (OpenMoji's
    glyph size), never more than the box: the same box, size and centring as the built-in ones.
    None if the file cannot be drawn after all (it was checked at start-up)."""
    target = max(1, min(box, round(box * _FILL)))
    try:
        # An SVG is drawn twice as big as needed, then reduced: the same smooth edges as a PNG.
        img = _open(symbol, 2 * target)
    except _Unreadable:
        return None
    ink = img.getchannel("A").getbbox()
    if ink is None:
        return None
    img = img.crop(ink)
    ratio = target / max(img.width, img.height)
    new_size = (max(1, round(img.width * ratio)), max(1, round(img.height * ratio)))
    return img.resize(new_size, Image.Resampling.LANCZOS) if new_size != img.size else img
