"""The Talking Mat page (issue 16, point 6) in a real browser: Debian's Chromium, driven by
Playwright on a 360 px touch phone, opens the sandbox chat as Jo, starts the Talking Mat and
taps "🧩 Open the mat". The sandbox's sheet (chat.js, standing in for Telegram) opens the page
in a frame with initData signed by the sandbox token. On the page: the first card is dragged
with real touch events, the second placed by tapping the card then the column, the third with
the keyboard alone, the fourth left off with a quick double tap on "Skip" (one card, not two), a
card taken back with the page's own Back button (the sheet's back arrow only puts down a card
picked up), a double tap on a column placing one card, the rest tapped into place; a placed card
is moved on the finished mat; "Stop for now", then the mat opened again from the chat shows the same
mat; the sheet's main button "This is right" finishes it. Then the chat shows the finished mat's
picture and the review, and the stored placements, /mydata and the therapist's summary all say
what was done on the page. A page with forged initData says to open it again from the chat and
changes nothing; the finished mat's old "Open the mat" button opens a page that says it is
finished. No console error, no CSP violation, no request leaves the computer.

Skipped, with the reason, when /usr/bin/chromium or the playwright package is missing; CI
installs both and fails if this file was skipped (.ci/run).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from pypdf import PdfReader
from sqlalchemy import select

from bot.app import services_of
from bot.sandbox import seed
from bot.sandbox.web import PUBLIC_URL, SANDBOX_TOKEN
from bot.store import repo
from bot.store.models import FlowRun, Person
from bot.webapp.init_data import sign_init_data
from tests.sandbox.browser_support import BROWSER_MARKS, PHONE
from tests.sandbox.test_sandbox import RunningSandbox
from tests.service.test_mat_placements import plain

try:
    from playwright.async_api import Browser, Frame, FrameLocator, Locator, Page, expect
except ImportError:  # pragma: no cover - depends on the machine
    pass

# The `browser` and `sandbox` fixtures are in tests/sandbox/conftest.py.
pytestmark = BROWSER_MARKS

# The talking_mat flow's cards (flows/talking_mat.yaml), in the order they are given.
CARDS = ["Lessons", "Maths", "Reading", "Art", "PE", "Break time", "Lunch", "Homework"]
# What the page does to each, in order; then Maths is moved from "Don't like" to "Like" on the
# finished mat (a moved card goes to the end of its new column).
PLACED_IN_ORDER = (("lessons", 0), ("reading", 1), ("art", -1), ("pe", 0), ("break", 0),
                   ("lunch", 1), ("homework", 2), ("maths", 0))
COLUMN_IDS = {0: "like", 1: "not_sure", 2: "dont_like", -1: "left_off"}
MAT_WORDS = ("Like: Lessons, PE, Break time, Maths · Not sure: Reading, Lunch · "
             "Don't like: Homework · Left off: Art")
PER_POINT = {"Like": "Lessons, PE, Break time, Maths", "Not sure": "Reading, Lunch",
             "Don't like": "Homework", "Left off": "Art"}
# A column's list of cards on the page, by its name ("under Like"); case matters, so "Like"
# is not "Don't like".
COLUMN_LISTS = {"Like": re.compile(r"\bLike$"), "Not sure": re.compile(r"\bNot sure$"),
                "Don't like": re.compile(r"\bDon't like$")}


class Watch:
    """Everything that must not happen in the chat or the page: console errors (a CSP
    violation is one), uncaught errors, and requests to anywhere but the sandbox."""

    def __init__(self, sandbox: RunningSandbox) -> None:
        self.origin = sandbox.url
        self.problems: list[str] = []
        # Console lines a step expects (the browser logs a refused request, e.g. a 409).
        self.expected: list[re.Pattern[str]] = []

    def attach(self, page: Page) -> None:
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("console", self._console)
        page.on("request", self._request)

    def _console(self, message: Any) -> None:
        if message.type == "error":
            line = f"console ({message.location.get('url', '')}): {message.text}"
            if not any(pattern.search(line) for pattern in self.expected):
                self.problems.append(line)

    def _request(self, request: Any) -> None:
        url = request.url
        if not (url.startswith(f"{self.origin}/") or url.startswith(("blob:", "data:"))):
            self.problems.append(f"request to {urlsplit(url).scheme}://{urlsplit(url).netloc}")


async def open_chat(browser: Browser, sandbox: RunningSandbox, watch: Watch) -> Page:
    context = await browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    page = await context.new_page()
    watch.attach(page)
    await page.goto(f"{sandbox.url}/#young_person")
    await expect(page.locator("#banner")).to_be_hidden()
    return page


def newest(page: Page) -> Locator:
    return page.locator("#messages > li.msg.bot").last


async def chat_tap(page: Page, label: str) -> None:
    """Tap an inline button on the bot's newest message, as Jo's finger would."""
    await newest(page).locator("button.kb", has_text=label).tap()


async def open_mat(page: Page) -> FrameLocator:
    """Tap "🧩 Open the mat" on the newest mat message; the sheet opens with the page."""
    opener = newest(page).get_by_role("button", name=re.compile("Open the mat"))
    await expect(opener).to_be_visible()
    await opener.tap()
    await expect(page.locator("#webapp")).to_be_visible()
    frame = page.frame_locator("#webapp-frame")
    await expect(column(frame, "Like")).to_be_visible(timeout=15_000)
    return frame


async def frame_of(page: Page) -> Frame:
    handle = await page.locator("#webapp-frame").element_handle()
    assert handle is not None
    found = await handle.content_frame()
    assert found is not None
    return found


def card(frame: FrameLocator, words: str) -> Locator:
    """A card, by its words (its 🔈 button is named "Read it to me: <words>")."""
    return frame.get_by_role("button", name=words, exact=True)


def column(frame: FrameLocator, words: str) -> Locator:
    """A scale point (where cards go), by its words."""
    return frame.get_by_role("button", name=words, exact=True)


def column_list(frame: FrameLocator, words: str) -> Locator:
    """The cards under a scale point."""
    return frame.get_by_role("list", name=COLUMN_LISTS[words])


async def centre(locator: Locator) -> tuple[float, float]:
    box = await locator.bounding_box()
    assert box is not None, f"{locator} is not on the screen"
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


async def touch_drag(page: Page, source: Locator, target: Locator) -> None:
    """Drag `source` onto `target` with a finger: Chrome DevTools' Input.dispatchTouchEvent
    (touchStart, a slow touchMove path, touchEnd), the events a phone's touchscreen gives, so
    the page's Pointer Events see pointerType "touch"."""
    await source.scroll_into_view_if_needed()
    (x0, y0), (x1, y1) = await centre(source), await centre(target)
    viewport = page.viewport_size or PHONE
    assert 0 <= y1 <= viewport["height"], "the column is off the screen while the card is on it"
    cdp = await page.context.new_cdp_session(page)
    try:
        await cdp.send("Input.dispatchTouchEvent",
                       {"type": "touchStart", "touchPoints": [{"x": x0, "y": y0}]})
        steps = 12
        for step in range(1, steps + 1):
            x, y = x0 + (x1 - x0) * step / steps, y0 + (y1 - y0) * step / steps
            await cdp.send("Input.dispatchTouchEvent",
                           {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
            await page.wait_for_timeout(16)  # a frame apart, as a finger moves
        await cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    finally:
        await cdp.detach()


async def double_tap(page: Page, target: Locator) -> None:
    """Two quick taps of a finger on `target`, 120 ms apart (a young person's double tap)."""
    await target.scroll_into_view_if_needed()
    x, y = await centre(target)
    await page.touchscreen.tap(x, y)
    await page.wait_for_timeout(120)
    await page.touchscreen.tap(x, y)


async def settled(target: Locator) -> None:
    """Wait until a new card has settled and `target` (a column, Skip) takes taps again."""
    await expect(target).not_to_have_attribute("aria-disabled", "true")


async def focused_words(page: Page) -> str:
    """The words of the button that has the keyboard's focus inside the page ("" if the focus
    is outside it, on the sheet or the chat)."""
    frame = await frame_of(page)
    return await frame.evaluate("""() => {
        const active = document.hasFocus() ? document.activeElement : null;
        return active && active.matches('button') ? active.textContent.trim() : '';
    }""")


async def key_to(page: Page, words: str, key: str = "Tab", presses: int = 40) -> None:
    """Press `key` (Tab or Shift+Tab) until the page's focused button shows exactly `words`."""
    for _ in range(presses):
        if await focused_words(page) == words:
            return
        await page.keyboard.press(key)
    raise AssertionError(f"{key} never reached {words!r} on the mat page")


async def fits_the_phone(page: Page) -> None:
    """The sheet and the page in it fit the 360 px phone: no sideways scrolling anywhere."""
    outer = await page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]")
    inner = await (await frame_of(page)).evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert outer[0] <= outer[1] and inner[0] <= inner[1], (outer, inner)


async def next_card_is(frame: FrameLocator, words: str) -> None:
    await expect(card(frame, words)).to_be_visible()


async def jo_and_run(sandbox: RunningSandbox) -> tuple[int, FlowRun]:
    application = sandbox.sandbox.application
    assert application is not None
    async with services_of(application).db.transaction() as session:
        jo = await session.scalar(select(Person).where(
            Person.telegram_user_id == seed.YOUNG_PERSON.user_id))
        assert jo is not None
        run = await session.scalar(select(FlowRun).where(
            FlowRun.person_id == jo.id, FlowRun.flow_id == "talking_mat"))
        assert run is not None
        return jo.id, run


async def stored_placements(sandbox: RunningSandbox) -> tuple[tuple[str, int], ...]:
    """The mat answer's placements as the database keeps them (answers.detail)."""
    _jo, run = await jo_and_run(sandbox)
    application = sandbox.sandbox.application
    assert application is not None
    async with services_of(application).db.transaction() as session:
        answers = await repo.answers_of(session, run.id)
    assert "mat" in answers, f"no mat answer stored: {sorted(answers)}"
    return answers["mat"].placements


def documents(sandbox: RunningSandbox, user_id: int) -> dict[str, bytes]:
    api = sandbox.sandbox.api
    assert api is not None
    return {api.files[m.document].file_name or "": api.files[m.document].data
            for m in api.messages_in(user_id) if m.document and m.document in api.files}


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())


