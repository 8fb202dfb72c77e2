"""The mat page's files obey the Content-Security-Policy and load nothing from outside MySay
(issue 16, point 4): no inline script or style, no file or font from another site, and
the vendored Telegram script is the one its README names."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from bot.render.cards.style import PALETTES

STATIC = Path(__file__).resolve().parents[2] / "bot" / "webapp" / "static"
VENDOR_SHA256 = "644341946207e71a396ebcf812eccdaa9edbe7eb5c3e90c3f0f91d1fc413b4fa"


def _read(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def test_page_has_no_inline_script_or_style() -> None:
    html = _read("mat.html")
    inline_script = re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not inline_script, "an inline <script> (script-src 'self')"
    assert "<style" not in html, "a <style> block (style-src 'self')"
    assert not re.search(r"\sstyle\s*=", html), "a style attribute (style-src 'self')"
    assert not re.search(r"\son[a-z]+\s*=", html), "an inline event handler"


def test_page_references_only_its_own_relative_files() -> None:
    html = _read("mat.html")
    refs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert set(refs) == {"mat/static/mat.css", "mat/static/vendor/telegram-web-app.js",
                         "mat/static/mat.js", "data:,"}
    css = _read("mat.css")
    assert re.findall(r'url\("([^"]+)"\)', css) == ["../font/atkinson", "../font/emoji",
                                                    "../font/opendyslexic"]
    for text in (html, css, _read("mat.js")):
        assert "http://" not in text and "https://" not in text
        assert "//fonts." not in text and "cdn" not in text.lower()


def test_script_never_writes_style_attributes_or_html() -> None:
    js = _read("mat.js")
    assert "innerHTML" not in js
    assert "setAttribute('style'" not in js and 'setAttribute("style"' not in js
    assert "eval(" not in js and "new Function" not in js


def test_vendored_telegram_script_is_the_package_file() -> None:
    data = (STATIC / "vendor" / "telegram-web-app.js").read_bytes()
    assert hashlib.sha256(data).hexdigest() == VENDOR_SHA256
    assert b"sourceMappingURL" not in data
    licence = (STATIC / "vendor" / "LICENSE-telegram-web-app.txt").read_text()
    assert licence.startswith("MIT License")
    readme = (STATIC / "vendor" / "README.md").read_text()
    assert "@twa-dev/sdk" in readme and "8.0.2" in readme and VENDOR_SHA256 in readme


def test_the_page_takes_each_palettes_banner_and_selected_fill() -> None:
    """The topic band, the scale's tiles and the tray change with the young person's colours
    (Warm, Strong, Calm, Plain), in the picture cards' own colours."""
    css = _read("mat.css")
    blocks = {"standard": css[css.index(":root {"):]}
    for name in PALETTES:
        if name != "standard":
            blocks[name] = css[css.index(f':root[data-palette="{name}"] {{'):]
    for name, palette in PALETTES.items():
        block = blocks[name][:blocks[name].index("}")]
        for prop, rgb in (("--mat-banner", palette.banner),
                          ("--mat-selected-fill", palette.selected_fill)):
            assert f"{prop}: #{rgb[0]:02x}{rgb[1]:02x}{rgb[2]:02x};" in block, (name, prop)


def test_every_word_shown_after_the_state_comes_from_the_server() -> None:
    """The page's English table (FALLBACK) is only for before the first state arrives: every
    message is `words.<key>`, the young person's words in their style from the locale
    (bot/service/mat_page.py `_words`), with FALLBACK read directly only as a `||` default or
    for "open it from your chat", which is said when there is no state at all."""
    js = _read("mat.js")
    direct = [line.strip() for line in js.splitlines()
              if "FALLBACK." in line and "|| FALLBACK." not in line]
    assert direct == ["showMessage(FALLBACK.open_from_chat);"], direct
