"""Pictures drawn after the transaction commits: the finished Talking Mat and the one-page
profile.

Drawing one takes tens to hundreds of milliseconds of CPU. Done inside the update's
transaction it would hold the young person's row lock (on SQLite, the database's only write
lock) all that time. So the conversation only describes the picture (a `Drawing`: pure data,
the mat view or the profile's sections, with the photos it shows), the unit of work
(bot.service.unit_of_work) commits, and then `draw_all` draws it off the event loop, keeps it
with the answer in a short transaction of its own, and turns the reply into a photo to send.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from bot.engine.screen import MatView
from bot.render import pool
from bot.render.cards import CardStyle
from bot.render.cards.parts import PERSONAL_PARTS
from bot.render.cards.shapes import mime_type_of
from bot.render.mat import render_mat
from bot.render.profile import render_profile
from bot.render.scripts import readable
from bot.service.types import Attachment, Reply
from bot.store import media_repo
from bot.store.db import DATABASE_AWAY, in_transaction

if TYPE_CHECKING:
    from bot.store.db import Database

log = logging.getLogger(__name__)

# One profile section: its heading and its lines, each (emoji, words).
Section = tuple[str, tuple[tuple[str, str], ...]]


@dataclass(frozen=True)
class MatPicture:
    """A finished Talking Mat as bot.render.mat.render_mat draws it. `photos`: the personal
    cards' photos on it, (media id, bytes)."""

    view: MatView
    style: CardStyle
    photos: tuple[tuple[int, bytes], ...] = ()

    def render(self) -> bytes:
        """The mat as the bytes sent and kept (JPEG, bot.render.cards.shapes.encode), drawn
        from the young person's cached parts: most of the mat was drawn while it was being
        placed, and the review draws the same picture next (remembered, not drawn again)."""
        return render_mat(self.view, self.style, dict(self.photos), parts=PERSONAL_PARTS)

    def words_not_drawn(self) -> list[str]:
        """The mat's words no font can draw (the picture shows "(see the words below)")."""
        view = self.view
        cards = [view.topic, *view.scale, *(c for col in view.columns for c in col),
                 *view.left_off, *([view.current] if view.current else [])]
        return words_not_drawn([c.words for c in cards], self.style)


@dataclass(frozen=True)
class ProfilePicture:
    """The one-page profile as bot.render.profile.render_profile draws it: a title, the
    sections in order, and their own photo if they sent one."""

    title: str
    sections: tuple[Section, ...]
    photo: bytes | None
    style: CardStyle

    def render(self) -> bytes:
        """The profile as picture bytes (JPEG, bot.render.cards.shapes.encode). Its parts
        (header, headings, rows) are kept in the personal parts cache (memory only, an idle
        limit, forgotten on erasure), so the profile drawn again after one answer changed
        draws only that answer's row."""
        return render_profile(self.title, self.sections, self.photo, self.style,
                              parts=PERSONAL_PARTS)

    def words_not_drawn(self) -> list[str]:
        """The profile's words no font can draw (the picture shows "(see the words below)")."""
        texts = [self.title]
        for heading, items in self.sections:
            texts += [heading, *(words for _, words in items)]
        return words_not_drawn(texts, self.style)


def words_not_drawn(texts: Sequence[str], style: CardStyle) -> list[str]:
    """The texts (each once, in order) the picture cannot draw because no font has their
    letters (bot.render.scripts.readable): the caption has to carry them."""
    return list(dict.fromkeys(t for t in texts if t and not readable(t, style.font)))


def with_words(caption: str, picture: MatPicture | ProfilePicture, lead: str) -> str:
    """`caption`, then (after `lead`) the words the picture could not draw, one a line."""
    missing = picture.words_not_drawn()
    return "\n\n".join([caption, "\n".join([lead, *missing])]) if missing else caption


@dataclass(frozen=True)
class KeepWith:
    """Where a drawn picture is kept, as the young person's own media (erased with them):
    kind "mat" goes on the answer to `step_id` of run `run_id` (the mat's record); kind
    "profile" is named by the run's options (`profile_media`)."""

    owner_id: int
    kind: Literal["mat", "profile"]
    run_id: int
    step_id: str | None = None


@dataclass(frozen=True)
class Drawing:
    """A picture to draw after commit and send as a photo named `filename`; `keep`: where to
    keep it too (None: only sent)."""

    picture: MatPicture | ProfilePicture
    filename: str
    keep: KeepWith | None = None


async def draw_all(db: Database, replies: Sequence[Reply]) -> list[Reply]:
    """The replies with each `Reply.drawing` drawn (off the event loop) and kept where it
    says, as a photo attachment. Call only after the update's transaction committed.

    Keeping runs in a short transaction of its own; if the database is away then, the picture
    is still sent and the answer stays without it (the summary draws a mat from its
    placements). A picture that cannot be drawn is logged and left out: the answer has
    committed, so the words of the reply (the review that follows, the answered tap) must
    still reach the young person. Raises nothing of its own."""
    drawn = []
    for reply in replies:
        if reply.drawing is None:
            drawn.append(reply)
            continue
        try:
            picture = await pool.drawn(reply.drawing.picture.render)
        except Exception:  # any drawing fault: never lose the reply's words with the picture
            log.exception("could not draw %s; sending its words without it",
                          reply.drawing.filename)
            if reply.text:
                drawn.append(replace(reply, drawing=None))
            continue
        if reply.drawing.keep is not None:
            await _keep(db, reply.drawing.keep, picture)
        drawn.append(replace(reply, drawing=None,
                             attachment=Attachment("photo", picture, reply.drawing.filename)))
    return drawn


async def _keep(db: Database, keep: KeepWith, picture: bytes) -> None:
    """Keep the drawn picture, the very bytes sent, with its answer or run
    (media_repo.keep_drawn), typed by its content (JPEG as drawn today)."""
    try:
        await in_transaction(db, lambda session: media_repo.keep_drawn(
            session, owner_id=keep.owner_id, kind=keep.kind, run_id=keep.run_id,
            step_id=keep.step_id, data=picture, mime_type=mime_type_of(picture)),
            f"keeping a {keep.kind} picture")
    except DATABASE_AWAY as error:
        log.warning("could not keep a %s picture: %s", keep.kind, type(error).__name__)
