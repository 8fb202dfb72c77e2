"""Draw every symbol of media/symbols.yaml on one contact sheet, so a SaLT can review the set.

Usage: python scripts/contact_sheet.py [--out docs/images/symbols-contact-sheet.png] [--pdf FILE]

Each cell shows the picture exactly as the bot draws it (bot.render.cards.emoji_image, the
OpenMoji font), the words under it in the card font (Atkinson Hyperlegible), and the symbol's id
in small grey type. Cells are grouped by category, in the order of the file. See docs/symbols.md.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))

from bot.engine.vocabulary import Symbol, Vocabulary  # noqa: E402
from bot.paths import media_dir  # noqa: E402
from bot.render import fonts  # noqa: E402
from bot.render.cards import emoji_image  # noqa: E402

COLUMNS = 12
CELL_W, CELL_H = 150, 196
PICTURE = 96  # px, inside a cell
MARGIN = 24
HEADING_H = 54
TITLE_H = 90
INK, GREY, RULE, PAPER = (20, 20, 20), (110, 110, 110), (210, 210, 210), (255, 255, 255)
DEFAULT_OUT = ROOT / "docs" / "images" / "symbols-contact-sheet.png"
ATTRIBUTION = "Symbols: OpenMoji (openmoji.org), CC BY-SA 4.0"


@dataclass(frozen=True)
class Cell:
    """Where one symbol is drawn: its box on the sheet (left, top) and the symbol."""

    symbol: Symbol
    left: int
    top: int

    @property
    def picture_box(self) -> tuple[int, int, int, int]:
        """The square the picture is centred in (left, top, right, bottom)."""
        x = self.left + (CELL_W - PICTURE) // 2
        y = self.top + 12
        return (x, y, x + PICTURE, y + PICTURE)


@dataclass(frozen=True)
class Heading:
    """A category heading across the sheet."""

    text: str
    top: int


@dataclass(frozen=True)
class Layout:
    """Every cell and heading, and the sheet's size in pixels."""

    cells: tuple[Cell, ...]
    headings: tuple[Heading, ...]
    width: int
    height: int


def _by_category(symbols: Sequence[Symbol]) -> dict[str, list[Symbol]]:
    groups: dict[str, list[Symbol]] = {}
    for symbol in symbols:
        groups.setdefault(symbol.category, []).append(symbol)
    return groups


def layout(symbols: Sequence[Symbol], columns: int = COLUMNS) -> Layout:
    """Place every symbol once, grouped by category (first-seen order), `columns` to a row.

    Takes the symbols in file order; returns a Layout with exactly one Cell per symbol.
    """
    cells: list[Cell] = []
    headings: list[Heading] = []
    top = MARGIN + TITLE_H
    for category, members in _by_category(symbols).items():
        headings.append(Heading(f"{category.replace('_', ' ')} ({len(members)})", top))
        top += HEADING_H
        for i, symbol in enumerate(members):
            row, col = divmod(i, columns)
            cells.append(Cell(symbol, MARGIN + col * CELL_W, top + row * CELL_H))
        top += -(-len(members) // columns) * CELL_H + 12
    return Layout(tuple(cells), tuple(headings), MARGIN * 2 + columns * CELL_W, top + MARGIN)


def _centred(draw: ImageDraw.ImageDraw, text: str, x: int, y: int, size: int,
             fill: tuple[int, int, int], max_w: int) -> None:
    """Draw one line centred on x, shrinking the type until it fits max_w."""
    while True:
        font = fonts.text_font("atkinson", size)
        if draw.textlength(text, font=font) <= max_w or size <= 10:
            break
        size -= 1
    draw.text((x, y), text, font=font, fill=fill, anchor="ma")


def _draw_cell(canvas: Image.Image, draw: ImageDraw.ImageDraw, cell: Cell) -> None:
    left, top = cell.left, cell.top
    draw.rounded_rectangle((left + 4, top + 4, left + CELL_W - 4, top + CELL_H - 4), radius=14,
                           outline=RULE, width=2)
    picture = emoji_image(cell.symbol.emoji, PICTURE)
    if picture is not None:
        x0, y0, _, _ = cell.picture_box
        spot = (x0 + (PICTURE - picture.width) // 2, y0 + (PICTURE - picture.height) // 2)
        canvas.paste(picture, spot, picture)
    centre = left + CELL_W // 2
    _centred(draw, cell.symbol.words, centre, top + PICTURE + 24, 21, INK, CELL_W - 16)
    _centred(draw, cell.symbol.id, centre, top + PICTURE + 54, 14, GREY, CELL_W - 16)


def render(symbols: Sequence[Symbol], columns: int = COLUMNS) -> tuple[Image.Image, Layout]:
    """The contact sheet as an RGB image, with the layout it was drawn from."""
    plan = layout(symbols, columns)
    canvas = Image.new("RGB", (plan.width, plan.height), PAPER)
    draw = ImageDraw.Draw(canvas)
    draw.text((MARGIN, MARGIN), f"MySay symbols: {len(plan.cells)} cards",
              font=fonts.text_font("atkinson", 40), fill=INK)
    draw.text((MARGIN, MARGIN + 52), "Picture, words under it, then the id (stored in answers; "
              f"never changes). {ATTRIBUTION}.", font=fonts.text_font("atkinson", 18), fill=GREY)
    for heading in plan.headings:
        draw.text((MARGIN, heading.top + 14), heading.text.capitalize(),
                  font=fonts.text_font("atkinson", 28), fill=INK)
        draw.line((MARGIN, heading.top + HEADING_H - 6, plan.width - MARGIN,
                   heading.top + HEADING_H - 6), fill=RULE, width=2)
    for cell in plan.cells:
        _draw_cell(canvas, draw, cell)
    return canvas, plan


def load_symbols(path: Path | None = None) -> list[Symbol]:
    """The shared vocabulary's symbols, in file order (default: media/symbols.yaml)."""
    vocabulary = Vocabulary.load(path or media_dir() / "symbols.yaml")
    return [vocabulary[i] for i in vocabulary.ids()]


def main(argv: Sequence[str] | None = None) -> Layout:
    """Write the PNG (and the PDF when asked); returns the layout drawn."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the PNG to write")
    parser.add_argument("--pdf", type=Path, default=None, help="also write the sheet as a PDF")
    parser.add_argument("--symbols", type=Path, default=None, help="another symbols.yaml")
    args = parser.parse_args(argv)
    image, plan = render(load_symbols(args.symbols))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    image.save(args.out, "PNG", optimize=True)
    if args.pdf is not None:
        args.pdf.parent.mkdir(parents=True, exist_ok=True)
        image.save(args.pdf, "PDF", resolution=150.0)
    print(f"{len(plan.cells)} symbols -> {args.out}" + (f" and {args.pdf}" if args.pdf else ""))
    return plan


if __name__ == "__main__":
    main()
