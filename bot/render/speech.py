"""Reading a question aloud: espeak-ng speech, encoded as OGG Opus (what Telegram calls voice).

Both tools are Debian packages (espeak-ng, opus-tools). Where either is missing, `speak` returns
None and the bot says, kindly, that no voice is available.
"""

from __future__ import annotations

import asyncio
import io
import logging
import math
import shutil
import struct
from functools import lru_cache

from tinytag import TinyTag, TinyTagException

log = logging.getLogger(__name__)

MAX_CHARS = 600  # a question, not an essay
VOICE = "en-gb"  # espeak-ng's voice: British English
_TIMEOUT = 20.0


def available() -> bool:
    return shutil.which("espeak-ng") is not None and shutil.which("opusenc") is not None


async def speak(text: str, voice: str = VOICE, words_per_minute: int = 140) -> bytes | None:
    """OGG Opus bytes of `text` spoken slowly and clearly, or None if speech is not available."""
    if not available() or not text.strip():
        return None
    return await _spoken(text.strip()[:MAX_CHARS], voice, words_per_minute)


@lru_cache(maxsize=1)
def _lock() -> asyncio.Semaphore:
    return asyncio.Semaphore(2)  # two cores: never more than two encoders at once


async def _spoken(text: str, voice: str, words_per_minute: int) -> bytes | None:
    async with _lock():
        try:
            espeak = await asyncio.create_subprocess_exec(
                "espeak-ng", "-v", voice, "-s", str(words_per_minute), "--stdout", text,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
            wav, _ = await asyncio.wait_for(espeak.communicate(), _TIMEOUT)
            encoder = await asyncio.create_subprocess_exec(
                "opusenc", "--quiet", "--bitrate", "24", "-", "-",
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL)
            ogg, _ = await asyncio.wait_for(encoder.communicate(wav), _TIMEOUT)
        except (OSError, TimeoutError):
            log.warning("speech synthesis failed", exc_info=True)
            return None
    if espeak.returncode or encoder.returncode or not ogg.startswith(b"OggS"):
        log.warning("speech synthesis gave no audio")
        return None
    return ogg


def seconds(ogg: bytes) -> int | None:
    """How long an OGG Opus voice note plays, in whole seconds (rounded up, at least 1), read
    from the file itself (its last page's granule position less the pre-skip, at 48 kHz: RFC
    7845, read by tinytag, MIT); None if the bytes are not OGG Opus."""
    if not ogg.startswith(b"OggS") or b"OpusHead" not in ogg[:200]:
        return None  # a browser's WebM, Ogg Vorbis or a test's stand-in: not a voice note
    try:
        length = TinyTag.get(file_obj=io.BytesIO(ogg)).duration
    except (TinyTagException, ValueError, EOFError, IndexError, KeyError, struct.error):
        return None  # cut short or damaged: tinytag fails anywhere in the pages
    return max(1, math.ceil(length)) if length and length > 0 else None
