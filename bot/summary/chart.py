"""The good / bad day balance, one pair of bars per week, drawn with Pillow.

Good days go up, bad days go down, so the chart reads the same without colour; the colours
(blue and orange) are also safe for the common kinds of colour blindness.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from PIL import Image, ImageDraw

from bot.render import fonts
from bot.summary.model import Week

GOOD = (29, 78, 216)
BAD = (194, 65, 12)
INK = (31, 31, 31)
GRID = (205, 205, 205)
PAPER = (255, 255, 255)


def week_chart(weeks: Sequence[Week], *, width: int = 1600, height: int = 520,
               split: date | None = None, labels: tuple[str, str, str] = (
                   "Good days", "Bad days", "Last meeting")) -> Image.Image:
    """The chart as an RGB image. `split`: draw a line where the earlier period ends."""
    image = Image.new("RGB", (width, height), PAPER)
    draw = ImageDraw.Draw(image)
    font = fonts.text_font("atkinson", max(14, height // 18))
    small = fonts.text_font("atkinson", max(12, height // 22))
    left, right, top, bottom = width // 14, width - width // 40, height // 7, height - height // 8
    middle = (top + bottom) // 2
    tallest = max([1, *(w.good for w in weeks), *(w.bad for w in weeks)])
    unit = (middle - top) / tallest
    _legend(draw, font, labels[:2], left, top // 3)
    draw.line((left, middle, right, middle), fill=INK, width=2)
    for value in range(1, tallest + 1):
        if tallest > 8 and value % max(1, tallest // 4):
            continue
        for y in (middle - value * unit, middle + value * unit):
            draw.line((left, y, right, y), fill=GRID, width=1)
        draw.text((left - 10, middle - value * unit), str(value), font=small, fill=INK,
                  anchor="rm")
        draw.text((left - 10, middle + value * unit), str(value), font=small, fill=INK,
                  anchor="rm")
    if not weeks:
        return image
    # A few weeks get narrow bars in the middle, not a wall of colour.
    step = min((right - left) / len(weeks), width / 14)
    start = left + ((right - left) - step * len(weeks)) / 2
    bar = max(2.0, step * 0.7)
    month = None
    for index, week in enumerate(weeks):
        x = start + index * step + (step - bar) / 2
        if week.good:
            draw.rectangle((x, middle - week.good * unit, x + bar, middle - 1), fill=GOOD)
        if week.bad:
            draw.rectangle((x, middle + 1, x + bar, middle + week.bad * unit), fill=BAD)
        if week.start.month != month:
            month = week.start.month
            draw.text((x, bottom + 6), f"{week.start:%b}", font=small, fill=INK, anchor="lt")
        if split is not None and index and weeks[index - 1].start < split <= week.start:
            _split_line(draw, small, x - (step - bar) / 2, top, bottom, labels[2])
    return image


def _legend(draw: ImageDraw.ImageDraw, font: object, labels: Sequence[str], x: int,
            y: int) -> None:
    for colour, label in zip((GOOD, BAD), labels, strict=True):
        size = getattr(font, "size", 20)
        draw.rectangle((x, y, x + size, y + size), fill=colour)
        draw.text((x + size + 10, y + size // 2), label, font=font, fill=INK, anchor="lm")
        x += size + 30 + int(draw.textlength(label, font=font))  # type: ignore[arg-type]


def _split_line(draw: ImageDraw.ImageDraw, font: object, x: float, top: int, bottom: int,
                label: str) -> None:
    y = top
    while y < bottom:  # dashed, so it is not mistaken for a bar
        draw.line((x, y, x, min(bottom, y + 10)), fill=INK, width=2)
        y += 18
    draw.text((x + 6, top), label, font=font, fill=INK, anchor="lt")  # type: ignore[arg-type]