async def place_every_card(page: Page, frame: FrameLocator) -> None:
    """Jo places the eight cards: drag, tap-tap, keyboard, Skip, then taps."""
    # 1. Lessons: dragged with a finger onto "Like". Nothing to take back yet: no back arrow.
    await next_card_is(frame, "Lessons")
    await expect(page.locator("#webapp-back")).to_be_hidden()
    await touch_drag(page, card(frame, "Lessons"), column(frame, "Like"))
    await expect(column_list(frame, "Like")).to_contain_text("Lessons")
    # 2. Maths: tap the card, then tap "Don't like".
    await next_card_is(frame, "Maths")
    await card(frame, "Maths").tap()
    await column(frame, "Don't like").tap()
    await expect(column_list(frame, "Don't like")).to_contain_text("Maths")
    # 3. Reading: the keyboard alone. Tab to the card, Enter picks it up, Shift+Tab back up
    #    to "Not sure", Enter puts it there.
    await next_card_is(frame, "Reading")
    await key_to(page, "Reading")
    await page.keyboard.press("Enter")
    await key_to(page, "Not sure", "Shift+Tab")
    await page.keyboard.press("Enter")
    await expect(column_list(frame, "Not sure")).to_contain_text("Reading")
    # 4. Art: left off the mat with a quick double tap on Skip: one card is left off; the
    #    second tap does not leave off PE, which has just come and was never seen.
    await next_card_is(frame, "Art")
    skip = frame.get_by_role("button", name=re.compile(r"\bSkip\b"))
    await settled(skip)
    await double_tap(page, skip)
    left_off = frame.get_by_role("list", name=re.compile("Left off"))
    await expect(left_off).to_contain_text("Art")
    await next_card_is(frame, "PE")
    await settled(skip)
    await expect(left_off).not_to_contain_text("PE")
    # 5. PE picked up: the sheet's back arrow (Telegram's BackButton) shows only now, and puts
    #    the card down (Android's back gesture presses it); then PE goes under "Don't like",
    #    the arrow hides, and the page's own Back button takes PE back.
    back_arrow = page.locator("#webapp-back")
    await expect(back_arrow).to_be_hidden()
    await card(frame, "PE").tap()
    await expect(card(frame, "PE")).to_have_attribute("aria-pressed", "true")
    await expect(back_arrow).to_be_visible()
    await back_arrow.tap()
    await expect(card(frame, "PE")).to_have_attribute("aria-pressed", "false")
    await expect(back_arrow).to_be_hidden()
    await expect(column_list(frame, "Don't like")).to_contain_text("Maths")  # nothing taken back
    await card(frame, "PE").tap()
    await column(frame, "Don't like").tap()
    await expect(column_list(frame, "Don't like")).to_contain_text("PE")
    await expect(back_arrow).to_be_hidden()
    await frame.get_by_role("button", name="Back", exact=True).tap()
    await expect(column_list(frame, "Don't like")).not_to_contain_text("PE")
    # 5-6. PE tapped into place; Break time by a quick double tap on "Like": one card goes
    #    there, and Lunch (just come) is not placed unseen.
    await next_card_is(frame, "PE")
    await card(frame, "PE").tap()
    await column(frame, "Like").tap()
    await expect(column_list(frame, "Like")).to_contain_text("PE")
    await next_card_is(frame, "Break time")
    await settled(column(frame, "Like"))
    await double_tap(page, column(frame, "Like"))
    await expect(column_list(frame, "Like")).to_contain_text("Break time")
    await next_card_is(frame, "Lunch")
    await settled(column(frame, "Like"))
    await expect(column_list(frame, "Like")).not_to_contain_text("Lunch")
    # 7-8: tapped into place.
    for words, where in (("Lunch", "Not sure"), ("Homework", "Don't like")):
        await next_card_is(frame, words)
        await card(frame, words).tap()
        await column(frame, where).tap()
        await expect(column_list(frame, where)).to_contain_text(words)


