"""How long a picture card takes to draw: cold (new process), warm, and from the cache.

Run from the repository root:  .venv/bin/python bench/render_cards.py [--runs 9]

- cold process: a fresh Python process imports the renderer and draws its first card
  (fonts opened, glyphs drawn, PNG encoded); the import is reported on its own line.
- cold caches: in a warm process, every font, glyph and shape cache is cleared first.
- warm: a card never drawn before, but its symbols are already cached (the usual case).
- cached: CardCache.get_or_render for a card already in the cache.
- Talking Mat: an 8-card mat redrawn after one placement, afresh and from the parts cache
  (bot.render.cards.parts), drawing and encoding timed apart, in wall and CPU time.
- parts cache (issue 17): cards as the bot draws them now, pasted from drawn parts
  (bot.render.cards.parts). "new card, warmed bot": a flow card never drawn in this process,
  after cards.warm_up has laid out every flow card and drawn its symbols (as at bot
  start-up); "cold caches": the same card with every cache cleared and no warm-up. Each is
  split into draw (draw_card, the canvas) and encode (shapes._png), which add up to the
  total. "ticked tile": a multi-select card drawn again with one more tile ticked.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FOUR = [("Good", "😀"), ("OK", "😐"), ("Bad", "🙁"), ("Not sure", "🤷")]
TWELVE = [
    ("Home", "🏠"), ("School", "🏫"), ("Friend", "🧑‍🤝‍🧑"), ("Teacher", "🧑‍🏫"),
    ("Football", "⚽"), ("Music", "🎵"), ("Pizza", "🍕"), ("Bus", "🚌"), ("Art", "🎨"),
    ("Sleep", "😴"), ("Pet", "🐶"), ("Games", "🎲"),
]  # fmt: skip


def _child() -> None:
    """Runs in a fresh interpreter: time the import and the first cards."""
    started = time.perf_counter()
    from bot.render.cards import Card, Tile, render_card

    imported = time.perf_counter()
    render_card(Card("How was today?", tuple(Tile(w, e) for w, e in FOUR)))
    first = time.perf_counter()
    render_card(Card("What do you like doing?", tuple(Tile(w, e) for w, e in TWELVE)))
    second = time.perf_counter()
    print(
        json.dumps(
            {
                "import_ms": (imported - started) * 1000,
                "first_4_ms": (first - imported) * 1000,
                "first_12_ms": (second - first) * 1000,
            }
        )
    )


def _cold_process(runs: int) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {}
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, __file__, "--child"],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        ).stdout
        for name, value in json.loads(out.strip().splitlines()[-1]).items():
            results.setdefault(name, []).append(value)
    return results


def _time(
    fn: Callable[[], object], runs: int, before: Callable[[], object] | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> list[float]:
    times: list[float] = []
    for _ in range(runs):
        if before is not None:
            before()
        started = clock()
        fn()
        times.append((clock() - started) * 1000)
    return times


def _in_process(runs: int) -> dict[str, list[float]]:
    from bot.render.cards import (
        Card,
        CardCache,
        CardStyle,
        Tile,
        clear_render_caches,
        render_card,
        render_text_card,
    )

    four = Card("How was today?", tuple(Tile(w, e) for w, e in FOUR))
    twelve = Card("What do you like doing?", tuple(Tile(w, e) for w, e in TWELVE))
    render_card(four)
    counter = iter(range(10**9))

    def fresh_four() -> bytes:  # a new card each time (new footer), symbols already cached
        return render_card(Card(four.title, four.tiles, footer=f"Step {next(counter)} of 5"))

    cache = CardCache()
    cache.get_or_render(four)
    review = [("😀", "Today was good"), ("🏫", "I like art and music"), ("🚌", "The bus is loud")]
    return {
        "cold caches, 4 tiles": _time(lambda: render_card(four), runs, clear_render_caches),
        "cold caches, 12 tiles": _time(lambda: render_card(twelve), runs, clear_render_caches),
        "warm, 4 tiles (new card)": _time(fresh_four, runs),
        "warm, 12 tiles": _time(lambda: render_card(twelve), runs),
        "warm, large text high contrast": _time(
            lambda: render_card(four, CardStyle(text_scale=1.5, palette="high_contrast")), runs
        ),
        "review picture, 3 lines": _time(lambda: render_text_card("You said", review), runs),
        "cached (CardCache hit)": _time(lambda: cache.get_or_render(four), runs),
    }


MAT_TOPIC = ("School", "🏫")
MAT_SCALE = [("I like it", "👍"), ("Not sure", "🤔"), ("I don't like it", "👎")]
MAT_CARDS = [
    ("Maths", "🔢"), ("Art", "🎨"), ("Music", "🎵"), ("Lunch time", "🥪"),
    ("Football", "⚽"), ("Reading on my own", "📖"), ("The bus", "🚌"), ("Friends", "🧑‍🤝‍🧑"),
]  # fmt: skip


def _mat(runs: int) -> dict[str, list[float]]:
    """A Talking Mat of 8 cards (a topic, a three-point scale) placed one by one, as a young
    person does, into a parts cache; then the redraw after one more placement: 7 cards down
    and the 8th being placed. Each timed run places a card never drawn before and shows a
    new current card (their words carry the run's number), so each redraw draws those two
    faces and pastes the rest, as in a real mat. Draw and encode are timed apart."""
    from bot.engine.screen import MatCard, MatView
    from bot.render.cards import _png
    from bot.render.cards.parts import PartsCache
    from bot.render.mat import draw_mat

    def card(words: str, emoji: str) -> MatCard:
        return MatCard(words.lower(), words, emoji)

    topic, (like, unsure, dislike) = card(*MAT_TOPIC), [card(*c) for c in MAT_SCALE]
    cards = [card(*c) for c in MAT_CARDS]

    def view(placed: list[MatCard], current: MatCard | None) -> MatView:
        columns: list[list[MatCard]] = [[], [], []]
        for i, c in enumerate(placed):
            columns[(0, 2, 1, 0, 1)[i % 5]].append(c)
        return MatView(topic, (like, unsure, dislike),
                       (tuple(columns[0]), tuple(columns[1]), tuple(columns[2])), current)

    parts = PartsCache(24 * 1024 * 1024)
    for n in range(len(cards)):
        draw_mat(view(cards[:n], cards[n]), parts=parts)
    counter = iter(range(10**9))

    def after_one_placement(cached: bool) -> object:
        k = next(counter)
        placed = [*cards[:6], card(f"{MAT_CARDS[6][0]} {k}", MAT_CARDS[6][1])]
        current = card(f"{MAT_CARDS[7][0]} {k}", MAT_CARDS[7][1])
        return draw_mat(view(placed, current), parts=parts if cached else None)

    drawn = draw_mat(view(cards[:7], cards[7]))
    results: dict[str, list[float]] = {}
    # Wall time, then CPU time of this process (on a shared machine the wall time also counts
    # waiting for a core; the CPU time is the work itself).
    for clock, suffix in ((time.perf_counter, ""), (time.process_time, ", CPU")):
        results |= {
            f"mat redraw, full (8 cards, draw only{suffix})": _time(
                lambda: after_one_placement(False), runs, clock=clock),
            f"mat redraw after one placement (8 cards, parts cache{suffix})": _time(
                lambda: after_one_placement(True), runs, clock=clock),
            f"mat, same picture again (parts cache{suffix})": _time(
                lambda: draw_mat(view(cards[:7], cards[7]), parts=parts), runs, clock=clock),
            f"mat encode (_png, 1080 wide{suffix})": _time(lambda: _png(drawn), runs,
                                                           clock=clock),
        }
    return results


def _review(runs: int) -> dict[str, list[float]]:
    """Review and profile pictures: the full redraw and from cached parts (issue 17), the
    drawing alone and the encoding alone. "one line added": a review of five lines whose
    first four rows are cached (each run adds a different fifth line, so it is drawn)."""
    from bot.render.cards import draw_text_card
    from bot.render.cards.parts import PartsCache
    from bot.render.cards.shapes import _png
    from bot.render.profile import draw_profile

    review = [("😀", "How was today?: Good"), ("🏫", "School: I like art and music", ("🎨", "🎵")),
              ("🚌", "The bus: it is loud in the morning"), ("🍕", "Lunch: pizza", ("🍕",))]
    sections = [("What people like about me", [("⚽", "Football"), ("🎵", "Music")]),
                ("What is important to me", [("🐶", "My dog"), ("🧑‍🤝‍🧑", "My friends")]),
                ("How best to support me", [("🤫", "A quiet place to work when it is loud")])]
    parts = PartsCache(64 * 1024 * 1024)
    counter = iter(range(10**9))

    def one_more(cached: bool) -> object:
        lines = [*review, ("👍", f"Anything else: step {next(counter)}")]
        return draw_text_card("This is what you said", lines, parts=parts if cached else None)

    def profile_changed(cached: bool) -> object:
        changed = [*sections[:2], (sections[2][0], [("🤫", f"Quiet {next(counter)}")])]
        return draw_profile("My one-page profile", changed, None, None,
                            parts if cached else None)

    draw_text_card("This is what you said", review, parts=parts)  # the rows so far
    draw_profile("My one-page profile", sections, None, None, parts)
    image = draw_text_card("This is what you said", [*review, ("👍", "x")])
    profile = draw_profile("My one-page profile", sections)
    return {
        "review, 5 lines, full redraw (draw)": _time(lambda: one_more(False), runs),
        "review picture, one line added (parts cache, draw)": _time(lambda: one_more(True), runs),
        "review, same again (parts cache, draw)": _time(
            lambda: draw_text_card("This is what you said", review, parts=parts), runs),
        "review, encode only (_png)": _time(lambda: _png(image), runs),
        "profile, full redraw (draw)": _time(lambda: profile_changed(False), runs),
        "profile, one line changed (parts cache, draw)": _time(
            lambda: profile_changed(True), runs),
        "profile, encode only (_png)": _time(lambda: _png(profile), runs),
    }


def _split(
    cards: list[object], style: object, before: Callable[[], object] | None = None
) -> dict[str, list[float]]:
    """Draw and encode times of each card (drawn from SHARED_PARTS), one card a run."""
    from bot.render.cards import draw_card
    from bot.render.cards.parts import SHARED_PARTS
    from bot.render.cards.shapes import _png

    draw: list[float] = []
    encode: list[float] = []
    for card in cards:
        if before is not None:
            before()
        started = time.perf_counter()
        canvas = draw_card(card, style, SHARED_PARTS)  # type: ignore[arg-type]
        drawn = time.perf_counter()
        _png(canvas)
        draw.append((drawn - started) * 1000)
        encode.append((time.perf_counter() - drawn) * 1000)
    total = [d + e for d, e in zip(draw, encode, strict=True)]
    return {"total": total, "draw": draw, "encode": encode}


def _parts(runs: int) -> dict[str, list[float]]:
    from dataclasses import replace

    from bot.render.cards import DEFAULT_STYLE, clear_render_caches, draw_card, warm_up
    from bot.render.cards.parts import SHARED_PARTS
    from bot.render.flow_cards import flow_cards, multi_steps
    from bot.service.young_person import MENU_PAGE
    from bot.services import load_content

    content = load_content()
    every = list(flow_cards(content.engine, content.locale, MENU_PAGE))
    # Cards of 3 to 12 tiles, spread over the flows, each drawn once ("new").
    step = max(1, len(every) // runs)
    sample = [card for _, card in every[::step] if len(card.tiles) >= 3][:runs]
    results: dict[str, list[float]] = {}
    cold = _split(sample, DEFAULT_STYLE, clear_render_caches)
    for name, values in cold.items():
        results[f"cold caches, new card: {name}"] = values
    clear_render_caches()
    started = time.perf_counter()
    warm_up(DEFAULT_STYLE, (card for _, card in every))
    warm_s = time.perf_counter() - started
    results["warm-up (every flow card), s"] = [warm_s]
    results["SHARED_PARTS after warm-up, MB"] = [SHARED_PARTS.bytes / 1e6]
    for name, values in _split(sample, DEFAULT_STYLE).items():
        results[f"new card, warmed bot: {name}"] = values
    multi = multi_steps(content.engine)
    card = next(c for where, c in every if where in multi and len(c.tiles) >= 4)
    draw_card(card, DEFAULT_STYLE, SHARED_PARTS)
    ticks = []
    for n in range(min(runs, len(card.tiles))):
        tiles = tuple(replace(t, selected=i <= n) for i, t in enumerate(card.tiles))
        ticks.append(replace(card, tiles=tiles))
    for name, values in _split(ticks, DEFAULT_STYLE).items():
        results[f"ticked tile (parts cache): {name}"] = values
    results["SHARED_PARTS at the end, MB"] = [SHARED_PARTS.bytes / 1e6]
    return results


def _report(title: str, results: dict[str, list[float]]) -> None:
    print(title)
    for name, values in results.items():
        if len(values) == 1:  # a one-off figure in the unit its name says (s, MB)
            print(f"  {name:<58} {values[0]:7.2f}")
            continue
        print(
            f"  {name:<58} median {statistics.median(values):7.2f} ms"
            f"   min {min(values):7.2f}   max {max(values):7.2f}   (n={len(values)})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--review", action="store_true",
                        help="only the review and profile pictures")
    args = parser.parse_args()
    if args.child:
        _child()
        return
    if args.review:
        _report("Review and profile pictures:", _review(args.runs))
        return
    _report("Fresh process (cold):", _cold_process(max(3, args.runs // 2)))
    _report("In process:", _in_process(args.runs))
    _report("In process, from drawn parts (ms unless said):", _parts(args.runs))
    _report("Talking Mat:", _mat(args.runs))
    _report("Review and profile pictures:", _review(args.runs))


if __name__ == "__main__":
    main()
