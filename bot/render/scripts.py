"""Any script, drawn right: each run of text in a font that has its glyphs (issue 15, point 10).

The card font (Atkinson Hyperlegible, or OpenDyslexic) draws Latin only. A line is split into
runs by the first font of a fallback chain that covers the characters: the card font, then
Noto Sans and Noto Sans Arabic from PyPI (fontpkg-noto-sans, fontpkg-noto-sans-arabic), then
Debian's Noto fonts where installed (fonts-noto-core: Bengali, Urdu, and most other scripts;
fonts-noto-cjk: Chinese, Japanese, Korean). Coverage is read from each font's cmap with
fontTools, once per file. A word goes whole into one font where one covers all of it (so
Welsh "ŵy" is not drawn in two fonts); spaces and punctuation stay in the run around them.

Runs are measured and drawn with Pillow's raqm layout, which shapes them (Arabic letters
join). The visual order of a line follows the Unicode bidirectional algorithm (UAX #9): each
character's embedding level comes from python-bidi, the runs are cut where the level changes
(so the space between an Arabic word and "Minecraft" or "15" is a piece of its own, at the
paragraph's level), put in visual order by rule L2, and each piece is drawn left to right or
right to left by its level. Characters no font covers are left out of the picture (never
drawn as empty boxes); `readable` tells the caller so that the words go in the caption instead.

A line the card font covers whole is measured and drawn exactly as before (one
`draw.text`), so Latin pictures stay pixel-identical.
"""

from __future__ import annotations

import glob
import logging
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bidi import algorithm as bidi_algorithm
from PIL import ImageDraw, ImageFont

from bot.render import fonts

log = logging.getLogger(__name__)

NOTO_DIRS = (Path("/usr/share/fonts/truetype/noto"), Path("/usr/share/fonts/opentype/noto"))
CJK_NAME = "NotoSansCJK-{weight}.ttc"
CJK_SC_FACE = 2  # the faces of NotoSansCJK-*.ttc: JP, KR, SC, TC, HK, then the Mono ones
# Debian fonts tried (in this order) before the rest of the Noto folder, which is scanned only
# when a character is not in any of these.
PREFERRED_DEBIAN = ("NotoSans", "NotoSansArabic", "NotoSansBengali", "NotoSansDevanagari",
                    "NotoSansGurmukhi", "NotoSansHebrew", "NotoSansThai", "NotoSansSymbols",
                    "NotoSansSymbols2")
# Drawn, in the card font, instead of words no font covers (the caption carries the words).
SEE_BELOW = "(see the words below)"
URDU_LETTERS = frozenset("ٹڈڑںھہۂۃےۓ")
# Characters that are part of a neighbour (joiners, variation selectors, marks): they never
# start a run of their own, and are never "missing" words.
_GLUE_CATEGORIES = ("Mn", "Me", "Cf")


@dataclass(frozen=True)
class Face:
    """One font of the chain: its file, the face in a collection (.ttc), and the variation
    axes to set on a variable font (e.g. (("wght", 700.0),) for bold)."""

    path: Path
    index: int = 0
    variation: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Run:
    """Consecutive characters drawn in one face; `face` None: no font covers them (they are
    left out of the picture). `rtl`: the run holds right-to-left letters."""

    text: str
    face: Face | None
    rtl: bool = False


@dataclass(frozen=True)
class Piece:
    """Part of a run at one bidi embedding level (UAX #9): drawn right to left when `level`
    is odd, left to right when even."""

    run: Run
    level: int


# -- what each font covers ------------------------------------------------------------------


@lru_cache(maxsize=512)
def cmap(face: Face) -> frozenset[int]:
    """The code points `face` has glyphs for (empty if the file cannot be read)."""
    from fontTools.ttLib import TTCollection, TTFont

    try:
        if face.path.suffix.lower() in (".ttc", ".otc"):
            font = TTCollection(str(face.path), lazy=True).fonts[face.index]
        else:
            font = TTFont(str(face.path), lazy=True)
        return frozenset(font.getBestCmap() or {})
    except Exception as error:  # a broken font file is skipped, never fatal
        log.warning("cannot read the font %s: %s", face.path, error)
        return frozenset()


