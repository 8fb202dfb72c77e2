"""The fake Telegram Bot API server and the Bot API spec checker."""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from PIL import Image
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.sandbox.fake_api import FakeBotAPI
from tests.support.harness import forge_callback
from tests.support.spec_check import check_request

TOKEN = "123456:TEST-token"
USER = 4242


def png(width: int, height: int, color: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    server = FakeBotAPI(TOKEN, validator=check_request)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as http:
        yield http


async def call(http: httpx.AsyncClient, api: FakeBotAPI, method: str,
               files: dict[str, Any] | None = None, token: str = TOKEN,
               **params: Any) -> httpx.Response:
    """POST like PTB does: every non-string value JSON-encoded into a form field."""
    data = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    return await http.post(f"{api.base_url}{token}/{method}", data=data, files=files)


# --------------------------------------------------------------------- a real PTB bot


async def test_ptb_application_runs_against_the_fake(api: FakeBotAPI) -> None:
    downloaded: list[bytes] = []

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes please", callback_data="y"),
                                          InlineKeyboardButton("No", callback_data="n")]])
        await update.effective_message.reply_text("<b>Hello</b>", parse_mode="HTML",
                                                  reply_markup=keyboard)
        await update.effective_message.reply_photo(png(640, 480), caption="A picture")

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Thanks")
        await query.edit_message_text(f"You chose {query.data}")

    async def photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None
        file = await message.photo[-1].get_file()
        downloaded.append(bytes(await file.download_as_bytearray()))
        await message.reply_text(f"Got {message.photo[-1].width}x{message.photo[-1].height}")

    app = (Application.builder().token(TOKEN).base_url(api.base_url)
           .base_file_url(api.base_file_url).build())
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    app.add_handler(MessageHandler(filters.PHOTO, photo))
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=1)
    try:
        api.push_message(USER, "/start", first_name="Sam")
        await api.wait_for_request("sendPhoto")

        text_message, photo_message = api.messages_in(USER)
        assert text_message.text == "<b>Hello</b>"
        assert text_message.display_text == "Hello"
        assert [b["text"] for b in api.keyboard(USER)[0]] == ["Yes please", "No"]
        assert api.button_data(USER, "yes") == "y"
        sent = api.requests[-1]
        assert sent.method == "sendPhoto" and set(sent.files) == {"photo"}
        assert sent.response is not None
        sizes = sent.response["result"]["photo"]
        assert (sizes[-1]["width"], sizes[-1]["height"]) == (640, 480)
        assert max(sizes[0]["width"], sizes[0]["height"]) == 90
        assert photo_message.caption == "A picture"
        assert api.file_bytes(photo_message.photo or "") == png(640, 480)
        reply = next(r for r in api.requests if r.method == "sendMessage")
        assert isinstance(reply.params["reply_markup"], dict)  # JSON form field decoded
        assert reply.params["chat_id"] == str(USER)  # form-encoded: every scalar is a string

        update_id, query_id = api.push_callback(USER, text_message.message_id, "y")
        assert update_id > 0
        await api.wait_for_request("editMessageText")
        answer = await api.wait_for_request("answerCallbackQuery")
        assert answer.params == {"callback_query_id": query_id, "text": "Thanks"}
        assert api.unanswered_callback_queries() == []
        edited = api.message(USER, text_message.message_id)
        assert edited is not None
        assert edited.text == "You chose y"
        assert edited.inline_keyboard == []  # no reply_markup in the edit removes it
        assert edited.history[0]["text"] == "<b>Hello</b>"
        assert edited.edit_date is not None

        api.push_message(USER, photo=png(300, 200, "blue"))
        await api.wait_for_request("sendMessage", lambda r: r.params["text"].startswith("Got"))
        assert downloaded == [png(300, 200, "blue")]
        assert api.last_message(USER).text == "Got 300x200"  # type: ignore[union-attr]
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()

    methods = [r.method for r in api.requests]
    assert methods[0] == "getMe"
    assert {"deleteWebhook", "getUpdates", "getFile", "answerCallbackQuery"} <= set(methods)
    assert all(r.ok for r in api.requests if r.method != "getUpdates"), [
        (r.method, r.response) for r in api.requests if not r.ok]
    assert api.violations == []


