"""Days rated good, OK and bad, three bars per week, drawn with Pillow, and when a chart is
worth drawing at all.

Only days the young person rated as a whole ("How was today?") are drawn; a part of the day is
never made into a day. A chart is drawn only when at least MIN_WEEKS weeks have a rated day
(fewer is nothing to compare: the text gives the figures). The bars rise from 0 on one axis
with integer ticks, labelled with what is counted; "not sure" days are left to the text. Good
is dark and solid, OK light grey, bad striped, so the chart reads the same without colour; the
colours (blue and orange) are also safe for the common kinds of colour blindness.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

from PIL import Image, ImageDraw

from bot.render import fonts
from bot.summary.model import Week

GOOD = (29, 78, 216)
BAD = (194, 65, 12)
OK = (175, 175, 175)
INK = (31, 31, 31)
GRID = (205, 205, 205)
PAPER = (255, 255, 255)
MIN_WEEKS = 3  # fewer weeks with a rated day: nothing to compare, so no chart
MOST_TICKS = 6  # at most this many numbers up the side


def weeks_rated(weeks: Sequence[Week]) -> int:
    """How many of `weeks` have a bar: a day rated good, OK or bad as a whole."""
    return sum(1 for w in weeks if w.good or w.ok or w.bad)


def worth_drawing(weeks: Sequence[Week]) -> bool:
    """True when at least MIN_WEEKS of `weeks` have a bar (weeks_rated): enough to compare."""
    return weeks_rated(weeks) >= MIN_WEEKS


def axis_ticks(weeks: Sequence[Week]) -> tuple[int, ...]:
    """The numbers up the side: distinct integers from 0 up to the first tick at or above the
    most good, OK or bad days in any week (at least 1), evenly spaced, at most MOST_TICKS."""
    tallest = max([1, *(max(w.good, w.ok, w.bad) for w in weeks)])
    step = max(1, math.ceil(tallest / (MOST_TICKS - 1)))
    top = step * math.ceil(tallest / step)
    return tuple(range(0, top + 1, step))


def week_chart(weeks: Sequence[Week], *, width: int = 1600, height: int = 520,
               split: date | None = None, labels: tuple[str, str, str, str, str] = (
                   "Good days", "OK days", "Bad days", "Last meeting", "Days")) -> Image.Image:
    """The chart as an RGB image: for each week, days rated good, OK and bad side by side, on
    one axis with `axis_ticks` and `labels[4]` naming what is counted; `labels[:3]` name the
    bars. `split`: draw a line where the earlier period ends. Raises ValueError when
    `worth_drawing(weeks)` is False."""
    if not worth_drawing(weeks):
        raise ValueError(f"a chart needs {MIN_WEEKS} weeks with a rated day, "
                         f"not {weeks_rated(weeks)}")
    image = Image.new("RGB", (width, height), PAPER)
    draw = ImageDraw.Draw(image)
    font = fonts.text_font("atkinson", max(14, height // 18))
    small = fonts.text_font("atkinson", max(12, height // 22))
    left, right, top, bottom = width // 12, width - width // 40, height // 5, height - height // 8
    ticks = axis_ticks(weeks)
    unit = (bottom - top) / ticks[-1]
    _legend(draw, font, labels[:3], left, height // 30)
    draw.text((left - 10, top - 12), labels[4], font=small, fill=INK, anchor="rb")
    for value in ticks:
        y = bottom - value * unit
        draw.line((left, y, right, y), fill=INK if value == 0 else GRID, width=2 if not value
                  else 1)
        draw.text((left - 10, y), str(value), font=small, fill=INK, anchor="rm")
    # A few weeks get narrow bars in the middle, not a wall of colour.
    step = min((right - left) / len(weeks), width / 14)
    start = left + ((right - left) - step * len(weeks)) / 2
    bar = max(1.0, step * 0.25)
    month = None
    split_x: float | None = None
    for index, week in enumerate(weeks):
        x = start + index * step + (step - 3 * bar) / 2
        if week.good:
            draw.rectangle((x, bottom - week.good * unit, x + bar, bottom - 1), fill=GOOD)
        if week.ok:
            draw.rectangle((x + bar, bottom - week.ok * unit, x + 2 * bar, bottom - 1), fill=OK)
        if week.bad:
            _striped(draw, (x + 2 * bar, bottom - week.bad * unit, x + 3 * bar, bottom - 1))
        if week.start.month != month:
            month = week.start.month
            draw.text((x, bottom + 6), f"{week.start:%b}", font=small, fill=INK, anchor="lt")
        if split is not None and index and weeks[index - 1].start < split <= week.start:
            split_x = start + index * step
    if split_x is not None:  # last, so its label sits over the bars
        _split_line(draw, small, split_x, top, bottom, labels[3])
    return image


def _striped(draw: ImageDraw.ImageDraw, box: tuple[float, float, float, float]) -> None:
    """A bad-day bar: orange with white diagonal stripes, told apart without colour."""
    x0, y0, x1, y1 = box
    draw.rectangle(box, fill=BAD)
    if x1 - x0 < 4:
        return
    c = x0 + y0 + 6
    while c < x1 + y1:  # each stripe is the line x + y = c, kept inside the bar
        start, end = max(x0, c - y1), min(x1, c - y0)
        if start < end:
            draw.line((start, c - start, end, c - end), fill=PAPER, width=2)
        c += 10


def _legend(draw: ImageDraw.ImageDraw, font: object, labels: Sequence[str], x: int,
            y: int) -> None:
    size = int(getattr(font, "size", 20))
    for index, label in enumerate(labels):
        if index == 2:
            _striped(draw, (x, y, x + size, y + size))
        else:
            draw.rectangle((x, y, x + size, y + size), fill=(GOOD, OK)[index])
        draw.text((x + size + 10, y + size // 2), label, font=font, fill=INK, anchor="lm")
        x += size + 30 + int(draw.textlength(label, font=font))  # type: ignore[arg-type]


def _split_line(draw: ImageDraw.ImageDraw, font: object, x: float, top: int, bottom: int,
                label: str) -> None:
    y = top
    while y < bottom:  # dashed, so it is not mistaken for a bar
        draw.line((x, y, x, min(bottom, y + 10)), fill=INK, width=2)
        y += 18
    box = draw.textbbox((x + 6, top), label, font=font, anchor="lt")  # type: ignore[arg-type]
    draw.rectangle((box[0] - 3, box[1] - 3, box[2] + 3, box[3] + 3), fill=PAPER)  # over bars
    draw.text((x + 6, top), label, font=font, fill=INK, anchor="lt")  # type: ignore[arg-type]