def _pypi_face(package: str, stem: str, bold: bool) -> Face | None:
    """A variable Noto font from a fontpkg data package (no `import fontpkg`: it is slow)."""
    base = fonts._package_dir(package)
    if base is None:
        return None
    found = sorted((base / "files").glob(f"{stem}[[]*.ttf"))
    if not found:
        return None
    return Face(found[0], 0, (("wght", 700.0 if bold else 400.0),))


def _debian_face(stem: str, bold: bool) -> Face | None:
    for folder in NOTO_DIRS:
        for weight in (("Bold", "Regular") if bold else ("Regular",)):
            path = folder / f"{stem}-{weight}.ttf"
            if path.is_file():
                return Face(path)
    return None


def _cjk_face(bold: bool) -> Face | None:
    for weight in (("Bold", "Regular") if bold else ("Regular",)):
        for folder in NOTO_DIRS:
            path = folder / CJK_NAME.format(weight=weight)
            if path.is_file():
                return Face(path, CJK_SC_FACE)
    return None


@lru_cache(maxsize=2)
def fallbacks(bold: bool) -> tuple[Face, ...]:
    """The fonts tried after the card font, in order: Noto Sans and Noto Sans Arabic from PyPI,
    then Debian's main Noto fonts and Noto Sans CJK (Simplified Chinese face) if installed."""
    found = [_pypi_face("fontpkg_noto_sans", "NotoSans", bold),
             _pypi_face("fontpkg_noto_sans_arabic", "NotoSansArabic", bold)]
    found += [_debian_face(stem, bold) for stem in PREFERRED_DEBIAN]
    found.append(_cjk_face(bold))
    return tuple(face for face in found if face is not None)


@lru_cache(maxsize=2)
def _rest_of_debian(bold: bool) -> tuple[Face, ...]:
    """Every other font in Debian's Noto folders (sans before serif; bold where there is one),
    read only when a character is in none of `fallbacks`."""
    known = {face.path for face in fallbacks(bold)}
    weights: dict[str, dict[str, Path]] = {}
    for folder in NOTO_DIRS:
        for name in sorted(glob.glob(str(folder / "*.ttf"))):
            stem, _, weight = Path(name).stem.rpartition("-")
            weights.setdefault(stem or weight, {})[weight] = Path(name)
    by_stem = {stem: found.get("Bold" if bold else "Regular") or found.get("Regular")
               or next(iter(found.values())) for stem, found in weights.items()}
    order = sorted(by_stem, key=lambda s: (not s.startswith("NotoSans"), "Mono" in s, s))
    return tuple(Face(by_stem[s]) for s in order if by_stem[s] not in known)


def _chain(primary: Face, bold: bool) -> Iterator[Face]:
    yield primary
    yield from fallbacks(bold)
    yield from _rest_of_debian(bold)


@lru_cache(maxsize=4096)
def face_for(text: str, primary: Face, bold: bool) -> Face | None:
    """The first face of the chain that covers every character of `text` (glue characters
    need not be covered), or None."""
    points = {ord(c) for c in text if not _glue(c)}
    for face in _chain(primary, bold):
        if points <= cmap(face):
            return face
    return None


def _glue(char: str) -> bool:
    return unicodedata.category(char) in _GLUE_CATEGORIES or char.isspace()


def _is_rtl(char: str) -> bool:
    return unicodedata.bidirectional(char) in ("R", "AL")


# -- splitting a line into runs ------------------------------------------------------------


def _pieces(text: str) -> list[str]:
    """Words and the spaces between them, in order."""
    pieces: list[str] = []
    for char in text:
        if pieces and pieces[-1][-1].isspace() == char.isspace():
            pieces[-1] += char
        else:
            pieces.append(char)
    return pieces


def _word_runs(word: str, primary: Face, bold: bool) -> list[tuple[str, Face | None]]:
    whole = face_for(word, primary, bold)
    if whole is not None:
        return [(word, whole)]
    out: list[tuple[str, Face | None]] = []
    for char in word:
        if out and _glue(char):
            out[-1] = (out[-1][0] + char, out[-1][1])
            continue
        face = face_for(char, primary, bold)
        if out and out[-1][1] == face:
            out[-1] = (out[-1][0] + char, face)
        else:
            out.append((char, face))
    return out


