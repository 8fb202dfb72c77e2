"""Read to me: the one rule that reads every screen aloud (issue 15, point 6).

With the young person's "Read to me" setting on (`read_aloud`, bot/service/features/settings.py),
every message the bot sends them that has words (a question, the review, a mat, the menu, the
finished and paused screens, the safety reply) comes with a voice note of those words, sent
just before it, so the screen with its buttons stays the last thing in the chat. The voice is
their therapist's own recording of that question when there is one ("/record"), else speech
(bot.render.speech). Nothing here knows which screen it reads: the conversation calls
`read_out` on every result it gives (bot.service.conversation), so no screen can be left out.

Speech is made after the transaction commits (the attachment's `make`, called by the adapter),
never while the young person's row is locked; the adapter re-sends a voice note Telegram
already has by its file id (`Attachment.file_id` for a recording, `Attachment.key` for speech
of words that are the same for everyone).
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.screen import Screen, ScreenKind
from bot.render import speech
from bot.render.screens import picture_for
from bot.service import present, young_person
from bot.service.types import Attachment, Reply, Result
from bot.store import flow_repo, media_repo, repo
from bot.store.models import Person, Role

if TYPE_CHECKING:
    from bot.service.conversation import Context

VOICE_FILENAME = "read-to-me.ogg"
# Screens whose words are a flow's own question: a therapist's recording of it reads them.
_QUESTIONS = (ScreenKind.CHOICE, ScreenKind.MULTI, ScreenKind.TEXT, ScreenKind.PHOTO,
              ScreenKind.MAT_PLACE)
# Characters that are not words: symbols (emoji, arrows), joiners and variation selectors.
_NOT_SAID = frozenset(("So", "Sk", "Cs", "Co", "Cf", "Mn"))


def reads_aloud(person: Person | None) -> bool:
    """True if `person` is a young person with "Read to me" on (their /settings)."""
    return (person is not None and person.role == Role.YOUNG_PERSON
            and bool((person.preferences or {}).get("read_aloud")))


def is_voice(reply: Reply) -> bool:
    """True if the reply is itself a voice note (the "Read it to me" answer, a reading)."""
    return reply.attachment is not None and reply.attachment.kind == "voice"


def says_something(reply: Reply) -> bool:
    """True if the reply has words to read: not a voice note already, and not the same screen
    drawn again with only a tick changed (`Reply.redraw`)."""
    return bool(reply.text.strip()) and not is_voice(reply) and not reply.redraw


def wants_reading(reply: Reply) -> bool:
    """Every message to the young person that says something is read: here, one for their
    own chat. A message to someone else's chat is read for them, if they are a young person
    with "Read to me" on (`read_for_others`)."""
    return reply.chat_id is None and says_something(reply)


def plain(text: str) -> str:
    """`text` as speech should say it: without emoji and other symbols (speech would name
    them: "grinning face"), one line per sentence, spaces tidied."""
    kept = "".join(" " if unicodedata.category(ch) in _NOT_SAID else ch for ch in text)
    lines = (" ".join(line.split()) for line in kept.splitlines())
    return "\n".join(line for line in lines if line.strip(" .:·-–—"))


def words_of(reply: Reply, ctx: Context) -> str:
    """What is read for one reply: its words (the caption of a picture), then, for a question,
    each picture's words, so a young person who does not read hears the choices too."""
    parts = [reply.text]
    if reply.screen is not None and reply.screen.kind in (ScreenKind.CHOICE, ScreenKind.MULTI):
        parts += [f"{option.words}." for option in reply.screen.options]
    elif reply.screen is None:
        # A menu or a safety reply: its buttons are what can be done next.
        parts += [f"{button.label}." for row in reply.buttons for button in row]
    return plain("\n".join(parts))