async def check_the_mat(frame: FrameLocator) -> None:
    """The finished mat on the page: every card under its scale point."""
    for point, cards in PER_POINT.items():
        listed = (frame.get_by_role("list", name=re.compile("Left off")) if point == "Left off"
                  else column_list(frame, point))
        for words in cards.split(", "):
            await expect(listed).to_contain_text(words)


async def test_a_talking_mat_on_the_page_dragged_tapped_and_typed_then_kept(
        browser: Browser, sandbox: RunningSandbox, tmp_path: Path) -> None:
    watch = Watch(sandbox)
    page = await open_chat(browser, sandbox, watch)
    await chat_tap(page, "Yes, let's start")
    await expect(newest(page).locator("p.text")).to_contain_text("What would you like to do?")
    await chat_tap(page, "Talking Mat")
    await expect(newest(page).locator("p.text")).to_contain_text("where does Lessons go?")

    frame = await open_mat(page)
    await fits_the_phone(page)
    await a_forged_page_changes_nothing(page, sandbox)
    await place_every_card(page, frame)

    # The whole mat to look at: the sheet's main button says "This is right".
    main = page.locator("#webapp-main")
    await expect(main).to_be_visible()
    await expect(main).to_contain_text("This is right")
    # Move a placed card: Maths from "Don't like" to "Like".
    await card(frame, "Maths").tap()
    await column(frame, "Like").tap()
    await expect(column_list(frame, "Like")).to_contain_text("Maths")
    await expect(column_list(frame, "Don't like")).not_to_contain_text("Maths")
    await check_the_mat(frame)
    # The page keeps nothing of its own: the run under way in the database holds the mat.
    assert await placed_in_the_run(sandbox) == PLACED_IN_ORDER

    # Stop for now: the chat says so; the mat opened again is the same mat.
    await frame.get_by_role("button", name=re.compile("Stop for now")).tap()
    await expect(newest(page).locator("p.text")).to_contain_text("Stopped for now",
                                                                  timeout=15_000)
    if await page.locator("#webapp").is_visible():  # the page closes itself, or Jo closes it
        await page.get_by_role("button", name="Close").tap()
    await expect(page.locator("#webapp")).to_be_hidden()
    await chat_tap(page, "Continue")
    frame = await open_mat(page)
    await check_the_mat(frame)
    await expect(main).to_contain_text("This is right")
    await fits_the_phone(page)
    (tmp_path / "mat-page.png").write_bytes(await page.screenshot())

    # Escape closes the sheet, as closing Telegram's does: nothing is sent, the chat stays.
    before = len(await sandbox.chat("young_person"))
    await card(frame, "Lessons").focus()
    await page.keyboard.press("Escape")
    await expect(page.locator("#webapp")).to_be_hidden()
    assert len(await sandbox.chat("young_person")) == before
    frame = await open_mat(page)
    await check_the_mat(frame)

    # "This is right", from the sheet's main button (Telegram's MainButton).
    await main.tap()
    await expect(page.locator("#webapp")).to_be_hidden(timeout=15_000)
    finished = page.locator("#messages > li.msg.bot", has_text="Here is your finished mat")
    await expect(finished.locator("img.photo")).to_be_visible(timeout=30_000)
    await expect(newest(page).locator("p.text")).to_contain_text("anything else")

    assert await stored_placements(sandbox) == PLACED_IN_ORDER

    # The finished mat's old "Open the mat" button: the page says the mat is finished (the
    # server refuses its state with 409, which the browser logs).
    watch.expected.append(re.compile(r"/mat/api/state\?run=\d+\): Failed to load resource: "
                                     r"the server responded with a status of 409\b"))
    opener = page.get_by_role("button", name=re.compile("Open the mat")).last
    await opener.tap()
    old = page.frame_locator("#webapp-frame")
    await expect(old.locator("#message-text")).to_have_text(
        sandbox.sandbox.locale("mat_page.gone"), timeout=15_000)
    await expect(old.locator("#mat-view")).to_be_hidden()
    await old.get_by_role("button", name="Close").tap()
    await expect(page.locator("#webapp")).to_be_hidden()

    # The rest of the activity in the chat, to the review.
    await page.locator("#text").fill("PE is the best")
    await page.locator("#text").press("Enter")
    await expect(newest(page).locator("p.text")).to_contain_text("Who helped")
    await chat_tap(page, "On my own")  # more than one can help: tick, then Done
    await expect(newest(page).locator("button.kb", has_text="On my own")).to_contain_text("✅")
    await chat_tap(page, "Done")
    await expect(newest(page).locator("p.text")).to_contain_text("This is what you told me")
    review = await newest(page).locator("p.text").inner_text()
    assert f"My Talking Mat: {MAT_WORDS}" in plain(review), review
    await expect(newest(page).locator("img.photo")).to_be_visible()
    await chat_tap(page, "Share with my therapist")
    await expect(newest(page).locator("p.text")).to_contain_text("Your therapist can see this")

    await check_mydata_and_summary(sandbox)
    await page.context.close()
    assert watch.problems == [], "\n".join(watch.problems)