@lru_cache(maxsize=8192)
def runs(text: str, primary: Face, bold: bool = True) -> tuple[Run, ...]:
    """`text` split into runs of one face each, in logical (reading) order. Spaces stay in the
    run before them when its face has a space (else in the card font)."""
    found: list[tuple[str, Face | None]] = []
    for piece in _pieces(text):
        if piece.isspace():
            last = found[-1][1] if found else None
            face = last if last is not None and ord(" ") in cmap(last) else primary
            parts = [(piece, face)]
        else:
            parts = _word_runs(piece, primary, bold)
        for part, face in parts:
            if found and found[-1][1] == face:
                found[-1] = (found[-1][0] + part, face)
            else:
                found.append((part, face))
    return tuple(Run(part, face, any(_is_rtl(c) for c in part)) for part, face in found)


def rtl_paragraph(text: str) -> bool:
    """Whether `text` reads right to left: its first strong letter is Arabic, Hebrew... (the
    Unicode bidi rule P2)."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


def language_of(text: str) -> str | None:
    """An OpenType language for shaping: "ur" when the text has letters only Urdu uses."""
    return "ur" if any(c in URDU_LETTERS for c in text) else None


def missing(text: str, font_path: str | Path, bold: bool = True) -> str:
    """The letters, marks and digits of `text` that no font of the chain covers (symbols such
    as emoji are not words: they are left out quietly)."""
    primary = Face(Path(font_path))
    return "".join(run.text for run in runs(text, primary, bold) if run.face is None
                   ).translate({ord(c): None for c in text if not _wordlike(c)})


def _wordlike(char: str) -> bool:
    return unicodedata.category(char)[0] in "LN" or unicodedata.category(char) == "Mc"


def readable(text: str, family: str) -> bool:
    """Whether every letter of `text` can be drawn in the style's font `family` or a
    fallback; when False the picture leaves the words out and the caption must carry them."""
    return not missing(text, fonts.text_font_path(family), True)


def shown(text: str, family: str, placeholder: str = SEE_BELOW) -> str:
    """`text` if it can be drawn (`readable`), else `placeholder` (e.g. "(see the words
    below)"), drawn in the card font while the caption carries the words."""
    return text if readable(text, family) else placeholder


# -- Pillow fonts, measuring and drawing ---------------------------------------------------


def is_bold(font: ImageFont.FreeTypeFont) -> bool:
    """Whether a Pillow font is a bold face (the card and picture fonts are)."""
    return "bold" in (font.font.style or "").lower()


@lru_cache(maxsize=256)
def pil_font(face: Face, size: int) -> ImageFont.FreeTypeFont:
    """`face` at `size` pixels, with its variation axes set (cached for the process)."""
    font = ImageFont.truetype(str(face.path), size, index=face.index,
                              layout_engine=fonts._layout())
    if face.variation:
        wanted = dict(face.variation)
        axes = font.get_variation_axes()
        values = [wanted.get(_axis_tag(axis), axis["default"]) for axis in axes]
        font.set_variation_by_axes(values)
    return font


def _axis_tag(axis: dict[str, object]) -> str:
    name = axis.get("name", b"")
    text = name.decode() if isinstance(name, bytes) else str(name)
    return {"Weight": "wght", "Width": "wdth"}.get(text, text)


def _layout_args(run: Run, level: int | None = None) -> dict[str, str]:
    """Direction and language for raqm (basic layout takes neither): right to left for an odd
    bidi `level` (or, without one, for a run with right-to-left letters); left to right is
    raqm's default and is not passed, so such runs draw as before."""
    rtl = run.rtl if level is None else level % 2 == 1
    if not fonts.has_raqm() or not rtl:
        return {}
    args = {"direction": "rtl"}
    if language := language_of(run.text):
        args["language"] = language
    return args


