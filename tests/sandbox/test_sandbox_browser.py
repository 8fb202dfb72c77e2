"""The sandbox web chat in a real browser (issue 7, points 4 and 5): Debian's Chromium, driven by
Playwright, clicks through a Good day / Bad day check-in, shares it, switches to the therapist,
pulls the summary, and checks the page at phone width and with the keyboard alone.

Skipped, with the reason, when /usr/bin/chromium or the playwright package is missing; CI
installs both and fails if this file was skipped.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from PIL import Image, ImageStat

from bot.sandbox import seed
from tests.sandbox.browser_support import BROWSER_MARKS, CHROMIUM, CHROMIUM_FLAGS, PHONE
from tests.sandbox.test_sandbox import RunningSandbox

try:
    from playwright.async_api import Browser, Locator, Page, async_playwright, expect
except ImportError:  # pragma: no cover - depends on the machine
    async_playwright = None  # type: ignore[assignment]

# The `browser` and `sandbox` fixtures are in tests/sandbox/conftest.py.
pytestmark = BROWSER_MARKS


async def open_page(browser: Browser, sandbox: RunningSandbox, errors: list[str],
                    viewport: dict[str, int] | None = None) -> Page:
    context = await browser.new_context(viewport=viewport or {"width": 390, "height": 844},
                                        accept_downloads=True)
    page = await context.new_page()
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    page.on("console", lambda message: errors.append(f"console: {message.text}")
            if message.type == "error" else None)
    await page.goto(sandbox.url)
    await expect(page.locator("#banner")).to_be_hidden()
    return page


def newest(page: Page) -> Locator:
    return page.locator("#messages > li.msg.bot").last


def words(page: Page) -> Locator:
    """The words (text or caption) of the bot's newest message, without its buttons."""
    return newest(page).locator("p.text")


async def tap(page: Page, label: str) -> None:
    """Click a picture button (or any inline button) on the bot's newest message."""
    await newest(page).locator("button.kb", has_text=label).click()


async def card_loaded(page: Page) -> None:
    image = newest(page).locator("img.photo")
    await expect(image).to_be_visible()
    await page.wait_for_function(
        "img => img.complete && img.naturalWidth > 300", arg=await image.element_handle())


def not_blank(png: bytes) -> dict[str, Any]:
    with Image.open(io.BytesIO(png)) as image:
        grey = image.convert("L")
        return {"stddev": ImageStat.Stat(grey).stddev[0],
                "colours": len(image.convert("RGB").getcolors(1_000_000) or [])}


async def test_check_in_share_and_the_therapists_summary_in_chromium(
        browser: Browser, sandbox: RunningSandbox, tmp_path: Path) -> None:
    errors: list[str] = []
    page = await open_page(browser, sandbox, errors)
    await expect(words(page)).to_contain_text("Is it OK to start?")
    await tap(page, "Yes, let's start")
    await expect(words(page)).to_contain_text("What would you like to do?")
    await tap(page, "How was today")
    await expect(words(page)).to_contain_text("How was today?")
    # The menu may be a picture card too: wait for the question's own buttons.
    await expect(newest(page).locator("button.kb", has_text="Not sure")).to_be_visible()
    await card_loaded(page)

    await tap(page, "Good")
    await expect(words(page)).to_contain_text("What made it good?")
    await card_loaded(page)
    await tap(page, "Friend")
    await expect(newest(page).locator("button.kb", has_text="Friend")).to_contain_text("✅")
    await tap(page, "Games")
    await expect(newest(page).locator("button.kb", has_text="Games")).to_contain_text("✅")
    shot = await page.screenshot()
    (tmp_path / "mid-flow.png").write_bytes(shot)
    await tap(page, "Done")
    await expect(words(page)).to_contain_text("own words")
    await page.locator("#text").fill("We played football at lunch")
    await page.locator("#text").press("Enter")
    await expect(words(page)).to_contain_text("This is what you told me")
    await expect(words(page)).to_contain_text("We played football at lunch")
    await tap(page, "Share with my therapist")
    await expect(words(page)).to_contain_text("Your therapist can see this now")

    await page.get_by_role("button", name="Sam").click()
    await expect(page.locator("#personas [aria-pressed=true]")).to_contain_text("Sam")
    await page.locator("#text").fill("/summary")
    await page.locator("#text").press("Enter")
    await expect(newest(page).locator("button.kb", has_text="Jo")).to_be_visible()
    await tap(page, "Jo")
    # The PDF summary (a download link), or, before that part of MySay, the words.
    document = page.locator("#messages a.doc")
    summary = document.or_(page.locator("#messages p.text",
                                        has_text="We played football at lunch"))
    await expect(summary.first).to_be_visible(timeout=30_000)
    if await document.count():
        async with page.expect_download() as download_info:
            await document.last.click()
        download = await download_info.value
        assert download.suggested_filename.endswith(".pdf")
        saved = tmp_path / "summary.pdf"
        await download.save_as(saved)
        assert saved.read_bytes().startswith(b"%PDF")

    look = not_blank(shot)
    assert look["stddev"] > 20 and look["colours"] > 200, look
    final = not_blank(await page.screenshot())
    assert final["stddev"] > 20, final
    assert errors == []