async def a_forged_page_changes_nothing(page: Page, sandbox: RunningSandbox) -> None:
    """The page opened with Jo's initData whose hash was changed (forged): the page says to
    open it again from the chat (the server's 401 words), and the run is as it was."""
    _jo, run = await jo_and_run(sandbox)
    chat_before = len(await sandbox.chat("young_person"))
    fields = dict(parse_qsl(sign_init_data(SANDBOX_TOKEN, seed.YOUNG_PERSON.user_id,
                                           seed.YOUNG_PERSON.first_name, datetime.now(UTC))))
    fields["hash"] = ("0" if fields["hash"][0] != "0" else "1") + fields["hash"][1:]
    path = urlsplit(PUBLIC_URL).path
    forged = await page.context.new_page()
    await forged.goto(f"{sandbox.url}{path}/mat?run={run.id}#tgWebAppData="
                      f"{quote(urlencode(fields))}&tgWebAppVersion=8.0&tgWebAppPlatform=sandbox")
    await expect(forged.locator("#message-text")).to_have_text(
        sandbox.sandbox.locale("mat_page_http.not_signed"), timeout=15_000)
    await expect(forged.locator("#mat-view")).to_be_hidden()
    await forged.close()
    _jo, after = await jo_and_run(sandbox)
    assert (after.version, after.state) == (run.version, run.state)
    assert len(await sandbox.chat("young_person")) == chat_before