@lru_cache(maxsize=64)
def _face_of(path: str) -> Face:
    """The Face of a font file (remembered: a Path is parsed for every line measured)."""
    return Face(Path(path))


def _run_font(run: Run, primary: ImageFont.FreeTypeFont) -> ImageFont.FreeTypeFont:
    assert run.face is not None
    own = run.face.path == _face_of(primary.path).path
    if own and run.face.index == 0 and not run.face.variation:
        return primary
    return pil_font(run.face, int(primary.size))


def _line_runs(font: ImageFont.FreeTypeFont, text: str) -> tuple[Run, ...]:
    return runs(text, _face_of(font.path), is_bold(font))


def _simple(font: ImageFont.FreeTypeFont, line: Sequence[Run]) -> bool:
    """One run in the card font itself: drawn exactly as before this module existed."""
    return len(line) == 1 and line[0].face == _face_of(font.path) and not line[0].rtl


# -- the visual order of a line (the Unicode bidirectional algorithm) ----------------------


@lru_cache(maxsize=4096)
def bidi_levels(text: str) -> tuple[int, ...]:
    """The resolved embedding level of each character of `text` (one line, one paragraph),
    by the Unicode bidirectional algorithm: even reads left to right, odd right to left.

    The levels come from python-bidi's pure-Python implementation (`bidi.algorithm`; its
    Rust `get_display` gives only the reordered string). Explicit formatting characters and
    boundary neutrals (ZWJ, ZWNJ), which rule X9 removes, take the level of the character
    before them (the paragraph's at the start). The isolates (U+2066-U+2069), which that
    older implementation does not know, and anything else it cannot resolve get the strong
    direction of each character instead (`_simple_levels`): a line is always drawn."""
    base = 1 if rtl_paragraph(text) else 0
    try:
        return _algorithm_levels(text, base)
    except (AssertionError, KeyError, IndexError, ValueError):
        return _simple_levels(text, base)


def _simple_levels(text: str, base: int) -> tuple[int, ...]:
    """Levels from each character's own strong direction: right-to-left letters odd, left-to-
    right letters even (above `base`), everything else at `base`."""
    rtl = base + 1 if base % 2 == 0 else base
    ltr = base if base % 2 == 0 else base + 1
    kinds = (unicodedata.bidirectional(char) for char in text)
    return tuple(rtl if kind in ("R", "AL") else ltr if kind == "L" else base for kind in kinds)


def _algorithm_levels(text: str, base: int) -> tuple[int, ...]:
    """python-bidi's resolved levels of `text` at paragraph level `base` (see bidi_levels);
    raises AssertionError on characters its implementation does not know."""
    kept = [i for i, char in enumerate(text)
            if unicodedata.bidirectional(char) not in bidi_algorithm.X9_REMOVED]
    storage = bidi_algorithm.get_empty_storage()
    storage["base_level"] = base
    storage["base_dir"] = ("L", "R")[base]
    bidi_algorithm.get_embedding_levels("".join(text[i] for i in kept), storage)
    bidi_algorithm.explicit_embed_and_overrides(storage)
    bidi_algorithm.resolve_weak_types(storage)
    bidi_algorithm.resolve_neutral_types(storage, False)
    bidi_algorithm.resolve_implicit_levels(storage, False)
    resolved = dict(zip(kept, (char["level"] for char in storage["chars"]), strict=True))
    levels: list[int] = []
    for i in range(len(text)):
        levels.append(resolved.get(i, levels[-1] if levels else base))
    return tuple(levels)


def _split_by_level(line: Sequence[Run], levels: Sequence[int]) -> list[Piece]:
    """The runs of a line cut where the embedding level changes, in logical order."""
    pieces: list[Piece] = []
    start = 0
    for run in line:
        for i, char in enumerate(run.text):
            level = levels[start + i]
            if i and pieces[-1].level == level:
                joined = pieces[-1].run.text + char
                pieces[-1] = Piece(Run(joined, run.face, pieces[-1].run.rtl or _is_rtl(char)),
                                   level)
            else:
                pieces.append(Piece(Run(char, run.face, _is_rtl(char)), level))
        start += len(run.text)
    return pieces