def _shared_words(reply: Reply, ctx: Context) -> bool:
    """True when the words read are the same for every young person (a flow's question with
    no words of theirs: its picture is a card for everyone, bot.render.screens), so the voice
    note may be re-sent by its file id to anyone. Anything else (their answers, their earlier
    words, a name, a time, a menu's note) is never kept."""
    screen = reply.screen
    if screen is None or screen.review or screen.earlier is not None or screen.mat is not None:
        return False
    picture = picture_for(screen, present.prompt_words(screen, ctx.locale))
    return picture is not None and picture.shared


def _speech(words: str) -> Callable[[], Awaitable[bytes]]:
    """Speech of `words`, made when the adapter sends it (after the commit): OGG Opus bytes,
    or b"" when speech is not available (the adapter then sends nothing)."""
    async def make() -> bytes:
        return await speech.speak(words) or b""
    return make


async def _recording(session: AsyncSession, person: Person, screen: Screen | None
                     ) -> tuple[bytes, str | None] | None:
    """Their therapist's recording of this question (bytes, Telegram file id), or None."""
    if screen is None or screen.kind not in _QUESTIONS or screen.prompt_is_key:
        return None
    therapists = await flow_repo.therapists_of(session, person.id)
    return await media_repo.recording_file(session, therapists, screen.flow_id, screen.step_id)


async def voice_for(ctx: Context, session: AsyncSession, person: Person,
                    reply: Reply) -> Reply | None:
    """The voice note that reads `reply`: the therapist's recording of its question first,
    else speech of its words; None when neither can be had."""
    recorded = await _recording(session, person, reply.screen)
    if recorded is not None:
        data, file_id = recorded
        return Reply("", attachment=Attachment("voice", data, VOICE_FILENAME, file_id=file_id))
    words = words_of(reply, ctx)
    if not words or not speech.available():
        return None
    key = None
    if _shared_words(reply, ctx):
        key = hashlib.sha256(f"voice:{speech.VOICE}:{words}".encode()).hexdigest()
    return Reply("", attachment=Attachment("voice", b"", VOICE_FILENAME, make=_speech(words),
                                           key=key))


async def read_out(ctx: Context, session: AsyncSession, person: Person | None,
                   result: Result) -> Result:
    """`result` with a reading before each message to the young person that says something,
    when they have "Read to me" on; unchanged otherwise. A result that already holds a voice
    note for them (they tapped "Read it to me") gets no second one."""
    if not reads_aloud(person) or any(is_voice(r) and r.chat_id is None for r in result.replies):
        return result
    assert person is not None
    replies: list[Reply] = []
    for reply in result.replies:
        if wants_reading(reply) and (voice := await voice_for(ctx, session, person, reply)):
            # The voice is a new message; a screen after it that would replace the tapped
            # message is sent after it instead (bot.telegram.delivery), so it stays last.
            replies.append(replace(voice, edit=False))
        replies.append(reply)
    return replace(result, replies=replies)


async def read_for_others(ctx: Context, session: AsyncSession,
                          replies: list[Reply]) -> list[Reply]:
    """`replies` with a reading before each message that goes to another young person's chat
    (`Reply.chat_id`: "Sam has read your message" after a safety alert, a "you said" card, a
    reminder) when that young person has "Read to me" on: read in their own style and
    language (young_person.in_their_words), just as their own screens are. The one place
    this rule lives, called for every event (bot.service.conversation) and every round of a
    periodic job (bot.service.unit_of_work), so no feature has to remember it. A chat that
    already gets a voice note in `replies` gets no second one."""
    chats = {r.chat_id for r in replies if r.chat_id is not None and says_something(r)}
    chats -= {r.chat_id for r in replies if r.chat_id is not None and is_voice(r)}
    people = await repo.young_people_in_chats(session, chats)
    listeners = {p.chat_id: p for p in people if reads_aloud(p)}
    if not listeners:
        return replies
    read: list[Reply] = []
    for reply in replies:
        person = listeners.get(reply.chat_id) if reply.chat_id is not None else None
        if person is not None and says_something(reply) and (voice := await voice_for(
                young_person.in_their_words(ctx, person), session, person, reply)):
            read.append(replace(voice, edit=False, chat_id=reply.chat_id))
        read.append(reply)
    return read