async def placed_in_the_run(sandbox: RunningSandbox) -> tuple[tuple[str, int], ...]:
    """The cards placed so far on the run under way, as its stored state keeps them."""
    _jo, run = await jo_and_run(sandbox)
    return tuple((str(c), int(i)) for c, i in (run.state or {}).get("placed", ()))


async def check_mydata_and_summary(sandbox: RunningSandbox) -> None:
    """/mydata (its data file and PDF) and the therapist's summary name the same placements."""
    await sandbox.send("young_person", "/mydata")
    files = documents(sandbox, seed.YOUNG_PERSON.user_id)
    archive = zipfile.ZipFile(io.BytesIO(files["my-mysay-data.zip"]))
    data = json.loads(archive.read("my-mysay-data.json"))
    answer = next(a for f in data["flows"] for a in f["answers"] if a["step"] == "mat")
    assert sorted((c["id"], c["placed"]) for c in answer["mat"]["cards"]) == sorted(
        (card, COLUMN_IDS[column]) for card, column in PLACED_IN_ORDER)
    text = pdf_text(files["my-mysay.pdf"])
    for point, cards in PER_POINT.items():
        assert f"{point}: {cards}" in text, point

    await sandbox.send("therapist", "/summary")
    await sandbox.tap("therapist", "Jo")
    said = "\n".join(m["text"] for m in await sandbox.chat("therapist") if m["fromBot"])
    assert MAT_WORDS.replace(" · ", "; ") in said, said


