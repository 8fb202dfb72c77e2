"""A local, in-memory fake of the Telegram Bot API, served over HTTP on 127.0.0.1.

`FakeBotAPI` speaks the real Bot API wire protocol, so an unmodified python-telegram-bot
`Application` can run against it::

    api = FakeBotAPI("123:abc")
    await api.start()
    app = (
        Application.builder().token("123:abc")
        .base_url(api.base_url).base_file_url(api.base_file_url).build()
    )

It plays the part of Telegram's servers *and* of the people chatting with the bot: the
`push_*` methods queue updates as if users had sent them, and the bot's replies are kept as
`SentMessage` objects (with edits applied in place) that tests or a local web chat can read,
or stream through `subscribe()`. Errors mimic Telegram's own status codes and descriptions,
and `inject_fault` / `block_user` make it misbehave on purpose.

Everything runs on the event loop that called `start()`; the synchronous methods must be
called from that loop's thread.

The package is split by responsibility: `api` (the class), `state` (what the fake Telegram
knows), `server` (HTTP), `methods` (the Bot API methods), `markup` (text and button checks),
`files`, `faults`, `simulation` (the people's side: `push_*` and reading chats), `records`
(requests, files and messages kept) and `params`/`wire` (requests in, errors out).
"""

from __future__ import annotations

from bot.sandbox.fake_api.api import FakeBotAPI
from bot.sandbox.fake_api.faults import FILE_DOWNLOAD
from bot.sandbox.fake_api.files import (
    MAX_DOWNLOAD_BYTES,
    MAX_PHOTO_BYTES,
    MAX_UPLOAD_BYTES,
    THUMBNAIL_SIDE,
)
from bot.sandbox.fake_api.markup import MAX_CALLBACK_DATA_BYTES, MAX_CAPTION_LENGTH, MAX_TEXT_LENGTH
from bot.sandbox.fake_api.records import (
    RecordedRequest,
    SentMessage,
    StoredFile,
    UploadedFile,
    Validator,
)
from bot.sandbox.fake_api.wire import BotAPIError, JSONDict

__all__ = [
    "FILE_DOWNLOAD",
    "MAX_CALLBACK_DATA_BYTES",
    "MAX_CAPTION_LENGTH",
    "MAX_DOWNLOAD_BYTES",
    "MAX_PHOTO_BYTES",
    "MAX_TEXT_LENGTH",
    "MAX_UPLOAD_BYTES",
    "THUMBNAIL_SIDE",
    "BotAPIError",
    "FakeBotAPI",
    "JSONDict",
    "RecordedRequest",
    "SentMessage",
    "StoredFile",
    "UploadedFile",
    "Validator",
]