# PTB itself warns about RetryAfter.retry_after becoming a timedelta when it builds the error.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_ptb_sees_telegram_errors(api: FakeBotAPI) -> None:
    api.add_user(USER)
    bot = Bot(TOKEN, base_url=api.base_url, base_file_url=api.base_file_url)
    async with bot:
        api.inject_fault("sendMessage", status=429, retry_after=7)
        with pytest.raises(RetryAfter, match="Retry in 7 seconds"):
            await bot.send_message(USER, "hi")
        message = await bot.send_message(USER, "hi")
        assert message.text == "hi" and message.chat.id == USER
        with pytest.raises(BadRequest, match=r"(?i)^message is not modified"):
            await bot.edit_message_text("hi", chat_id=USER, message_id=message.message_id)
        with pytest.raises(BadRequest, match=r"(?i)^message to edit not found"):
            await bot.edit_message_text("x", chat_id=USER, message_id=999)
        api.block_user(USER)
        with pytest.raises(Forbidden, match=r"^Forbidden: bot was blocked by the user$"):
            await bot.send_message(USER, "hi")
    assert [r.status for r in api.requests if r.method == "sendMessage"] == [429, 200, 403]
    assert api.requests[1].fault_injected and not api.requests[2].fault_injected


# ------------------------------------------------------------------ the spec checker


def button(text: str, data: str) -> dict[str, str]:
    return {"text": text, "callback_data": data}


@pytest.mark.parametrize(
    ("method", "params", "files"),
    [
        ("sendMessage", {"chat_id": "42", "text": "Hi", "parse_mode": "HTML",
                         "reply_markup": {"inline_keyboard": [[button("a", "x" * 64)] * 8]}},
         {}),
        ("sendPhoto", {"chat_id": 42, "caption": "c" * 1024}, {"photo": png(200, 10)}),
        ("answerCallbackQuery", {"callback_query_id": "1", "text": "t" * 200}, {}),
        ("setWebhook", {"url": "https://example.org/hook", "secret_token": "Abc_-9"}, {}),
        ("setMyCommands", {"commands": json.dumps([{"command": "start_1",
                                                    "description": "Start"}])}, {}),
        ("getUpdates", {"offset": "5", "timeout": "1", "allowed_updates": '["message"]'}, {}),
    ],
)
def test_valid_requests_have_no_problems(method: str, params: dict[str, Any],
                                         files: dict[str, bytes]) -> None:
    assert check_request(method, params, files) == []


@pytest.mark.parametrize(
    ("method", "params", "files", "expected"),
    [
        ("sendMesage", {"chat_id": 1, "text": "x"}, {}, "unknown method 'sendMesage'"),
        ("sendMessage", {"chat_id": 1, "text": "x", "colour": "red"}, {},
         "unknown parameter 'colour'"),
        ("sendMessage", {"text": "x"}, {}, "missing required parameter 'chat_id'"),
        ("sendMessage", {"chat_id": 1, "text": "x",
                         "reply_markup": {"inline_keyboard": [[button("a", "é" * 32 + "x")]]}},
         {}, "reply_markup.inline_keyboard[0][0].callback_data is 65 bytes UTF-8"),
        ("sendMessage", {"chat_id": 1, "text": "x" * 4097}, {},
         "text must be 1-4096 characters after entity parsing, is 4097"),
        ("sendPhoto", {"chat_id": 1, "photo": "AgAC", "caption": "c" * 1025}, {},
         "caption must be 0-1024 characters after entity parsing, is 1025"),
        ("sendMessage", {"chat_id": 1, "text": "x",
                         "reply_markup": {"inline_keyboard": [[button(str(i), "d")
                                                               for i in range(9)]]}},
         {}, "reply_markup.inline_keyboard[0] has 9 buttons (at most 8 per row)"),
        ("sendMessage", {"chat_id": 1, "text": "x", "parse_mode": "html"}, {},
         "parse_mode 'html' must be one of"),
        ("sendMessage", {"chat_id": 1, "text": "x",
                         "reply_markup": {"inline_keyboard": [[{"text": "a"}]]}}, {},
         "needs exactly one action field, has none"),
        ("sendMessage", {"chat_id": 1, "text": "x", "disable_notification": "yes"}, {},
         "disable_notification: expected Boolean"),
        ("answerCallbackQuery", {"callback_query_id": "1", "text": "t" * 201}, {},
         "text must be 0-200 characters, is 201"),
        ("sendMediaGroup", {"chat_id": 1, "media": [{"type": "photo", "media": "AgAC"}]}, {},
         "media must include 2-10 items, has 1"),
        ("setWebhook", {"url": "https://x.org", "secret_token": "bad token!"}, {},
         "secret_token must be 1-256 characters"),
        ("setMyCommands", {"commands": [{"command": "Start", "description": "go"}]}, {},
         "commands[0].command 'Start' must be 1-32 lowercase"),
        ("setMyCommands", {"commands": [{"command": "go"}]}, {},
         "BotCommand is missing required field 'description'"),
        ("editMessageMedia", {"chat_id": 1, "message_id": 2,
                              "media": {"type": "photo", "media": "x", "colour": 1}}, {},
         "media: unknown field 'colour' in InputMediaPhoto"),
    ],
)
def test_check_request_catches(method: str, params: dict[str, Any], files: dict[str, bytes],
                               expected: str) -> None:
    problems = check_request(method, params, files)
    assert any(expected in problem for problem in problems), problems


