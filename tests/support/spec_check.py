"""Check Bot API requests against Telegram's published Bot API description.

The spec is `tests/data/bot-api-10.1.min.json` (scraped from core.telegram.org by
PaulSonOfLars/telegram-bot-api-spec). `check_request` reports, as readable strings:

* unknown methods, unknown parameters and missing required parameters;
* values of the wrong basic type (Integer, Float, Boolean, String, "Array of X", InputFile)
  and nested objects (InlineKeyboardMarkup, ReplyParameters, InputMedia*, BotCommand, ...)
  with unknown or missing fields, checked recursively;
* limits from Telegram's documentation that the JSON does not encode (callback_data bytes,
  text/caption lengths, keyboard sizes, photo dimensions, media group size, webhook secret,
  bot command syntax, parse_mode values).

Form-encoded requests carry scalars as strings ("123", "true"), so those are accepted for
Integer/Float/Boolean; JSON-looking strings are decoded where an object or array is expected.
"""

from __future__ import annotations

import functools
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

SPEC_PATH = Path(__file__).resolve().parents[1] / "data" / "bot-api-10.1.min.json"

PARSE_MODES = frozenset({"HTML", "Markdown", "MarkdownV2"})
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_ANSWER = 200
MAX_CALLBACK_DATA_BYTES = 64
MAX_BUTTONS = 100
MAX_BUTTONS_PER_ROW = 8
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTO_SIDES = 10_000
MAX_PHOTO_RATIO = 20
MEDIA_GROUP_SIZE = (2, 10)
# InlineKeyboardButton: exactly one field other than these must be used.
BUTTON_NON_ACTION_FIELDS = frozenset({"text", "icon_custom_emoji_id", "style"})
SECRET_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
INTEGER_RE = re.compile(r"-?\d+")
BOOLEAN_STRINGS = frozenset({"true", "false", "True", "False", "1", "0"})
TEXT_METHODS = frozenset({"sendMessage", "editMessageText"})
PHOTO_UPLOAD_PARAMS = {"sendPhoto": "photo"}


@functools.cache
def load_spec(path: Path = SPEC_PATH) -> dict[str, Any]:
    """The parsed spec JSON (cached)."""
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Float"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "Array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class _PlainText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(text: str, parse_mode: Any) -> str:
    """Approximate the text after Telegram's entity parsing (what the limits count)."""
    if parse_mode == "HTML":
        parser = _PlainText()
        parser.feed(text)
        parser.close()
        return "".join(parser.parts)
    if parse_mode == "MarkdownV2":
        text = re.sub(r"\]\([^)]*\)", "", text)
        return re.sub(r"\\(.)|[*_~|`\[]", lambda m: m.group(1) or "", text)
    if parse_mode == "Markdown":
        return re.sub(r"\]\([^)]*\)|[*_`\[]", "", text)
    return text


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _file_bytes(upload: Any) -> bytes:
    data = getattr(upload, "data", upload)
    return data if isinstance(data, bytes) else bytes(data)


def photo_problems(upload: Any, path: str) -> list[str]:
    """Telegram's sendPhoto limits: at most 10 MB, width + height <= 10000, ratio <= 20."""
    data = _file_bytes(upload)
    problems = []
    if len(data) > MAX_PHOTO_BYTES:
        problems.append(f"{path}: photo is {len(data)} bytes (limit 10 MB)")
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except (UnidentifiedImageError, OSError):
        return [*problems, f"{path}: uploaded photo is not a readable image"]
    if width + height > MAX_PHOTO_SIDES:
        problems.append(f"{path}: photo is {width}x{height}; width + height must be "
                        f"at most {MAX_PHOTO_SIDES}")
    ratio = max(width, height) / max(min(width, height), 1)
    if ratio > MAX_PHOTO_RATIO:
        problems.append(f"{path}: photo aspect ratio is {ratio:.1f} (limit {MAX_PHOTO_RATIO})")
    return problems


@dataclass
class _Context:
    files: Mapping[str, Any]
    attached: set[str] = field(default_factory=set)


