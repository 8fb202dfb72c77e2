"""What comes in from a chat and what goes back, independent of Telegram."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.engine.screen import Screen
from bot.render.screens import Picture

if TYPE_CHECKING:
    from bot.service.drawing import Drawing


@dataclass(frozen=True)
class Sender:
    telegram_user_id: int
    chat_id: int
    first_name: str = ""


@dataclass(frozen=True)
class Command:
    name: str
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Text:
    """Words typed (or sent) in the chat. `forwarded`: the message was sent on from someone
    else (a forward), so the words are not the young person's own."""

    text: str
    forwarded: bool = False


@dataclass(frozen=True)
class Tap:
    data: str | None


class MediaKind(enum.StrEnum):
    STICKER = "sticker"
    PHOTO = "photo"
    VOICE = "voice"
    AUDIO = "audio"
    VIDEO = "video"
    ANIMATION = "animation"
    DOCUMENT = "document"
    LOCATION = "location"
    CONTACT = "contact"
    OTHER = "other"


class Unfetched(enum.StrEnum):
    """Why a photo or voice note came without its bytes. Each value is the locale key of what
    the person is told (media/locales/en/flows.yaml)."""

    TOO_BIG = "media_too_big"  # over MAX_MEDIA_BYTES, or Telegram says the file is too big
    NOT_FETCHED = "media_not_fetched"  # Telegram or the network failed: sending again can work
    UNREADABLE = "photo_unreadable"  # not a picture MySay can open safely (bot.render.safe_image)


@dataclass(frozen=True)
class Media:
    """Anything that is not plain text. Photos and voice notes small enough to keep arrive with
    their bytes (the adapter downloads them before the transaction; a photo's bytes have
    passed bot.render.safe_image.check_arrival); when it could not, `unfetched` says why."""

    kind: MediaKind
    data: bytes | None = None
    mime_type: str | None = None
    file_id: str | None = None
    caption: str | None = None
    unfetched: Unfetched | None = None
    # Sent on from someone else (a forward): kept, marked, never shown as their own words.
    forwarded: bool = False
    # Several photos or videos sent at once (an album) share this id; each item comes alone.
    media_group: str | None = None

    def why_no_data(self) -> str:
        """The locale key to say when a photo or voice note came without its bytes. A missing
        reason counts as a failed fetch: never "too big" or "can't open" unless it was."""
        return (self.unfetched or Unfetched.NOT_FETCHED).value


@dataclass(frozen=True)
class Edited:
    """The person edited a message they sent earlier."""

    text: str | None = None  # the new words (still checked for safeguarding, not re-answered)


Event = Command | Text | Tap | Media | Edited


@dataclass(frozen=True)
class Button:
    """One tap button. A symbol's emoji is put into its label with
    bot.engine.vocabulary.labelled / text_emoji (an OpenMoji extra, a Private Use Area glyph a
    phone shows as an empty box, leaves the words alone); the label is otherwise as made."""

    label: str
    data: str
    # A Mini App button (Bot API InlineKeyboardButton.web_app, private chats only): the https
    # page it opens; `data` is then "" (a button has exactly one action).
    web_app: str | None = None


Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class Attachment:
    kind: str  # photo / voice / document
    data: bytes
    filename: str = "file"
    # Slow files (a summary PDF) are made after the transaction commits, not inside it.
    make: Callable[[], Awaitable[bytes]] | None = None
    # A Telegram file id for the same file (sent by id, uploaded again if Telegram forgot it).
    file_id: str | None = None
    # Content key of a file that is the same for everyone (speech of a flow's question): its
    # Telegram file id may be kept and re-used under this key (bot.telegram.cards).
    key: str | None = None


@dataclass(frozen=True)
class Reply:
    """One message to send. Its text is sent as made: a symbol's emoji goes in through
    bot.engine.vocabulary.labelled / text_emoji (see Button), and a young person's own words
    are never changed (a phone's own Private Use Area characters, spaces, all kept)."""

    text: str
    buttons: Keyboard = ()
    screen: Screen | None = None  # shown as a picture card when the adapter can render it
    picture: Picture | None = None  # a picture to show with the words (when no screen)
    edit: bool = False  # replace the message the tap came from, rather than send a new one
    attachment: Attachment | None = None  # a picture, voice note or file, with text as caption
    chat_id: int | None = None  # someone else's chat (an alert to a therapist); None: the sender
    # How pictures should look for this person (text_scale, palette, font from /settings).
    look: tuple[tuple[str, object], ...] = ()
    # The young person (people.id) whose own content the picture shows: its upload is kept
    # only tied to them, so erasing them erases it. None: a personal picture is not kept.
    about: int | None = None
    # A picture to draw once the transaction has committed (the finished mat, the profile):
    # the unit of work draws it and sends it as the photo `attachment` (bot.service.drawing).
    drawing: Drawing | None = None
    # The same screen drawn again with only a tick changed (a multi-choice tick, a double tap):
    # it says nothing new, so "Read to me" does not read it again (bot.service.reading).
    redraw: bool = False
    # The young person answers from words ("Pictures: Words only", /settings): the screen is
    # kept (read-aloud reads its choices, plays its recording) but no picture card is drawn.
    words_only: bool = False


@dataclass
class Result:
    replies: list[Reply] = field(default_factory=list)
    toast: str | None = None  # the short answer to a tapped button
    leave_chat: bool = False

    def say(self, text: str, buttons: Keyboard = (), *, edit: bool = False) -> Result:
        self.replies.append(Reply(text, buttons, edit=edit))
        return self

    def say_reply(self, reply: Reply) -> Result:
        self.replies.append(reply)
        return self