def test_check_request_catches_photo_dimensions() -> None:
    problems = check_request("sendPhoto", {"chat_id": 1}, {"photo": png(10001, 10)})
    assert problems == [
        "photo: photo is 10001x10; width + height must be at most 10000",
        "photo: photo aspect ratio is 1000.1 (limit 20)",
    ]
    media = [{"type": "photo", "media": "attach://a"}, {"type": "photo", "media": "attach://b"}]
    problems = check_request("sendMediaGroup", {"chat_id": 1, "media": json.dumps(media)},
                             {"a": png(10, 300), "b": png(10, 10)})
    assert problems == ["media[0].media: photo aspect ratio is 30.0 (limit 20)"]


# ------------------------------------------------------------------ the fake over HTTP


async def test_wrong_token_unknown_method_and_missing_params(
        api: FakeBotAPI, client: httpx.AsyncClient) -> None:
    response = await call(client, api, "getMe", token="123456:wrong")
    assert response.status_code == 401
    assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    response = await call(client, api, "getMe")
    assert response.status_code == 200
    assert response.json()["result"]["username"] == "MySayTestBot"
    assert response.json()["result"]["id"] == 123456

    response = await call(client, api, "sendTelepathy", chat_id=1)
    assert response.status_code == 404
    assert response.json()["description"] == "Not Found: method not found"
    assert api.violations[-1] == (
        "sendTelepathy: unknown method 'sendTelepathy' (not in Bot API 10.1)")

    response = await call(client, api, "sendMessage", text="hello")
    assert response.status_code == 400
    assert response.json()["description"] == "Bad Request: chat_id is empty"
    assert "sendMessage: missing required parameter 'chat_id'" in api.violations


async def test_fault_injection_seen_by_plain_client(api: FakeBotAPI,
                                                    client: httpx.AsyncClient) -> None:
    api.add_user(USER)
    api.inject_fault("sendMessage", status=429, retry_after=3, count=2)
    for _ in range(2):
        response = await call(client, api, "sendMessage", chat_id=USER, text="hi")
        assert response.status_code == 429
        assert response.json() == {"ok": False, "error_code": 429,
                                   "description": "Too Many Requests: retry after 3",
                                   "parameters": {"retry_after": 3}}
    response = await call(client, api, "sendMessage", chat_id=USER, text="hi")
    assert response.status_code == 200

    api.inject_fault(None, status=502)
    assert (await call(client, api, "getMe")).status_code == 502
    api.inject_fault(None, drop_connection=True)
    with pytest.raises(httpx.RemoteProtocolError):
        await call(client, api, "getMe")
    api.inject_fault("getMe", status=200, delay=0.4)
    started = time.monotonic()
    assert (await call(client, api, "getMe")).status_code == 200
    assert time.monotonic() - started >= 0.4
    assert [r.status for r in api.requests if r.method == "getMe"] == [502, 0, 200]


async def test_get_updates_long_poll_waits_for_a_pushed_update(
        api: FakeBotAPI, client: httpx.AsyncClient) -> None:
    started = time.monotonic()
    response = await call(client, api, "getUpdates", timeout=1)
    assert response.json() == {"ok": True, "result": []}
    assert time.monotonic() - started >= 0.9

    poll = asyncio.create_task(call(client, api, "getUpdates", timeout=5))
    await asyncio.sleep(0.3)
    assert not poll.done()
    update_id = api.push_message(USER, "hello")
    response = await asyncio.wait_for(poll, 2)
    updates = response.json()["result"]
    assert [u["update_id"] for u in updates] == [update_id]
    assert updates[0]["message"]["text"] == "hello"
    assert updates[0]["message"]["from"]["id"] == USER
    assert time.monotonic() - started < 4


