"""Checking text and buttons as Telegram does: its HTML subset, MarkdownV2, length limits and
inline keyboards. A bad message is refused with Telegram's own 400 description, so a bug in the
bot's markup fails here as it would fail in a real chat."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from bot.sandbox.fake_api.wire import JSONDict, bad

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64

_HTML_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
     "tg-emoji", "tg-time", "code", "pre", "blockquote"}
)
_MDV2_RESERVED = "_*[]()~`>#+-=|{}.!"


class TelegramHTML(HTMLParser):
    """Checks Telegram's HTML subset and extracts the plain text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.open_tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HTML_TAGS:
            raise bad(f'can\'t parse entities: Unsupported start tag "{tag}"')
        self.open_tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open_tags or self.open_tags[-1] != tag:
            raise bad(f'can\'t parse entities: Unmatched end tag "{tag}"')
        self.open_tags.pop()

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def parse_formatted(text: str, parse_mode: str | None) -> str:
    """Return the plain text Telegram would show, raising BotAPIError on bad markup."""
    if not parse_mode:
        return text
    mode = parse_mode.lower()
    if mode == "html":
        parser = TelegramHTML()
        parser.feed(text)
        parser.close()
        if parser.open_tags:
            raise bad(
                "can't parse entities: Can't find end tag corresponding to start tag "
                f'"{parser.open_tags[-1]}"'
            )
        return "".join(parser.parts)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    if mode == "markdown":
        return "".join(c for c in text if c not in "*_`[")
    raise bad(f"unsupported parse_mode {parse_mode!r}")


def parse_markdown_v2(text: str) -> str:
    """Approximate MarkdownV2 parsing: unescaped reserved characters are rejected."""
    out: list[str] = []
    i, n = 0, len(text)
    in_code = in_pre = False
    while i < n:
        char = text[i]
        if char == "\\" and i + 1 < n:
            out.append(text[i + 1])
            i += 2
            continue
        if text.startswith("```", i):
            in_pre = not in_pre
            i += 3
            continue
        if in_pre or in_code:
            if char == "`" and in_code:
                in_code = False
            else:
                out.append(char)
            i += 1
            continue
        if char == "`":
            in_code = True
        elif char == "]" and text.startswith("](", i):
            end = text.find(")", i)
            i = n if end < 0 else end
        elif char in "*_~|[" or (char == ">" and (i == 0 or text[i - 1] == "\n")):
            pass
        elif char in _MDV2_RESERVED:
            raise bad(
                f"can't parse entities: Character '{char}' is reserved and must be escaped "
                "with the preceding '\\'"
            )
        else:
            out.append(char)
        i += 1
    return "".join(out)


def utf16_len(text: str) -> int:
    """The length Telegram counts entity offsets in (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def check_text(text: str, parse_mode: str | None, *, caption: bool) -> None:
    """Refuse text or a caption Telegram would refuse (bad markup, empty, too long).

    Raises BotAPIError (400) with Telegram's description.
    """
    plain = parse_formatted(text, parse_mode)
    if caption:
        if len(plain) > MAX_CAPTION_LENGTH:
            raise bad("message caption is too long")
    elif not plain.strip():
        raise bad("message text is empty")
    elif len(plain) > MAX_TEXT_LENGTH:
        raise bad("message is too long")


def check_reply_markup(markup: Any, *, private: bool = True) -> JSONDict | None:
    """The decoded `reply_markup`, refused as Telegram would (empty labels, text-only buttons,
    a button with more than one action, callback data outside 1-64 bytes, a Mini App button
    that is not https or not in a private chat). `private`: the message is in a private chat.
    None when there is none."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad("can't parse reply keyboard markup JSON object")
    for row in markup.get("inline_keyboard") or []:
        for button in row:
            _check_button(button, private)
    return markup


def _check_button(button: Any, private: bool) -> None:
    """One inline keyboard button (Bot API InlineKeyboardButton: "Exactly one of the optional
    fields must be used to specify type of the button"), refused with Telegram's words."""
    if not isinstance(button, dict) or not button.get("text"):
        raise bad("can't parse inline keyboard button: Text must be non-empty")
    actions = set(button) - {"text", "icon_custom_emoji_id", "style"}
    if not actions:
        raise bad("can't parse inline keyboard button: Text buttons are "
                  "unallowed in the inline keyboard")
    if len(actions) > 1:
        raise bad("can't parse inline keyboard button: exactly one of the optional fields "
                  "must be used")
    data = button.get("callback_data")
    if data is not None and not 1 <= len(str(data).encode()) <= 64:
        raise bad("BUTTON_DATA_INVALID")
    if "web_app" in button:
        _check_web_app(button["web_app"], private)


def _check_web_app(web_app: Any, private: bool) -> None:
    """A Mini App button's WebAppInfo: an object with an https `url` (Telegram Mini Apps:
    "An HTTPS URL of a Web App"), in a private chat only (Bot API: "Available only in
    private chats between a user and the bot"; elsewhere Telegram answers
    BUTTON_TYPE_INVALID)."""
    url = web_app.get("url") if isinstance(web_app, dict) else None
    if not isinstance(url, str) or not url:
        raise bad("can't parse inline keyboard button: Field \"url\" must be of type String")
    if urlsplit(url).scheme != "https" or not urlsplit(url).hostname:
        raise bad(f"inline keyboard button Web App URL '{url}' is invalid: "
                  "Only HTTPS links are allowed")
    if not private:
        raise bad("BUTTON_TYPE_INVALID")