async def test_only_the_sandboxs_own_page_opens_in_the_sheet(
        browser: Browser, sandbox: RunningSandbox) -> None:
    """A web_app button whose address is not under the sandbox's public URL (another site, or
    a path that steps out of it) is not opened: a kind note, no sheet, no request."""
    api = sandbox.sandbox.api
    assert api is not None
    rows = [[{"text": "Elsewhere", "web_app": {"url": "https://example.org/mat?run=1"}}],
            [{"text": "Sideways", "web_app": {"url": f"{PUBLIC_URL}/../api/state"}}]]
    async with sandbox.http.post(f"{api.base_url}{SANDBOX_TOKEN}/sendMessage", json={
            "chat_id": seed.YOUNG_PERSON.user_id, "text": "Pages",
            "reply_markup": {"inline_keyboard": rows}}) as response:
        assert response.status == 200
    watch = Watch(sandbox)
    page = await open_chat(browser, sandbox, watch)
    note = sandbox.sandbox.locale("sandbox.webapp.not_here")
    for name in ("Elsewhere", "Sideways"):
        await expect(page.locator("#toast")).to_be_hidden(timeout=10_000)
        await newest(page).get_by_role("button", name=re.compile(name)).tap()
        await expect(page.locator("#toast")).to_have_text(note)
        await expect(page.locator("#webapp")).to_be_hidden()
    assert await page.locator("#webapp-frame").count() == 0
    await page.context.close()
    assert watch.problems == [], "\n".join(watch.problems)
