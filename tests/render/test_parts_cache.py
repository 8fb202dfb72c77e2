"""The cache of drawn parts (bot.render.cards.parts): bounded by bytes, least-recently-used
first out, personal parts dropped when idle and when anyone's data is erased."""

from __future__ import annotations

from PIL import Image

from bot.render.cards import parts
from bot.render.cards.parts import PartsCache


def _part(side: int, colour: int = 0) -> Image.Image:
    return Image.new("RGB", (side, side), (colour, colour, colour))


def test_a_part_is_drawn_once_then_reused() -> None:
    cache = PartsCache(max_bytes=10**6)
    drawn: list[int] = []

    def make() -> Image.Image:
        drawn.append(1)
        return _part(10)

    first = cache.get(("tile", 1), make)
    again = cache.get(("tile", 1), make)
    assert again is first and len(drawn) == 1
    assert (cache.hits, cache.misses) == (1, 1)


def test_the_bytes_bound_drops_the_least_recently_used() -> None:
    cache = PartsCache(max_bytes=3 * 10 * 10 * 3)  # room for three 10x10 RGB parts
    for n in range(3):
        cache.get(n, lambda: _part(10))
    cache.get(0, lambda: _part(10))  # 0 is now the most recently used
    cache.get(3, lambda: _part(10))  # so 1 goes
    assert len(cache) == 3 and cache.bytes == 900
    redrawn: list[int] = []
    cache.get(0, lambda: redrawn.append(0) or _part(10))
    cache.get(1, lambda: redrawn.append(1) or _part(10))
    assert redrawn == [1]


def test_a_part_bigger_than_the_cache_is_returned_not_kept() -> None:
    cache = PartsCache(max_bytes=100)
    image = cache.get("big", lambda: _part(50))
    assert image.size == (50, 50) and len(cache) == 0 and cache.bytes == 0


def test_personal_parts_go_when_idle() -> None:
    now = [0.0]
    cache = PartsCache(max_bytes=10**6, max_idle=60.0, clock=lambda: now[0])
    cache.get("words", lambda: _part(10, 1))
    now[0] = 59.0
    assert cache.get("words", lambda: _part(10, 2)).getpixel((0, 0)) == (1, 1, 1)
    now[0] = 59.0 + 61.0
    assert cache.prune() == 1 and len(cache) == 0
    cache.get("words", lambda: _part(10, 1))
    now[0] += 61.0
    assert cache.get("words", lambda: _part(10, 3)).getpixel((0, 0)) == (3, 3, 3)


def test_erasing_anyone_forgets_every_personal_part_but_not_shared_ones() -> None:
    parts.clear_parts()
    parts.PERSONAL_PARTS.get(("mat card", parts.digest("their words")), lambda: _part(10))
    parts.SHARED_PARTS.get(("tile", "Happy"), lambda: _part(10))
    parts.forget_personal()
    assert len(parts.PERSONAL_PARTS) == 0 and len(parts.SHARED_PARTS) == 1
    assert parts.parts_for(shared=True) is parts.SHARED_PARTS
    assert parts.parts_for(shared=False) is parts.PERSONAL_PARTS
    parts.clear_parts()


def test_a_digest_never_holds_the_words() -> None:
    key = parts.digest("I like the quiet room", 1.25)
    assert "quiet" not in key and len(key) == 64
    assert key == parts.digest("I like the quiet room", 1.25)
    assert key != parts.digest("I like the quiet room", 1.5)


def test_idle_personal_parts_age_out_with_nobody_drawing() -> None:
    """prune_personal (run every minute by the bot) drops the personal parts and the mat's
    remembered words once idle, without any new drawing asking for them."""
    from bot.render import mat

    parts.clear_parts()
    now = [1000.0]
    clock = parts.PERSONAL_PARTS._clock
    fits_clock = mat._FITS._clock
    parts.PERSONAL_PARTS._clock = mat._FITS._clock = lambda: now[0]
    try:
        parts.PERSONAL_PARTS.get(("row", parts.digest("their words")), lambda: _part(10))
        mat._FITS.get(("fit", parts.digest("their words")), lambda: "fitted")
        parts.SHARED_PARTS.get(("tile", "Happy"), lambda: _part(10))
        assert parts.prune_personal() == 0 and len(parts.PERSONAL_PARTS) == 1
        now[0] += parts.PERSONAL_IDLE_SECONDS + 1
        assert parts.prune_personal() == 1
        assert len(parts.PERSONAL_PARTS) == 0 and len(mat._FITS) == 0
        assert len(parts.SHARED_PARTS) == 1
    finally:
        parts.PERSONAL_PARTS._clock, mat._FITS._clock = clock, fits_clock
        parts.clear_parts()


def test_the_bot_ages_out_picture_parts_every_minute() -> None:
    from telegram.ext import Application

    from bot.telegram import jobs

    application = Application.builder().token("123456:TEST-not-a-real-token").build()
    jobs.schedule(application)
    assert application.job_queue is not None
    (job,) = application.job_queue.get_jobs_by_name(jobs.PRUNE_JOB)
    assert job.callback is jobs._age_picture_parts
    assert jobs.PRUNE_SECONDS <= 60 < parts.PERSONAL_IDLE_SECONDS


def test_a_part_drawn_while_everything_is_erased_is_not_kept() -> None:
    """An erasure (forget_personal) while a young person's part is being drawn: the drawing
    still returns its picture, but nothing of it is kept after the erasure."""
    from bot.render import mat

    cache = PartsCache(max_bytes=10**6, max_idle=60.0)

    def drawn_during_erasure() -> Image.Image:
        cache.clear()
        return _part(10)

    assert cache.get(("row", "x"), drawn_during_erasure).size == (10, 10)
    assert len(cache) == 0 and cache.bytes == 0
    assert mat._FITS.get(("fit", "y"), lambda: (mat._FITS.forget(), "fitted")[1]) == "fitted"
    assert len(mat._FITS) == 0
