"""Reading JSON that comes from outside MySay (a webhook update from Telegram, a move from the
Talking Mat page) strictly: UTF-8 JSON as RFC 8259 defines it, and numbers MySay can keep.

Python's `json` module accepts more than JSON (NaN, Infinity, -Infinity), turns 1e999 into
infinity, and reads a whole number of any length. `loads` refuses those, so a body from
outside either is plain JSON of sane numbers or raises `NotJSON`. Shared by
bot.telegram.webhook (`read_update`) and bot.webapp.server (`read_move`), which each add the
shape they expect on top.
"""

from __future__ import annotations

import json
import math
from typing import Any, NoReturn

# The Bot API says its integers have at most 52 significant bits; the database keeps ids and
# run versions in signed 64-bit columns. A number beyond that is not from Telegram or the page,
# and would fail deep inside.
LARGEST_NUMBER = 2**63 - 1
# More digits than any number up to LARGEST_NUMBER has (with a sign): checked before int() so
# a million digits cost nothing.
_MOST_DIGITS = 20


class NotJSON(ValueError):
    """A body that is not strict JSON. Its message names only the kind of fault ("not JSON",
    "a number too large", ...), never the body's content (which may be a young person's
    words)."""


def _number(digits: str) -> int:
    """json.loads' parse_int: a whole number of at most 64 bits. Raises NotJSON."""
    if len(digits) > _MOST_DIGITS:
        raise NotJSON("a number too long")
    value = int(digits)
    if abs(value) > LARGEST_NUMBER:
        raise NotJSON("a number too large")
    return value


def _finite(text: str) -> float:
    """json.loads' parse_float: 1e999 would become infinity. Raises NotJSON."""
    value = float(text)
    if not math.isfinite(value):
        raise NotJSON("a number too large")
    return value


def _not_json(name: str) -> NoReturn:
    """json.loads' parse_constant: NaN and Infinity are Python's extension, not JSON."""
    raise NotJSON(f"{name}, which is not JSON")


def loads(body: bytes) -> Any:
    """The value in `body`: UTF-8 JSON (RFC 8259) with finite numbers and whole numbers within
    64 bits. Returns what json.loads returns (dict, list, str, int, float, bool or None).
    Raises NotJSON for anything else: bytes that are not UTF-8, text that is not JSON, NaN or
    Infinity, a number too large, or nesting too deep for Python (RecursionError)."""
    try:
        return json.loads(body.decode("utf-8"), parse_int=_number, parse_float=_finite,
                          parse_constant=_not_json)
    except NotJSON:
        raise
    except UnicodeDecodeError:
        raise NotJSON("not UTF-8") from None
    except RecursionError:
        raise NotJSON("nested too deep") from None
    except ValueError:  # JSONDecodeError; its message quotes the body, so it is not kept
        raise NotJSON("not JSON") from None
