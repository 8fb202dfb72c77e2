"""Text fitting: the biggest size whose balanced wrap of whole words fits a box, and drawing
the fitted lines.

Every width is measured by `_width` and every line drawn by `_draw_block` / `_draw_block_left`,
so how a line is measured and drawn (fonts, scripts) lives in one place. `fit_text` never hides
that words did not fit: a block that is not the whole text has `whole` False, and the layouts
(bot/render/cards/layout.py, review.py, mat.py, profile.py) then change (smaller step, fewer
columns, a taller picture) until every block is whole (issue 15, point 5)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PIL import ImageDraw, ImageFont

from bot.render import fonts, scripts
from bot.render.cards.style import RGB

_LINE = 1.2  # line pitch as a multiple of the font size
_MANY_LINES = 1000  # "as many lines as it takes" (the box's height still limits)
_BALANCE_WORDS = 16  # balance line lengths for short texts only (the search is quadratic)


@dataclass(frozen=True)
class TextBlock:
    """Lines of text fitted at one size in one font family."""

    lines: tuple[str, ...]
    size: int
    family: str
    whole: bool = True  # False when the lines are not the whole text (a cut word, an ellipsis)

    @property
    def font(self) -> ImageFont.FreeTypeFont:
        """The font at this block's size."""
        return fonts.text_font(self.family, self.size)

    @property
    def pitch(self) -> int:
        """Distance between line centres, in pixels."""
        return round(self.size * _LINE)

    @property
    def height(self) -> int:
        """Height of all the lines, in pixels (0 when empty)."""
        return self.pitch * len(self.lines) if self.lines else 0


def _width(font: ImageFont.FreeTypeFont, text: str) -> float:
    """How wide `text` is drawn in `font`: each run in a font that has its glyphs
    (bot.render.scripts); exactly font.getlength where the card font covers it all."""
    return scripts.width(font, text)


def _draw_line(draw: ImageDraw.ImageDraw, xy: tuple[int, int], line: str,
               font: ImageFont.FreeTypeFont, fill: RGB, anchor: str) -> None:
    """Draw one line (scripts.draw_text: fallback fonts, shaping, right-to-left order)."""
    scripts.draw_text(draw, xy, line, font, fill, anchor)


def _balanced(words: list[str], widths: list[float], space: float, n: int) -> list[list[str]]:
    """Split words into n lines so the widest line is as narrow as possible (small n, few words)."""
    count = len(words)
    prefix = [0.0]
    for width in widths:
        prefix.append(prefix[-1] + width)

    def span(i: int, j: int) -> float:
        return prefix[j] - prefix[i] + space * (j - i - 1)

    # best[k][j]: (widest line, split points) for the first j words on k lines
    best: dict[tuple[int, int], tuple[float, tuple[int, ...]]] = {(0, 0): (0.0, ())}
    for k in range(1, n + 1):
        for j in range(k, count + 1):
            options = [
                (max(best[(k - 1, i)][0], span(i, j)), (*best[(k - 1, i)][1], j))
                for i in range(k - 1, j)
                if (k - 1, i) in best
            ]
            if options:
                best[(k, j)] = min(options)
    cuts = (0, *best[(n, count)][1])
    return [words[cuts[i] : cuts[i + 1]] for i in range(n)]


def _wrap(text: str, font: ImageFont.FreeTypeFont, max_w: float, max_lines: int) -> list[str]:
    """The fewest balanced lines (<= max_lines) that fit max_w, or [] when none fit."""
    words = text.split()
    if not words:
        return []
    widths = [_width(font, word) for word in words]
    if max(widths) > max_w:
        return []
    if len(words) > _BALANCE_WORDS:  # long free text: plain greedy wrap is enough
        lines = _greedy(words, font, max_w)
        return lines if len(lines) <= max_lines else []
    space = _width(font, " ")
    for n in range(1, min(max_lines, len(words)) + 1):
        split = _balanced(words, widths, space, n)
        if all(_width(font, " ".join(line)) <= max_w for line in split):
            return [" ".join(line) for line in split]
    return []


def _greedy(tokens: list[str], font: ImageFont.FreeTypeFont, max_w: float) -> list[str]:
    lines: list[str] = []
    current = ""
    for token in tokens:
        candidate = f"{current} {token}" if current else token
        if not current or _width(font, candidate) <= max_w:
            current = candidate
            continue
        lines.append(current)
        current = token
    lines.append(current)
    return lines


