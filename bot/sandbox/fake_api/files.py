"""Files the fake holds: uploads, photos with their thumbnail sizes, stickers, and the
`File` JSON Telegram gives for each, with Telegram's size limits."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image, UnidentifiedImageError

from bot.render import speech
from bot.sandbox.fake_api.params import Call
from bot.sandbox.fake_api.records import StoredFile, UploadedFile
from bot.sandbox.fake_api.state import TelegramState
from bot.sandbox.fake_api.wire import BotAPIError, JSONDict, bad

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
THUMBNAIL_SIDE = 90

_FILE_PREFIX = {"photo": "AgAC", "voice": "AwAC", "audio": "CQAC", "document": "BQAC",
                "sticker": "CAAC"}
_FILE_SUFFIX = {"photo": "jpg", "voice": "oga", "audio": "mp3", "sticker": "webp"}
_MIME_DEFAULT = {"voice": "audio/ogg", "audio": "audio/mpeg"}
_FILE_DIR = {"photo": "photos", "voice": "voice", "audio": "music", "document": "documents",
             "sticker": "stickers"}


class FilesMixin(TelegramState):
    """Storing and describing files, for `FakeBotAPI`."""

    def file_bytes(self, file_id: str) -> bytes:
        """The content of a stored file (KeyError when unknown)."""
        return self.files[file_id].data

    def _store_file(self, kind: str, data: bytes, file_name: str | None,
                    mime_type: str | None, **extra: Any) -> StoredFile:
        if len(data) > MAX_UPLOAD_BYTES:
            raise BotAPIError(413, "Request Entity Too Large")
        n = next(self._file_seq)
        suffix = _FILE_SUFFIX.get(kind) or (
            file_name.rsplit(".", 1)[-1] if file_name and "." in file_name else "bin")
        if kind == "photo" and mime_type in ("image/png", "image/webp", "image/gif"):
            suffix = mime_type.removeprefix("image/")
        stored = StoredFile(
            file_id=f"{_FILE_PREFIX.get(kind, 'BAAC')}Fake{n:06d}", file_unique_id=f"AQAD{n:06d}",
            kind=kind, data=data, file_path=f"{_FILE_DIR.get(kind, 'files')}/file_{n}.{suffix}",
            mime_type=mime_type, file_name=file_name if kind in ("document", "audio") else None,
            **extra,
        )
        self.files[stored.file_id] = stored
        return stored

    def _store_photo(self, data: bytes, file_name: str | None) -> list[StoredFile]:
        """Store an uploaded photo (original + small thumbnail), checking Telegram's limits."""
        if len(data) > MAX_PHOTO_BYTES:
            raise bad("PHOTO_SAVE_FILE_INVALID")
        try:
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                mime = Image.MIME.get(image.format or "", "image/jpeg")
                thumb = image.convert("RGB")
        except (UnidentifiedImageError, OSError):
            raise bad("IMAGE_PROCESS_FAILED") from None
        if width + height > 10_000 or max(width, height) > 20 * min(width, height):
            raise bad("PHOTO_INVALID_DIMENSIONS")
        sizes = []
        if max(width, height) > THUMBNAIL_SIDE:
            thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
            buffer = io.BytesIO()
            thumb.save(buffer, "JPEG")
            sizes.append(self._store_file("photo", buffer.getvalue(), "thumb.jpg", "image/jpeg",
                                          width=thumb.width, height=thumb.height))
        sizes.append(self._store_file("photo", data, file_name or "photo.jpg", mime,
                                      width=width, height=height))
        group = tuple(s.file_id for s in sizes)
        for size in sizes:
            size.photo_group = group
        return sizes

    def _sticker_file(self) -> StoredFile:
        buffer = io.BytesIO()
        Image.new("RGBA", (512, 512), (255, 200, 0, 255)).save(buffer, "WEBP")
        return self._store_file("sticker", buffer.getvalue(), "sticker.webp", "image/webp",
                                width=512, height=512)

    def _file_json(self, file_id: str) -> JSONDict:
        stored = self.files[file_id]
        result: JSONDict = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                            "file_size": len(stored.data)}
        if stored.kind in ("photo", "sticker"):
            result.update(width=stored.width, height=stored.height)
        if stored.kind == "sticker":
            result.update(type="regular", is_animated=False, is_video=False, emoji="👍")
        if stored.kind in ("voice", "audio"):
            result["duration"] = stored.duration or 0
        if stored.kind != "photo" and stored.mime_type:
            result["mime_type"] = stored.mime_type
        if stored.file_name:
            result["file_name"] = stored.file_name
        return result

    def _resolve_file(self, call: Call, value: Any, kind: str, files: dict[str, UploadedFile],
                      upload: UploadedFile | None = None) -> StoredFile:
        """An uploaded part, `attach://name` or an existing file_id -> a stored file."""
        if upload is None and isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value.removeprefix("attach://"))
            if upload is None:
                raise bad(f"file {value} not found in the request")
        if upload is not None:
            if kind == "photo":
                return self._store_photo(upload.data, upload.filename)[-1]
            mime = upload.content_type
            if kind in _MIME_DEFAULT and mime in (None, "application/octet-stream"):
                mime = _MIME_DEFAULT[kind]  # PTB labels raw bytes as application/octet-stream
            return self._store_file(kind, upload.data, upload.filename, mime,
                                    duration=_duration(call, upload.data) if kind in
                                    ("voice", "audio") else None)
        if not value:
            raise bad(f"there is no {kind} in the request")
        stored = self.files.get(str(value))
        if stored is None:
            if str(value).startswith(("http://", "https://")):
                raise bad("failed to get HTTP URL content")
            raise bad("wrong file identifier/HTTP URL specified")
        if (stored.kind == "photo") != (kind == "photo"):
            raise bad(f"can't use file of type {stored.kind.title()} as {kind.title()}")
        call.record.reused_file_ids.append(stored.file_id)
        return stored


def _duration(call: Call, data: bytes) -> int:
    """A voice note's or audio's length in seconds: the `duration` the bot gave, else read
    from the OGG Opus data itself as Telegram does (so the sandbox page shows and plays it at
    its real length), else 1."""
    given = call.integer("duration")
    if given is not None:
        return int(given)
    return speech.seconds(data) or 1
