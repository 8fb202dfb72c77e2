"""Telegram Mini App `initData`: who opened the page, as Telegram signed it.

Telegram gives a Mini App a query string (`Telegram.WebApp.initData`) holding the user, the
`auth_date` and a `hash`: HMAC-SHA256 of the sorted "key=value" lines, keyed by
HMAC-SHA256("WebAppData", bot token) (Bot API, "Validating data received via the Mini App",
https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app). Checking it
is the kept library `init-data-py`'s job; here it is wrapped with MySay's rules on freshness
and what a refusal says.

Why init-data-py: it keeps the fields it does not know (Telegram adds user and chat fields
over time) instead of refusing correctly signed data that carries one, and it takes the clock
to check against. `telegram-webapp-auth` refused such data as if it were forged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from init_data_py import errors, sign, validate_by_hash

# How long a page stays usable after Telegram opened it. The young person has no time limit,
# but the signature does: after this they close the mat and open it again from the chat, and
# find everything where they left it (the state is in the database, never in the page).
MAX_AGE = timedelta(hours=24)
# A clock a little ahead of ours is tolerated; a signature from well in the future is not.
FUTURE_SKEW = timedelta(minutes=5)


class InitDataRefused(Exception):
    """initData that is missing, not signed with this bot's token, too old, from the future
    or not readable. The message names the kind of fault only (never the data)."""


@dataclass(frozen=True)
class WebAppUser:
    """The Telegram user a page was opened by: their id, first name, and when Telegram signed
    the data (`auth_date`, timezone-aware UTC)."""

    telegram_user_id: int
    first_name: str
    auth_date: datetime


def check_init_data(init_data: str, bot_token: str, now: datetime | None = None) -> WebAppUser:
    """The user `init_data` was signed for, if it was signed with `bot_token` within MAX_AGE
    of `now` (timezone-aware UTC; default the current time) and not more than FUTURE_SKEW
    after it. Fields Telegram adds later (to the user or the chat) are ignored, not refused.

    Raises InitDataRefused for anything else: empty, malformed, a key given twice, a wrong or
    missing hash (forged, or another bot's), expired, from the future, or without a user."""
    if not init_data:
        raise InitDataRefused("no initData")
    now = now or datetime.now(UTC)
    try:
        data = validate_by_hash(init_data, bot_token, expires_in=MAX_AGE, now=now)
    except errors.ExpiredError:
        raise InitDataRefused("expired") from None
    except errors.AuthenticityError:
        raise InitDataRefused("not signed for this bot") from None
    except errors.InvalidInitDataError:
        raise InitDataRefused("not readable") from None
    if data.user is None:
        raise InitDataRefused("no user")
    signed_at = data.issued_at.astimezone(UTC)
    if signed_at - now > FUTURE_SKEW:
        raise InitDataRefused("from the future")
    return WebAppUser(int(data.user.id), str(data.user.first_name or ""), signed_at)


def sign_init_data(bot_token: str, user_id: int, first_name: str, auth_date: datetime, *,
                   query_id: str | None = None) -> str:
    """The initData string Telegram would give a page opened by user `user_id`, signed with
    `bot_token` at `auth_date` (a timezone-aware datetime), by init-data-py's `sign`. For the
    sandbox's stand-in for Telegram and for tests; the real bot only checks
    (`check_init_data`)."""
    fields = {"user": json.dumps({"id": user_id, "first_name": first_name},
                                 separators=(",", ":"), ensure_ascii=False)}
    if query_id is not None:
        fields["query_id"] = query_id
    return sign(fields, bot_token, auth_date=auth_date)