def _pieces(word: str, font: ImageFont.FreeTypeFont, max_w: float) -> list[str]:
    """A word cut into parts that each fit max_w (only for words wider than a whole line)."""
    parts: list[str] = []
    current = ""
    for char in word:
        if current and _width(font, current + char) > max_w:
            parts.append(current)
            current = ""
        current += char
    return [*parts, current] if current else parts


def _truncate(text: str, font: ImageFont.FreeTypeFont, max_w: float, max_lines: int) -> list[str]:
    """Last resort when no size fits the whole text: greedy wrap (cutting only over-long
    words), ellipsis on the last line. `fit_text` marks such a block `whole=False`, so a
    layout never keeps it silently."""
    tokens: list[str] = []
    for word in text.split():
        tokens.extend(_pieces(word, font, max_w) if _width(font, word) > max_w else [word])
    lines = _greedy(tokens, font, max_w)
    if len(lines) <= max_lines:
        return lines
    last = lines[max_lines - 1]
    while last and _width(font, last + "…") > max_w:
        last = last[:-1]
    return [*lines[: max_lines - 1], last.rstrip() + "…"]


def _sizes(start: int, stop: int) -> list[int]:
    sizes: list[int] = []
    size = float(start)
    while size > stop:
        sizes.append(round(size))
        size *= 0.93
    sizes.append(stop)
    return sorted(set(sizes), reverse=True)


def fit_text(
    text: str,
    family: str,
    max_w: float,
    max_h: float,
    max_lines: int,
    start: int,
    smallest: int,
) -> TextBlock:
    """The biggest size (from start down to smallest) whose balanced wrap of whole words fits
    the box (max_w wide, max_h high, at most max_lines lines).

    When even `smallest` cannot hold the whole text, the block is cut (`_truncate`) and its
    `whole` is False: the caller must then lay out again (smaller, fewer columns, taller)."""
    text = " ".join(text.split())
    if not text:
        return TextBlock((), smallest, family)
    for size in _sizes(start, smallest):
        fit_lines = min(max_lines, int(max_h // round(size * _LINE)))
        if fit_lines < 1:
            continue
        font = fonts.text_font(family, size)
        lines = _wrap(text, font, max_w, fit_lines)
        if lines:
            return TextBlock(tuple(lines), size, family)
    font = fonts.text_font(family, smallest)
    fit_lines = max(1, min(max_lines, int(max_h // round(smallest * _LINE))))
    lines = tuple(_truncate(text, font, max_w, fit_lines))
    return TextBlock(lines, smallest, family, whole=" ".join(lines) == text)


def _draw_block(
    draw: ImageDraw.ImageDraw, block: TextBlock, centre_x: int, top: int, fill: RGB
) -> None:
    font = block.font
    for i, line in enumerate(block.lines):
        middle = top + block.pitch * i + block.pitch // 2
        _draw_line(draw, (centre_x, middle), line, font, fill, "mm")


def _draw_block_left(
    draw: ImageDraw.ImageDraw, block: TextBlock, left: int, top: int, fill: RGB
) -> None:
    font = block.font
    for i, line in enumerate(block.lines):
        middle = top + block.pitch * i + block.pitch // 2
        _draw_line(draw, (left, middle), line, font, fill, "lm")



def fit_tiered(
    text: str,
    family: str,
    box: tuple[float, float],
    tiers: Sequence[tuple[int, float]],
    start: int,
    smallest: int,
) -> TextBlock:
    """Fewer lines first: for each (lines, floor) tier try sizes from start down to
    start * floor; if no tier fits the whole text, shrink to smallest on the last tier's lines,
    and failing that take as many lines as the text needs at smallest (never an ellipsis while
    box's height allows). box = (max width, max height)."""
    flat = " ".join(text.split())
    max_w, max_h = box
    for lines, floor in tiers:
        block = fit_text(
            flat, family, max_w, max_h, lines, start, max(smallest, round(start * floor))
        )
        if _complete(block, flat):
            return block
    block = fit_text(flat, family, max_w, max_h, tiers[-1][0], start, smallest)
    if block.whole:
        return block
    return fit_text(flat, family, max_w, max_h, _MANY_LINES, smallest, smallest)



def _complete(block: TextBlock, text: str) -> bool:
    """True when the block holds every word of text, whole and in order."""
    return block.whole and " ".join(block.lines) == " ".join(text.split())