async def test_offset_limit_and_duplicate_redelivery(api: FakeBotAPI,
                                                     client: httpx.AsyncClient) -> None:
    first = api.push_message(USER, "/start")
    second = api.push_message(USER, "two")
    updates = (await call(client, api, "getUpdates", limit=1)).json()["result"]
    assert [u["update_id"] for u in updates] == [first]
    assert updates[0]["message"]["entities"] == [{"type": "bot_command", "offset": 0,
                                                  "length": 6}]
    updates = (await call(client, api, "getUpdates", offset=first + 1)).json()["result"]
    assert [u["update_id"] for u in updates] == [second]
    assert (await call(client, api, "getUpdates", offset=second + 1)).json()["result"] == []

    api.push_duplicate(first)
    updates = (await call(client, api, "getUpdates", offset=second + 1)).json()["result"]
    assert [u["update_id"] for u in updates] == [first]
    assert updates[0]["message"]["text"] == "/start"
    assert (await call(client, api, "getUpdates", offset=second + 1)).json()["result"] == []


async def test_upload_get_file_download_and_reuse(api: FakeBotAPI,
                                                  client: httpx.AsyncClient) -> None:
    api.add_user(USER)
    content = b"%PDF-1.4 my plan"
    response = await call(client, api, "sendDocument", chat_id=USER, caption="Your plan",
                          files={"document": ("plan.pdf", content, "application/pdf")})
    document = response.json()["result"]["document"]
    assert document["file_name"] == "plan.pdf" and document["mime_type"] == "application/pdf"
    upload = api.requests[-1]
    assert upload.files["document"].data == content and upload.reused_file_ids == []

    file = (await call(client, api, "getFile", file_id=document["file_id"])).json()["result"]
    assert file["file_size"] == len(content)
    download = await client.get(f"{api.base_file_url}{TOKEN}/{file['file_path']}")
    assert download.status_code == 200 and download.content == content
    wrong = await client.get(f"{api.base_file_url}123456:nope/{file['file_path']}")
    assert wrong.status_code == 401

    response = await call(client, api, "sendDocument", chat_id=USER,
                          document=document["file_id"])
    assert response.json()["result"]["document"]["file_id"] == document["file_id"]
    assert api.requests[-1].files == {}
    assert api.requests[-1].reused_file_ids == [document["file_id"]]
    response = await call(client, api, "sendDocument", chat_id=USER, document="BQACnope")
    assert response.json()["description"] == (
        "Bad Request: wrong file identifier/HTTP URL specified")
    assert api.violations == []


async def test_edits_deletes_and_events(api: FakeBotAPI, client: httpx.AsyncClient) -> None:
    events = api.subscribe()
    api.add_user(USER)
    markup = {"inline_keyboard": [[button("A", "a")]]}
    sent = (await call(client, api, "sendMessage", chat_id=USER, text="Pick",
                       reply_markup=markup)).json()["result"]
    message_id = sent["message_id"]
    assert sent["reply_markup"] == markup

    response = await call(client, api, "editMessageReplyMarkup", chat_id=USER,
                          message_id=message_id, reply_markup=markup)
    assert response.status_code == 400
    assert response.json()["description"].startswith("Bad Request: message is not modified")
    response = await call(client, api, "editMessageCaption", chat_id=USER,
                          message_id=message_id, caption="x")
    assert response.json()["description"] == (
        "Bad Request: there is no caption in the message to edit")
    response = await call(client, api, "editMessageText", chat_id=USER, message_id=message_id,
                          text="Picked", reply_markup=markup)
    assert response.status_code == 200
    response = await call(client, api, "sendMessage", chat_id=USER, text="<div>x</div>",
                          parse_mode="HTML")
    assert response.json()["description"].startswith("Bad Request: can't parse entities")

    assert (await call(client, api, "deleteMessage", chat_id=USER,
                       message_id=message_id)).json() == {"ok": True, "result": True}
    response = await call(client, api, "deleteMessage", chat_id=USER, message_id=message_id)
    assert response.json()["description"] == "Bad Request: message to delete not found"
    response = await call(client, api, "editMessageText", chat_id=USER, message_id=message_id,
                          text="again")
    assert response.json()["description"] == "Bad Request: message to edit not found"
    assert api.messages_in(USER) == []
    assert [m.text for m in api.messages_in(USER, include_deleted=True)] == ["Picked"]

    kinds = [events.get_nowait()["type"] for _ in range(events.qsize())]
    assert kinds == ["sent", "edited", "deleted"]
    api.unsubscribe(events)