class SpecChecker:
    """Validates requests against one loaded Bot API spec."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.version = spec.get("version", "?")
        self.methods: Mapping[str, Any] = spec["methods"]
        self.types: Mapping[str, Any] = spec["types"]
        self._method_by_lower = {name.lower(): name for name in self.methods}
        self._discriminators: dict[str, dict[str, str]] = {}

    # ------------------------------------------------------------------ entry point

    def check_request(
        self, method: str, params: Mapping[str, Any], files: Mapping[str, Any] | None = None
    ) -> list[str]:
        """Problems with one call (empty list: it conforms)."""
        files = files or {}
        name = self.methods.get(method, {}).get("name") or self._method_by_lower.get(
            method.lower())
        if name is None:
            return [f"unknown method {method!r} (not in {self.version})"]
        fields = {f["name"]: f for f in self.methods[name].get("fields", [])}
        ctx = _Context(files)
        problems: list[str] = []
        present = {k for k, v in params.items() if v is not None}
        for key in present:
            if key not in fields:
                problems.append(f"unknown parameter {key!r}")
            else:
                problems += self._check_value(params[key], fields[key]["types"], key, ctx)
        for key in files:
            if key in fields:
                if not any("InputFile" in t for t in fields[key]["types"]):
                    problems.append(f"{key}: uploaded a file but the parameter is "
                                    f"{' or '.join(fields[key]['types'])}")
                present.add(key)
        for key, spec_field in fields.items():
            if spec_field["required"] and key not in present:
                problems.append(f"missing required parameter {key!r}")
        problems += self._method_limits(name, params, files, ctx)
        for key in files:
            if key not in fields and key not in ctx.attached:
                problems.append(f"uploaded file part {key!r} is neither a parameter nor "
                                "referenced as attach://")
        for attached in sorted(ctx.attached - set(files)):
            problems.append(f"attach://{attached} is referenced but no such file was uploaded")
        return problems

    # ------------------------------------------------------------------ type checks

    def _check_value(self, value: Any, types: list[str], path: str, ctx: _Context) -> list[str]:
        """`value` must match one of `types` (the spec's alternatives)."""
        results = [self._check_type(value, t, path, ctx) for t in types]
        if any(not r for r in results):
            return []
        if len(types) == 1:
            return results[0]
        mismatch = all(len(r) == 1 and r[0].startswith(f"{path}: expected ") for r in results)
        if mismatch:
            return [f"{path}: expected {' or '.join(types)}, got {_kind(value)} {_short(value)}"]
        return min(results, key=len)

    def _check_type(self, value: Any, type_name: str, path: str, ctx: _Context) -> list[str]:
        def expected() -> list[str]:
            return [f"{path}: expected {type_name}, got {_kind(value)} {_short(value)}"]

        if isinstance(value, str) and value.startswith("attach://"):
            ctx.attached.add(value.removeprefix("attach://"))
        if type_name.startswith("Array of "):
            value = _decode(value)
            if not isinstance(value, list):
                return expected()
            inner = type_name.removeprefix("Array of ")
            problems: list[str] = []
            for index, item in enumerate(value):
                problems += self._check_type(item, inner, f"{path}[{index}]", ctx)
            return problems
        if type_name == "Integer":
            ok = (isinstance(value, int) and not isinstance(value, bool)) or (
                isinstance(value, str) and INTEGER_RE.fullmatch(value.strip()) is not None)
            return [] if ok else expected()
        if type_name == "Float":
            if isinstance(value, int | float) and not isinstance(value, bool):
                return []
            try:
                float(value)
            except (TypeError, ValueError):
                return expected()
            return [] if isinstance(value, str) else expected()
        if type_name == "Boolean":
            ok = isinstance(value, bool) or (isinstance(value, str) and value in BOOLEAN_STRINGS)
            return [] if ok else expected()
        if type_name == "String":
            return [] if isinstance(value, str) else expected()
        if type_name == "InputFile":
            name = value.removeprefix("attach://") if isinstance(value, str) else None
            return [] if name is not None and name in ctx.files else expected()
        spec_type = self.types.get(type_name)
        if spec_type is None:
            return []  # a type the scraped spec does not describe
        if spec_type.get("subtypes"):
            return self._check_abstract(value, type_name, spec_type["subtypes"], path, ctx)
        if "fields" not in spec_type:
            return [] if isinstance(_decode(value), dict) else expected()
        return self._check_object(_decode(value), type_name, path, ctx)

    def _check_abstract(self, value: Any, type_name: str, subtypes: list[str], path: str,
                        ctx: _Context) -> list[str]:
        value = _decode(value)
        by_tag = self._discriminator_map(type_name, subtypes)
        if by_tag and isinstance(value, dict):
            tag = value.get("type")
            if tag not in by_tag:
                return [f"{path}.type: {tag!r} is not a {type_name} type "
                        f"(one of {', '.join(sorted(by_tag))})"]
            return self._check_type(value, by_tag[tag], path, ctx)
        return self._check_value(value, subtypes, path, ctx)

    def _discriminator_map(self, type_name: str, subtypes: list[str]) -> dict[str, str]:
        if type_name not in self._discriminators:
            mapping = {tag: sub for sub in subtypes if (tag := self._type_tag(sub)) is not None}
            self._discriminators[type_name] = mapping if len(mapping) == len(subtypes) else {}
        return self._discriminators[type_name]

    @functools.cache  # noqa: B019 - one checker per spec, kept for the whole test session
    def _type_tag(self, type_name: str) -> str | None:
        """The fixed value of a concrete type's `type` field ("must be photo"), if any."""
        fields = self.types.get(type_name, {}).get("fields", [])
        type_field = next((f for f in fields if f["name"] == "type"), None)
        if type_field is None:
            return None
        match = re.search(r"must be [\"“]?([\w-]+)|always [\"“]([\w-]+)",
                          type_field["description"])
        return (match.group(1) or match.group(2)) if match else None

    def _check_object(self, value: Any, type_name: str, path: str, ctx: _Context) -> list[str]:
        if not isinstance(value, dict):
            return [f"{path}: expected {type_name} object, got {_kind(value)} {_short(value)}"]
        fields = {f["name"]: f for f in self.types[type_name]["fields"]}
        problems = []
        for key, item in value.items():
            if key not in fields:
                problems.append(f"{path}: unknown field {key!r} in {type_name}")
            elif item is not None:
                problems += self._check_value(item, fields[key]["types"], f"{path}.{key}", ctx)
        for key, spec_field in fields.items():
            if spec_field["required"] and value.get(key) is None:
                problems.append(f"{path}: {type_name} is missing required field {key!r}")
        tag = self._type_tag(type_name)
        if tag is not None and isinstance(value.get("type"), str) and value["type"] != tag:
            problems.append(f"{path}.type must be {tag!r} in {type_name}, is {value['type']!r}")
        return problems + self._object_limits(type_name, value, path, ctx)

    # ------------------------------------------------------------------ documented limits

    def _object_limits(self, type_name: str, value: dict[str, Any], path: str,
                       ctx: _Context) -> list[str]:
        problems = _parse_mode_problems(value, path)
        if type_name == "InlineKeyboardButton":
            data = value.get("callback_data")
            if isinstance(data, str):
                size = len(data.encode("utf-8"))
                if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                    problems.append(f"{path}.callback_data is {size} bytes UTF-8 "
                                    f"(must be 1-{MAX_CALLBACK_DATA_BYTES})")
            actions = sorted(k for k in value if k not in BUTTON_NON_ACTION_FIELDS)
            if len(actions) != 1:
                problems.append(f"{path}: an InlineKeyboardButton needs exactly one action "
                                f"field, has {actions or 'none'}")
        elif type_name == "InlineKeyboardMarkup":
            rows = value.get("inline_keyboard")
            if isinstance(rows, list):
                total = 0
                for index, row in enumerate(rows):
                    count = len(row) if isinstance(row, list) else 0
                    total += count
                    if count > MAX_BUTTONS_PER_ROW:
                        problems.append(f"{path}.inline_keyboard[{index}] has {count} buttons "
                                        f"(at most {MAX_BUTTONS_PER_ROW} per row)")
                if total > MAX_BUTTONS:
                    problems.append(f"{path}: inline keyboard has {total} buttons "
                                    f"(at most {MAX_BUTTONS})")
        elif type_name == "BotCommand":
            command = value.get("command")
            if isinstance(command, str) and not COMMAND_RE.fullmatch(command):
                problems.append(f"{path}.command {command!r} must be 1-32 lowercase letters, "
                                "digits or underscores")
            description = value.get("description")
            if isinstance(description, str) and not 1 <= len(description) <= 256:
                problems.append(f"{path}.description must be 1-256 characters, "
                                f"is {len(description)}")
        if type_name.startswith("InputMedia"):
            problems += _caption_problems(value, path)
            media = value.get("media")
            if type_name == "InputMediaPhoto" and isinstance(media, str):
                upload = ctx.files.get(media.removeprefix("attach://"))
                if media.startswith("attach://") and upload is not None:
                    problems += photo_problems(upload, f"{path}.media")
        return problems

    def _method_limits(self, method: str, params: Mapping[str, Any], files: Mapping[str, Any],
                       ctx: _Context) -> list[str]:
        problems = _parse_mode_problems(params, "")
        text = params.get("text")
        if method in TEXT_METHODS and isinstance(text, str):
            length = len(plain_text(text, params.get("parse_mode")))
            if not 1 <= length <= MAX_TEXT:
                problems.append(f"text must be 1-{MAX_TEXT} characters after entity parsing, "
                                f"is {length}")
        if method == "answerCallbackQuery" and isinstance(text, str):
            if len(text) > MAX_CALLBACK_ANSWER:
                problems.append(f"text must be 0-{MAX_CALLBACK_ANSWER} characters, "
                                f"is {len(text)}")
        problems += [p.removeprefix(".") for p in _caption_problems(params, "")]
        photo_param = PHOTO_UPLOAD_PARAMS.get(method)
        if photo_param and photo_param in files:
            problems += photo_problems(files[photo_param], photo_param)
        if method == "sendMediaGroup":
            media = _decode(params.get("media"))
            low, high = MEDIA_GROUP_SIZE
            if isinstance(media, list) and not low <= len(media) <= high:
                problems.append(f"media must include {low}-{high} items, has {len(media)}")
        if method == "setWebhook":
            secret = params.get("secret_token")
            if isinstance(secret, str) and not SECRET_TOKEN_RE.fullmatch(secret):
                problems.append("secret_token must be 1-256 characters of A-Z, a-z, 0-9, _ "
                                "and -")
        return problems


def _parse_mode_problems(values: Mapping[str, Any], path: str) -> list[str]:
    problems = []
    for key, value in values.items():
        if (key == "parse_mode" or key.endswith("_parse_mode")) and value is not None:
            if value not in PARSE_MODES:
                where = f"{path}.{key}" if path else key
                modes = ", ".join(sorted(PARSE_MODES))
                problems.append(f"{where} {value!r} must be one of {modes}")
    return problems


def _caption_problems(values: Mapping[str, Any], path: str) -> list[str]:
    caption = values.get("caption")
    if not isinstance(caption, str):
        return []
    length = len(plain_text(caption, values.get("parse_mode")))
    if length > MAX_CAPTION:
        return [f"{path}.caption must be 0-{MAX_CAPTION} characters after entity parsing, "
                f"is {length}"]
    return []


@functools.cache
def default_checker() -> SpecChecker:
    """A checker for the bundled Bot API spec."""
    return SpecChecker(load_spec())


def check_request(
    method: str, params: Mapping[str, Any], files: Mapping[str, Any] | None = None
) -> list[str]:
    """Problems with one Bot API call against the bundled spec (usable as a FakeBotAPI
    validator)."""
    return default_checker().check_request(method, params, files)


def check_object(value: Any, type_name: str) -> list[str]:
    """Problems with one Bot API object (an Update a test pushes, say) against the bundled
    spec: unknown or missing fields and wrong types. Empty list: it conforms."""
    return default_checker()._check_value(value, [type_name], type_name, _Context({}))
