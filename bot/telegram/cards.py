"""Picture cards on Telegram: render off the event loop, upload once, then re-send by file_id."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from telegram import Message

from bot.render import pool
from bot.render.cards import CardCache, CardStyle
from bot.render.screens import Picture
from bot.store import media_repo
from bot.store.db import DATABASE_AWAY, Database
from bot.store.models import CardUpload

log = logging.getLogger(__name__)



# Rendering depends only on the card's content, so one cache serves the whole process. A
# shared card is uploaded once and re-sent by its file id after that, so its bytes are rarely
# wanted twice: two dozen are enough (about 3.5 MB); 512 held about 75 MB of JPEGs.
SHARED_CACHE = CardCache(max_entries=24)


@dataclass(frozen=True)
class Slot:
    """Where a picture's Telegram file id is kept: `key` in card_uploads (None: not kept at all),
    `owner` the young person it belongs to (None: a card for everyone)."""

    key: str | None
    owner: int | None = None

    @property
    def shared(self) -> bool:
        """True for a card for everyone: the only kind also kept in the process's memory."""
        return self.key is not None and self.owner is None


def slot_for(picture: Picture, style: CardStyle, about: int | None) -> Slot:
    """A shared picture is kept for everyone under its content key. A personal one is kept
    under a key of its owner and content, tied to them (erased with them); with no owner
    known it is not kept (issue 11, point 4)."""
    key = picture.key(style)
    if picture.shared:
        return Slot(key)
    if about is None:
        return Slot(None)
    # Their own row, even for content two people share, so each row belongs to one person.
    return Slot(hashlib.sha256(f"{about}:{key}".encode()).hexdigest(), about)


class CardPublisher:
    """Knows which cards Telegram already has. The file ids live in the database (encrypted),
    so a restart or a second bot process re-uses them too. Only shared cards are also kept in
    memory and in the rendering cache; of a personal card only its drawn parts stay, in
    memory, for at most bot.render.cards.parts.PERSONAL_IDLE_SECONDS unused, and none
    after anyone's data is erased."""

    def __init__(self, db: Database, cache: CardCache | None = None) -> None:
        self.db = db
        self.cache = cache or SHARED_CACHE
        self._file_ids: dict[str, str] = {}

    async def media(self, picture: Picture, style: CardStyle, about: int | None = None
                    ) -> tuple[Slot, str | bytes]:
        """(where its file id is kept, a Telegram file id if uploaded before, else the JPEG).

        `about` is the young person whose content a personal picture shows (see `slot_for`).
        """
        if wanted := picture.wanted_photos():  # personal cards: their photos, decrypted
            async with self.db.transaction() as session:
                picture = picture.with_photos(await media_repo.contents(session, wanted))
        slot = slot_for(picture, style, about)
        file_id = await self._known(slot)
        if file_id:
            return slot, file_id
        # Rendering is CPU work (tens of ms): keep it off the event loop.
        cache = self.cache if picture.shared else None
        _, png = await pool.drawn(picture.render, cache, style)
        return slot, png

    async def _known(self, slot: Slot) -> str | None:
        if slot.key is None:
            return None
        if slot.shared and (file_id := self._file_ids.get(slot.key)):
            return file_id
        try:
            async with self.db.transaction() as session:
                row = await session.get(CardUpload, slot.key)
        except DATABASE_AWAY as error:  # only a saving: upload the picture instead
            log.warning("could not look up a card upload: %s", type(error).__name__)
            return None
        if row is None:
            return None
        if slot.shared:
            self._file_ids[slot.key] = row.file_id
        return row.file_id

    async def remember(self, slot: Slot, message: Message | bool) -> None:
        """Keep the file id Telegram gave the picture just sent, where `slot` says."""
        if slot.key is None or not isinstance(message, Message) or not message.photo:
            return
        file_id = message.photo[-1].file_id
        if slot.shared:
            if self._file_ids.get(slot.key) == file_id:
                return
            self._file_ids[slot.key] = file_id
        await self._store(slot, file_id)

    async def _store(self, slot: Slot, file_id: str) -> None:
        """Write the file id to card_uploads under the slot's key (first writer wins)."""
        assert slot.key is not None
        try:
            async with self.db.transaction() as session:
                existing = await session.get(CardUpload, slot.key)
                if existing is None:
                    session.add(CardUpload(key=slot.key, file_id=file_id, owner_id=slot.owner))
        except IntegrityError:
            pass  # another process stored it first (or the owner was just erased)
        except DATABASE_AWAY as error:  # this process still re-uses it from memory
            log.warning("could not store a card upload: %s", type(error).__name__)

    async def known(self, key: str) -> str | None:
        """The Telegram file id kept under `key` for a file that is the same for everyone
        (speech of a flow's question), or None."""
        return await self._known(Slot(key))

    async def keep(self, key: str, file_id: str) -> None:
        """Keep `file_id` under `key` (a file the same for everyone), in memory and in the
        database, so any process re-sends it by id."""
        if self._file_ids.get(key) == file_id:
            return
        self._file_ids[key] = file_id
        await self._store(Slot(key), file_id)

    async def forget(self, slot: Slot) -> None:
        """Telegram no longer knows this file id: upload the picture again next time."""
        if slot.key is None:
            return
        self._file_ids.pop(slot.key, None)
        async with self.db.transaction() as session:
            row = await session.get(CardUpload, slot.key)
            if row is not None:
                await session.delete(row)
