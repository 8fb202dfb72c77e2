"""Picture cards on Telegram: render off the event loop, upload once, then re-send by file_id."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.exc import DBAPIError, IntegrityError
from telegram import Message

from bot.render.cards import CardCache, CardStyle
from bot.render.screens import Picture
from bot.store import media_repo
from bot.store.db import Database
from bot.store.models import CardUpload

log = logging.getLogger(__name__)


# The card uploads table only saves uploads: when it can't be reached, the reply still goes.
_DATABASE_AWAY = (DBAPIError, OSError, TimeoutError)

# Rendering depends only on the card's content, so one cache serves the whole process.
SHARED_CACHE = CardCache(max_entries=512)


class CardPublisher:
    """Knows which cards Telegram already has. The file ids live in the database, so a restart
    or a second bot process re-uses them too."""

    def __init__(self, db: Database, cache: CardCache | None = None) -> None:
        self.db = db
        self.cache = cache or SHARED_CACHE
        self._file_ids: dict[str, str] = {}

    async def media(self, picture: Picture, style: CardStyle) -> tuple[str, str | bytes]:
        """(content key, a Telegram file id if uploaded before, else the PNG bytes)."""
        if wanted := picture.wanted_photos():  # personal cards: their photos, decrypted
            async with self.db.transaction() as session:
                picture = picture.with_photos(await media_repo.contents(session, wanted))
        key = picture.key(style)
        file_id = self._file_ids.get(key) or await self._stored(key)
        if file_id:
            return key, file_id
        # Rendering is CPU work (tens of ms): keep it off the event loop.
        _, png = await asyncio.to_thread(picture.render, self.cache, style)
        return key, png

    async def _stored(self, key: str) -> str | None:
        try:
            async with self.db.transaction() as session:
                row = await session.get(CardUpload, key)
        except _DATABASE_AWAY as error:  # only a saving: upload the picture instead
            log.warning("could not look up a card upload: %s", type(error).__name__)
            return None
        if row is not None:
            self._file_ids[key] = row.file_id
            return row.file_id
        return None

    async def remember(self, key: str, message: Message | bool) -> None:
        if not isinstance(message, Message) or not message.photo:
            return
        file_id = message.photo[-1].file_id
        if self._file_ids.get(key) == file_id:
            return
        self._file_ids[key] = file_id
        try:
            async with self.db.transaction() as session:
                existing = await session.get(CardUpload, key)
                if existing is None:
                    session.add(CardUpload(key=key, file_id=file_id))
        except IntegrityError:
            pass  # another process stored it first; either id works
        except _DATABASE_AWAY as error:  # this process still re-uses it from memory
            log.warning("could not store a card upload: %s", type(error).__name__)

    async def forget(self, key: str) -> None:
        """Telegram no longer knows this file id: upload the picture again next time."""
        self._file_ids.pop(key, None)
        async with self.db.transaction() as session:
            row = await session.get(CardUpload, key)
            if row is not None:
                await session.delete(row)
