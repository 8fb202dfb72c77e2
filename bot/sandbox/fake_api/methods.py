"""The Bot API methods the fake answers (getUpdates, send*, edit*, callbacks, commands, ...),
each checked against Telegram's rules and acting on the fake's state."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from bot.sandbox.fake_api.files import MAX_DOWNLOAD_BYTES, FilesMixin
from bot.sandbox.fake_api.markup import check_reply_markup, check_text
from bot.sandbox.fake_api.params import Call
from bot.sandbox.fake_api.records import SentMessage, StoredFile
from bot.sandbox.fake_api.state import DEFAULT_ALLOWED_UPDATES
from bot.sandbox.fake_api.wire import (
    BLOCKED,
    NOT_MODIFIED,
    QUERY_INVALID,
    BotAPIError,
    JSONDict,
    bad,
)

_CHAT_ACTIONS = frozenset(
    {"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
     "upload_document", "choose_sticker", "find_location", "record_video_note",
     "upload_video_note"}
)


class BotMethodsMixin(FilesMixin):
    """The Bot API methods of `FakeBotAPI`, by name in `_method_table`."""

    def _method_table(self) -> dict[str, Callable[[Call], Any]]:
        """Bot API method name -> the handler answering it."""
        return {
            "getMe": self._get_me, "getUpdates": self._get_updates,
            "deleteWebhook": self._delete_webhook, "setWebhook": self._set_webhook,
            "getWebhookInfo": self._get_webhook_info, "setMyCommands": self._set_my_commands,
            "deleteMyCommands": self._delete_my_commands, "getMyCommands": self._get_my_commands,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
            "sendMessage": self._send_message, "sendPhoto": self._send_photo,
            "sendVoice": self._send_voice, "sendAudio": self._send_audio,
            "sendDocument": self._send_document, "sendMediaGroup": self._send_media_group,
            "sendChatAction": self._send_chat_action, "editMessageText": self._edit_text,
            "editMessageCaption": self._edit_caption,
            "editMessageReplyMarkup": self._edit_reply_markup,
            "editMessageMedia": self._edit_media, "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query, "leaveChat": self._leave_chat,
            "getFile": self._get_file, "getChat": self._get_chat,
            "close": lambda call: True, "logOut": lambda call: True,
        }

    # ------------------------------------------------------------ request helpers

    def _chat(self, call: Call) -> int:
        """Resolve `chat_id`, enforcing blocks for send* methods."""
        raw = call.params.get("chat_id")
        if raw in (None, ""):
            raise bad("chat_id is empty")
        chat_id: int | None
        if isinstance(raw, str) and raw.startswith("@"):
            chat_id = next((c for c, chat in self.chats.items()
                            if chat.get("username", "").lower() == raw[1:].lower()), None)
        else:
            try:
                chat_id = int(raw)
            except (TypeError, ValueError):
                chat_id = None
        if chat_id is None or chat_id not in self.chats:
            raise bad("chat not found")
        if chat_id in self.left_chats:
            raise BotAPIError(403, "Forbidden: bot is not a member of the group chat")
        if chat_id in self.blocked_users and call.record.method.startswith("send"):
            raise BotAPIError(403, BLOCKED)
        return chat_id

    def _markup(self, call: Call) -> JSONDict | None:
        """The call's `reply_markup`, checked as Telegram checks it in the call's chat (a Mini
        App button only in a private chat)."""
        markup = call.json("reply_markup")
        if markup is None:
            return None
        chat = self.chats.get(self._chat(call), {})
        return check_reply_markup(markup, private=chat.get("type") == "private")

    def _new_bot_message(self, call: Call, chat_id: int, **content: Any) -> SentMessage:
        reply_to = call.integer("reply_to_message_id")
        reply_parameters = call.json("reply_parameters")
        if isinstance(reply_parameters, dict):
            reply_to = int(reply_parameters.get("message_id", 0)) or None
        allow_missing = isinstance(reply_parameters, dict) and bool(
            reply_parameters.get("allow_sending_without_reply"))
        if reply_to is not None and self.message(chat_id, reply_to) is None:
            if not allow_missing:
                raise bad("message to be replied not found")
            reply_to = None
        message = SentMessage(chat_id, self._next_message_id(chat_id), self.bot_id, True,
                              int(time.time()), reply_to_message_id=reply_to, **content)
        self._messages.setdefault(chat_id, {})[message.message_id] = message
        self._emit("sent", message)
        return message

    def _editable(self, call: Call) -> SentMessage:
        if call.has("inline_message_id"):
            raise bad("MESSAGE_ID_INVALID")
        chat_id = self._chat(call)
        message_id = call.integer("message_id", empty="message identifier is not specified")
        message = self.message(chat_id, message_id)
        if message is None or message.deleted:
            raise bad("message to edit not found")
        if not message.from_bot:
            raise bad("message can't be edited")
        return message

    def _apply_edit(self, message: SentMessage, **changes: Any) -> JSONDict:
        before = message.snapshot()
        if all(before[k] == v for k, v in changes.items()):
            raise bad(NOT_MODIFIED)
        message.history.append(before)
        for key, value in changes.items():
            setattr(message, key, value)
        message.edit_date = int(time.time())
        self._emit("edited", message)
        return self._message_json(message)

    # ------------------------------------------------------------------ API methods

    def _get_me(self, call: Call) -> JSONDict:
        return {**self._bot_user(), "can_join_groups": True,
                "can_read_all_group_messages": False, "supports_inline_queries": False,
                "can_connect_to_business": False, "has_main_web_app": False}

    async def _get_updates(self, call: Call) -> list[JSONDict]:
        if self.webhook_url:
            raise BotAPIError(409, "Conflict: can't use getUpdates method while webhook is "
                                   "active; use deleteWebhook to delete the webhook first")
        offset = call.integer("offset", 0)
        limit = min(max(call.integer("limit", 100), 1), 100)
        timeout = max(call.number("timeout", 0.0), 0.0)
        allowed = call.json("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) or DEFAULT_ALLOWED_UPDATES
        if offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        elif offset < 0:
            self._pending = self._pending[offset:]
        self._poll_generation += 1
        generation = self._poll_generation
        self._wake(self._update_waiters)  # an older long poll now ends with 409
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if generation != self._poll_generation:
                raise BotAPIError(409, "Conflict: terminated by other getUpdates request; make "
                                       "sure that only one bot instance is running")
            batch = self._take_updates(limit)
            remaining = deadline - loop.time()
            if batch or remaining <= 0 or self._closing:
                return batch
            await self._wait(self._update_waiters, remaining)

    def _take_updates(self, limit: int) -> list[JSONDict]:
        def allowed(update: JSONDict) -> bool:
            return any(key in self._allowed_updates for key in update if key != "update_id")

        self._pending = [u for u in self._pending if allowed(u)]
        batch = [u for u in self._redeliver if allowed(u)][:limit]
        self._redeliver = []
        batch += self._pending[: limit - len(batch)]
        for update in batch:
            query = update.get("callback_query")
            if query and query["id"] not in self.delivered_callback_queries:
                self.delivered_callback_queries.append(query["id"])
        return batch

    def _delete_webhook(self, call: Call) -> bool:
        self.webhook_url, self.webhook_secret = "", None
        if call.flag("drop_pending_updates"):
            self._pending.clear()
            self._redeliver.clear()
        return True

    def _set_webhook(self, call: Call) -> bool:
        url = call.string("url", "")
        if url and not url.startswith("https://"):
            raise bad("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook_url, self.webhook_secret = url, call.string("secret_token")
        if call.flag("drop_pending_updates"):
            self._pending.clear()
        return True

    def _get_webhook_info(self, call: Call) -> JSONDict:
        return {"url": self.webhook_url, "has_custom_certificate": False,
                "pending_update_count": self.pending_update_count}

    @staticmethod
    def _commands_key(call: Call) -> tuple[str, str]:
        scope = call.json("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), call.string("language_code", "")

    def _set_my_commands(self, call: Call) -> bool:
        commands = call.json("commands")
        if not isinstance(commands, list):
            raise bad("parameter \"commands\" is required")
        for command in commands:
            name = str(command.get("command", "")) if isinstance(command, dict) else ""
            if not (1 <= len(name) <= 32 and name == name.lower()
                    and all(c.isalnum() or c == "_" for c in name)):
                raise bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._commands_key(call)] = commands
        return True

    def _delete_my_commands(self, call: Call) -> bool:
        self.commands.pop(self._commands_key(call), None)
        return True

    def _get_my_commands(self, call: Call) -> list[JSONDict]:
        return self.commands.get(self._commands_key(call), [])

    def _set_chat_menu_button(self, call: Call) -> bool:
        chat_id = self._chat(call) if call.has("chat_id") else None
        self.menu_buttons[chat_id] = call.json("menu_button") or {"type": "default"}
        return True

    def _get_chat_menu_button(self, call: Call) -> JSONDict:
        chat_id = self._chat(call) if call.has("chat_id") else None
        return self.menu_buttons.get(chat_id) or self.menu_buttons.get(None) or {
            "type": "commands"}

    def _send_message(self, call: Call) -> JSONDict:
        chat_id = self._chat(call)
        text = call.string("text", empty="message text is empty")
        parse_mode = call.string("parse_mode")
        check_text(text, parse_mode, caption=False)
        message = self._new_bot_message(call, chat_id, text=text, parse_mode=parse_mode,
                                        entities=call.json("entities"),
                                        reply_markup=self._markup(call))
        return self._message_json(message)

    def _send_media(self, call: Call, kind: str) -> JSONDict:
        chat_id = self._chat(call)
        caption, parse_mode = call.string("caption"), call.string("parse_mode")
        if caption is not None:
            check_text(caption, parse_mode, caption=True)
        markup = self._markup(call)
        stored = self._resolve_file(call, call.params.get(kind), kind, call.files,
                                    call.files.get(kind))
        message = self._new_bot_message(call, chat_id, caption=caption, parse_mode=parse_mode,
                                        entities=call.json("caption_entities"),
                                        reply_markup=markup, **{kind: stored.file_id})
        return self._message_json(message)

    def _send_photo(self, call: Call) -> JSONDict:
        return self._send_media(call, "photo")

    def _send_voice(self, call: Call) -> JSONDict:
        return self._send_media(call, "voice")

    def _send_audio(self, call: Call) -> JSONDict:
        return self._send_media(call, "audio")

    def _send_document(self, call: Call) -> JSONDict:
        return self._send_media(call, "document")

    def _send_media_group(self, call: Call) -> list[JSONDict]:
        chat_id = self._chat(call)
        media = call.json("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise bad("media must be a list of 2-10 InputMedia objects")
        group_id = str(next(self._media_group_seq))
        resolved: list[tuple[str, StoredFile, JSONDict]] = []
        for item in media:
            kind = item.get("type") if isinstance(item, dict) else None
            if kind not in ("photo", "audio", "document"):
                raise bad(f"media type {kind!r} is not supported by the fake Bot API")
            if item.get("caption") is not None:
                check_text(item["caption"], item.get("parse_mode"), caption=True)
            resolved.append((kind, self._resolve_file(call, item.get("media"), kind, call.files),
                             item))
        results = []
        for kind, stored, item in resolved:
            message = self._new_bot_message(
                call, chat_id, caption=item.get("caption"), parse_mode=item.get("parse_mode"),
                entities=item.get("caption_entities"), media_group_id=group_id,
                **{kind: stored.file_id})
            results.append(self._message_json(message))
        return results

    def _send_chat_action(self, call: Call) -> bool:
        chat_id = self._chat(call)
        action = call.string("action", empty="parameter \"action\" is required")
        if action not in _CHAT_ACTIONS:
            raise bad("wrong parameter action in request")
        self.chat_actions.append((chat_id, action, time.time()))
        for queue in self._subscribers:
            queue.put_nowait({"type": "chat_action", "chat_id": chat_id, "action": action})
        return True

    def _edit_text(self, call: Call) -> JSONDict:
        message = self._editable(call)
        text = call.string("text", empty="message text is empty")
        parse_mode = call.string("parse_mode")
        if message.text is None:
            raise bad("there is no text in the message to edit")
        check_text(text, parse_mode, caption=False)
        return self._apply_edit(message, text=text, parse_mode=parse_mode,
                                entities=call.json("entities"),
                                reply_markup=self._markup(call))

    def _edit_caption(self, call: Call) -> JSONDict:
        message = self._editable(call)
        caption, parse_mode = call.string("caption"), call.string("parse_mode")
        if message.text is not None or message.sticker:
            raise bad("there is no caption in the message to edit")
        if caption is not None:
            check_text(caption, parse_mode, caption=True)
        return self._apply_edit(message, caption=caption, parse_mode=parse_mode,
                                entities=call.json("caption_entities"),
                                reply_markup=self._markup(call))

    def _edit_reply_markup(self, call: Call) -> JSONDict:
        message = self._editable(call)
        return self._apply_edit(message, reply_markup=self._markup(call))

    def _edit_media(self, call: Call) -> JSONDict:
        message = self._editable(call)
        media = call.json("media")
        kind = media.get("type") if isinstance(media, dict) else None
        if kind not in ("photo", "audio", "document"):
            raise bad(f"media type {kind!r} is not supported by the fake Bot API")
        if message.text is not None:
            raise bad("there is no media in the message to edit")
        caption = media.get("caption")
        if caption is not None:
            check_text(caption, media.get("parse_mode"), caption=True)
        stored = self._resolve_file(call, media.get("media"), kind, call.files)
        changes: dict[str, Any] = {"photo": None, "audio": None, "document": None,
                                   "voice": None, kind: stored.file_id}
        return self._apply_edit(message, caption=caption, parse_mode=media.get("parse_mode"),
                                entities=media.get("caption_entities"),
                                reply_markup=self._markup(call), **changes)

    def _delete_message(self, call: Call) -> bool:
        chat_id = self._chat(call)
        message_id = call.integer("message_id", empty="message identifier is not specified")
        message = self.message(chat_id, message_id)
        if message is None or message.deleted:
            raise bad("message to delete not found")
        message.deleted = True
        self._emit("deleted", message)
        return True

    def _answer_callback_query(self, call: Call) -> bool:
        query_id = call.string("callback_query_id", empty="query_id is empty")
        if query_id not in self.callback_queries or query_id in self.answered_callback_queries:
            raise bad(QUERY_INVALID)
        text = call.string("text", "")
        if len(text) > 200:
            raise bad("MESSAGE_TOO_LONG")
        answer = {"text": text, "show_alert": call.flag("show_alert"), "url": call.string("url")}
        self.answered_callback_queries[query_id] = answer
        for queue in self._subscribers:
            queue.put_nowait({"type": "callback_answer", "callback_query_id": query_id, **answer})
        return True

    def _leave_chat(self, call: Call) -> bool:
        self.left_chats.add(self._chat(call))
        return True

    def _get_file(self, call: Call) -> JSONDict:
        file_id = call.string("file_id", empty="file_id is empty")
        stored = self.files.get(file_id)
        if stored is None:
            raise bad("invalid file_id")
        if len(stored.data) > MAX_DOWNLOAD_BYTES:
            raise bad("file is too big")
        return {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                "file_size": len(stored.data), "file_path": stored.file_path}

    def _get_chat(self, call: Call) -> JSONDict:
        chat = dict(self.chats[self._chat(call)])
        chat.update(accent_color_id=0, max_reaction_count=11,
                    accepted_gift_types={"unlimited_gifts": False, "limited_gifts": False,
                                         "unique_gifts": False, "premium_subscription": False,
                                         "gifts_from_channels": False})
        return chat