def visual_order(pieces: Sequence[Piece]) -> list[Piece]:
    """`pieces` (each at one level) in the order they are seen from left to right: rule L2,
    from the highest level down to the lowest odd level, reverses every stretch of pieces at
    that level or higher. Each piece's own characters are ordered by raqm, by its level."""
    order = list(pieces)
    if not order:
        return order
    highest = max(piece.level for piece in order)
    lowest_odd = min((piece.level for piece in order if piece.level % 2), default=highest + 1)
    for level in range(highest, lowest_odd - 1, -1):
        i = 0
        while i < len(order):
            if order[i].level < level:
                i += 1
                continue
            j = i
            while j < len(order) and order[j].level >= level:
                j += 1
            order[i:j] = reversed(order[i:j])
            i = j
    return order


def _laid_out(font: ImageFont.FreeTypeFont, line: Sequence[Run], text: str
              ) -> list[tuple[Piece, ImageFont.FreeTypeFont, float]]:
    """The drawn pieces of a line, left to right, each with its Pillow font and advance
    (characters no font covers are left out: they take no room)."""
    pieces = visual_order(_split_by_level(line, bidi_levels(text)))
    out = []
    for piece in pieces:
        if piece.run.face is None:
            continue
        piece_font = _run_font(piece.run, font)
        out.append((piece, piece_font,
                    piece_font.getlength(piece.run.text, **_layout_args(piece.run, piece.level))))
    return out


def width(font: ImageFont.FreeTypeFont, text: str) -> float:
    """How wide `text` is drawn (runs in their fonts; uncovered characters take no room):
    the sum of the advances `draw_text` places its pieces by."""
    line = _line_runs(font, text)
    if _simple(font, line) or not line:
        return font.getlength(text)
    return sum(advance for _, _, advance in _laid_out(font, line, text))


def draw_text(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str,
              font: ImageFont.FreeTypeFont, fill: object, anchor: str = "la") -> None:
    """Draw one line like `draw.text(xy, text, font=font, fill=fill, anchor=anchor)`, each run
    in a font that has its glyphs, the pieces in the visual order of the Unicode bidirectional
    algorithm (`visual_order`), each shaped by raqm in its own direction.
    Horizontal anchor l/m/r; vertical a/t/m/s/b/d measured on the card font."""
    line = _line_runs(font, text)
    if _simple(font, line) or not line:
        draw.text(xy, text, font=font, fill=fill, anchor=anchor)
        return
    laid_out = _laid_out(font, line, text)
    total = sum(advance for _, _, advance in laid_out)
    x, y = xy
    x -= {"l": 0.0, "m": total / 2, "r": total}.get(anchor[0], 0.0)
    baseline = _baseline(font, y, anchor[1] if len(anchor) > 1 else "a")
    for piece, piece_font, advance in laid_out:
        draw.text((x, baseline), piece.run.text, font=piece_font, fill=fill, anchor="ls",
                  **_layout_args(piece.run, piece.level))
        x += advance


def _baseline(font: ImageFont.FreeTypeFont, y: float, vertical: str) -> float:
    """The baseline for a vertical anchor, from the card font's ascender and descender."""
    ascent, descent = font.getmetrics()
    return y + {"a": ascent, "t": ascent, "m": (ascent - descent) / 2, "s": 0,
                "b": -descent, "d": -descent}.get(vertical, ascent)


def faces_used(texts: Sequence[str], font_path: str | Path, bold: bool) -> list[Face]:
    """The faces (other than the card font) the runs of `texts` are drawn in, in chain order:
    the fonts a PDF has to embed."""
    primary = Face(Path(font_path))
    used = {run.face for text in texts for run in runs(text, primary, bold)}
    used.discard(None)
    used.discard(primary)
    order = [*fallbacks(bold), *_rest_of_debian(bold)] if used else []
    return [face for face in order if face in used]


def clear_caches() -> None:
    """Forget every read cmap, chain and opened font (tests; the benchmark's cold start)."""
    for cached in (cmap, fallbacks, _rest_of_debian, face_for, runs, pil_font,
                   bidi_levels):
        cached.cache_clear()