async def test_validator_records_violations_the_fake_also_rejects(
        api: FakeBotAPI, client: httpx.AsyncClient) -> None:
    api.add_user(USER)
    response = await call(client, api, "sendMessage", chat_id=USER, text="Hi",
                          reply_markup={"inline_keyboard": [[button("A", "d" * 65)]]})
    assert response.json()["description"] == "Bad Request: BUTTON_DATA_INVALID"
    assert api.violations == [
        "sendMessage: reply_markup.inline_keyboard[0][0].callback_data is 65 bytes UTF-8 "
        "(must be 1-64)"
    ]
    request = await api.wait_for_request("sendMessage")
    assert request.status == 400
    with pytest.raises(TimeoutError):
        await api.wait_for_request("sendMessage", after_index=len(api.requests), timeout=0.2)


async def test_json_and_query_string_bodies_and_callback_answers(
        api: FakeBotAPI, client: httpx.AsyncClient) -> None:
    api.add_user(USER)
    markup = {"inline_keyboard": [[button("Go", "go")]]}
    response = await client.post(f"{api.base_url}{TOKEN}/sendMessage",
                                 json={"chat_id": USER, "text": "[not json]",
                                       "reply_markup": markup})
    assert response.status_code == 200
    recorded = api.requests[-1]
    assert recorded.params == {"chat_id": USER, "text": "[not json]", "reply_markup": markup}
    response = await client.get(f"{api.base_url}{TOKEN}/getChat", params={"chat_id": USER})
    assert response.json()["result"]["type"] == "private"
    assert response.json()["result"]["id"] == USER

    message_id = api.last_message(USER).message_id  # type: ignore[union-attr]
    assert api.last_message(USER).text == "[not json]"  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="no button with callback_data 'nope'"):
        api.push_callback(USER, message_id, "nope")
    _update_id, query_id = api.push_callback(USER, message_id, "go")
    assert api.unanswered_callback_queries() == [query_id]
    first = await call(client, api, "answerCallbackQuery", callback_query_id=query_id)
    again = await call(client, api, "answerCallbackQuery", callback_query_id=query_id)
    assert first.json() == {"ok": True, "result": True}
    assert again.json()["description"] == (
        "Bad Request: query is too old and response timeout expired or query ID is invalid")
    assert api.unanswered_callback_queries() == []
    assert api.violations == []


async def test_a_forged_tap_on_a_photo_carries_the_photo_as_it_is(
        api: FakeBotAPI, client: httpx.AsyncClient) -> None:
    """Telegram puts the tapped message in the callback query as it is at the time of the
    tap, whatever the data: a forged tap on a photo card must not make it look like words
    (tests/support/harness.py's forge_callback uses this), or the bot is led to edit the
    text of a photo, which Telegram refuses."""
    api.add_user(USER)
    markup = {"inline_keyboard": [[button("Go", "go")]]}
    sent = (await call(client, api, "sendPhoto", files={"photo": png(200, 100)},
                       chat_id=USER, caption="A card", reply_markup=markup)).json()["result"]
    update_id = forge_callback(api, USER, sent["message_id"], "never-on-a-button")
    query = api._updates[update_id]["callback_query"]
    assert query["data"] == "never-on-a-button"
    assert query["id"].startswith("forged-")
    message = query["message"]
    assert "text" not in message
    assert message["caption"] == "A card" and message["photo"] == sent["photo"]
    assert message["reply_markup"] == markup and message["from"]["is_bot"]
    with pytest.raises(ValueError, match="no bot message"):
        api.push_forged_callback(USER, 999_999, "go")
    # A tap on the button it has answers as before; the forged one is answerable too.
    _, real = api.push_callback(USER, sent["message_id"], "go")
    assert set(api.unanswered_callback_queries()) == {real, query["id"]}