async def check_phone_fit(page: Page) -> None:
    """No sideways scrolling, and every visible button is at least 44 by 44 pixels."""
    widths = await page.evaluate("""() => {
        const chat = document.querySelector('#chat');
        return [document.documentElement.scrollWidth, window.innerWidth,
                chat.scrollWidth, chat.clientWidth];
    }""")
    assert widths[0] <= widths[1] and widths[2] <= widths[3], widths
    small = await page.evaluate("""() => [...document.querySelectorAll(
            'button, textarea, a.doc, input:not([type=file])')]
        .filter(e => e.offsetParent !== null || e.closest('dialog[open]'))
        .map(e => [e.textContent.trim() || e.getAttribute('aria-label'),
                   e.getBoundingClientRect()])
        .filter(([, r]) => r.width > 0 && (r.width < 44 || r.height < 44))
        .map(([name, r]) => `${name}: ${Math.round(r.width)}x${Math.round(r.height)}`)""")
    assert small == [], small


async def focused_text(page: Page) -> str:
    return await page.evaluate("""() => {
        const active = document.activeElement;
        return active?.matches('button, a, textarea') ? active.textContent.trim() : '';
    }""")


async def tab_to(page: Page, words: str, presses: int = 60) -> None:
    """Press Tab until the focused button or link shows `words` (maybe it already does)."""
    for _ in range(presses):
        if words.casefold() in (await focused_text(page)).casefold():
            return
        await page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {words!r}")


async def test_phone_width_and_keyboard_only(browser: Browser, sandbox: RunningSandbox) -> None:
    errors: list[str] = []
    page = await open_page(browser, sandbox, errors, viewport=PHONE)
    await expect(words(page)).to_contain_text("Is it OK to start?")
    await check_phone_fit(page)

    await tab_to(page, "Yes, let's start")
    await page.keyboard.press("Enter")
    await expect(words(page)).to_contain_text("What would you like to do?")
    await tab_to(page, "How was today")
    await page.keyboard.press("Enter")
    await expect(words(page)).to_contain_text("How was today?")
    # The menu may be a picture card too: wait for the question's own buttons.
    await expect(newest(page).locator("button.kb", has_text="Not sure")).to_be_visible()
    await card_loaded(page)
    await check_phone_fit(page)
    await tab_to(page, "Bad")
    await page.keyboard.press("Enter")
    await expect(words(page)).to_contain_text("What made it bad?")
    # The changed message keeps the keyboard user's place: focus is on its first button.
    await expect(newest(page).locator("button.kb").first).to_be_focused()

    while (await page.evaluate("() => document.activeElement?.id")) != "text":
        await page.keyboard.press("Tab")
    await page.keyboard.type("too noisy in class")
    await page.keyboard.press("Enter")
    await expect(page.locator("#messages > li.msg.me").last).to_contain_text("too noisy in class")
    await expect(words(page)).to_contain_text("own words")  # typed words answer the step
    await check_phone_fit(page)

    # The dialogs fit too, and work from the keyboard.
    await tab_to(page, "Sam")
    await page.keyboard.press("Enter")
    await expect(page.locator("#personas [aria-pressed=true]")).to_contain_text("Sam")
    invite_link = page.locator("#messages a", has_text="t.me/")
    await invite_link.focus()
    await page.keyboard.press("Enter")
    await expect(page.locator("#link-dialog")).to_be_visible()
    await check_phone_fit(page)
    await page.keyboard.press("Escape")
    await expect(page.locator("#link-dialog")).to_be_hidden()
    await page.locator("#reset").focus()
    await page.keyboard.press("Enter")
    await expect(page.locator("#reset-dialog")).to_be_visible()
    await check_phone_fit(page)
    await page.keyboard.press("Escape")
    await expect(page.locator("#reset-dialog")).to_be_hidden()
    assert errors == []


async def test_start_over_and_open_an_invitation_link_as_someone_else(
        browser: Browser, sandbox: RunningSandbox) -> None:
    errors: list[str] = []
    page = await open_page(browser, sandbox, errors)
    await tap(page, "Yes, let's start")
    await expect(words(page)).to_contain_text("What would you like to do?")

    await page.get_by_role("button", name="Start over").click()
    await page.get_by_role("button", name="Yes, start over").click()
    await expect(words(page)).to_contain_text("Is it OK to start?")
    await expect(page.locator("#banner")).to_be_hidden()

    # Sam's /invite link, opened as Alex: a stranger with someone else's link is asked too.
    await page.get_by_role("button", name="Sam").click()
    await page.locator("#text").fill("/invite")
    await page.locator("#text").press("Enter")
    await expect(words(page)).to_contain_text("one-time link")
    await newest(page).locator("a", has_text="t.me/").click()
    await page.locator("#link-dialog").get_by_role("button", name="Alex").click()
    await expect(page.locator("#personas [aria-pressed=true]")).to_contain_text("Alex")
    await expect(words(page)).to_contain_text("Is it OK to start?")
    assert errors == []


async def test_a_photo_and_a_voice_note_from_the_page(tmp_path: Path,
                                                      sandbox: RunningSandbox) -> None:
    errors: list[str] = []
    async with async_playwright() as playwright:
        # Chromium's stand-in microphone (a beep), allowed without asking.
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[*CHROMIUM_FLAGS, "--use-fake-device-for-media-stream",
                  "--use-fake-ui-for-media-stream"])
        try:
            page = await open_page(browser, sandbox, errors)
            await page.get_by_role("button", name="Sam").click()
            buffer = io.BytesIO()
            Image.new("RGB", (120, 80), "teal").save(buffer, "PNG")
            await page.locator("#photo-file").set_input_files(
                files=[{"name": "drawing.png", "mimeType": "image/png",
                        "buffer": buffer.getvalue()}])
            mine = page.locator("#messages > li.msg.me").last
            await expect(mine.locator("img.photo")).to_be_visible()
            await page.wait_for_function(
                "img => img.complete && img.naturalWidth === 120",
                arg=await mine.locator("img.photo").element_handle())
            await expect(words(page)).to_contain_text("/invite")  # the bot answered it

            await page.get_by_role("button", name="Record a voice note").click()
            await expect(page.get_by_role("button", name="Stop and send")).to_be_visible()
            await page.wait_for_timeout(1200)  # record a little of the beep
            await page.get_by_role("button", name="Stop and send").click()
            await expect(mine.locator("audio")).to_have_count(1)
            await expect(page.get_by_role("button", name="Record a voice note")).to_be_visible()
        finally:
            await browser.close()
    api = sandbox.sandbox.api
    assert api is not None
    voices = [m for m in api.messages_in(seed.THERAPIST.user_id, include_user=True) if m.voice]
    assert len(voices) == 1 and len(api.file_bytes(voices[0].voice or "")) > 500
    assert errors == []
