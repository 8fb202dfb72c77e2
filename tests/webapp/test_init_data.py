"""Telegram's initData for the Talking Mat page (bot/webapp/init_data.py, issue 16): only data
signed with this bot's token, for a user, within 24 hours and not from the future, is taken.

Each refusal test starts from data that is accepted, changes one thing, and checks that this
one change is refused: so each fails if its check were removed."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

import pytest

from bot.webapp.init_data import (
    FUTURE_SKEW,
    MAX_AGE,
    InitDataRefused,
    WebAppUser,
    check_init_data,
    sign_init_data,
)

TOKEN = "123456:TEST-not-a-real-token-000000000000000"
OTHER_TOKEN = "654321:TEST-another-bot-token-00000000000000"
NOW = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)
USER_ID = 5_000_002


def signed(**changes: object) -> str:
    """initData for user USER_ID signed with TOKEN a minute before NOW, with `changes`."""
    given: dict[str, object] = {"bot_token": TOKEN, "user_id": USER_ID, "first_name": "Jo",
                                "auth_date": NOW - timedelta(minutes=1)}
    given.update(changes)
    return sign_init_data(**given)  # type: ignore[arg-type]


def resign(fields: dict[str, str], token: str = TOKEN) -> str:
    """`fields` (without a hash) signed as Telegram does: HMAC-SHA256 of the sorted
    key=value lines, keyed by HMAC-SHA256("WebAppData", token) (Bot API, Mini Apps)."""
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    return urlencode({**fields, "hash": hmac.new(secret, check.encode(),
                                                 hashlib.sha256).hexdigest()})


def fields_of(init_data: str) -> dict[str, str]:
    return {key: value for key, value in parse_qsl(init_data) if key != "hash"}


def test_data_signed_for_this_bot_is_the_user_it_names() -> None:
    user = check_init_data(signed(query_id="AAE-example"), TOKEN, NOW)
    assert user == WebAppUser(USER_ID, "Jo", NOW - timedelta(minutes=1))
    assert user.auth_date.tzinfo is not None


def test_the_signature_is_telegrams_so_data_signed_independently_is_accepted() -> None:
    """sign_init_data makes what Telegram makes: the same fields signed by the recipe in the
    Bot API docs (here, apart from sign_init_data) pass the check too."""
    fields = {"auth_date": str(int(NOW.timestamp())), "query_id": "AAE-example",
              "user": json.dumps({"id": USER_ID, "first_name": "Jo", "language_code": "en"})}
    assert check_init_data(resign(fields), TOKEN, NOW).telegram_user_id == USER_ID


def test_a_changed_user_id_is_refused() -> None:
    fields = fields_of(signed())
    fields["user"] = fields["user"].replace(str(USER_ID), str(USER_ID + 1))
    forged = urlencode({**fields, "hash": dict(parse_qsl(signed()))["hash"]})
    assert check_init_data(signed(), TOKEN, NOW).telegram_user_id == USER_ID
    with pytest.raises(InitDataRefused):
        check_init_data(forged, TOKEN, NOW)


def test_a_changed_hash_is_refused() -> None:
    data = signed()
    digest = dict(parse_qsl(data))["hash"]
    flipped = ("0" if digest[0] != "0" else "1") + digest[1:]
    with pytest.raises(InitDataRefused):
        check_init_data(data.replace(digest, flipped), TOKEN, NOW)


def test_data_without_a_hash_is_refused() -> None:
    with pytest.raises(InitDataRefused):
        check_init_data(urlencode(fields_of(signed())), TOKEN, NOW)


def test_another_bots_data_is_refused() -> None:
    assert check_init_data(signed(bot_token=OTHER_TOKEN), OTHER_TOKEN, NOW)
    with pytest.raises(InitDataRefused):
        check_init_data(signed(bot_token=OTHER_TOKEN), TOKEN, NOW)


def test_data_older_than_a_day_is_refused_and_just_within_it_is_not() -> None:
    assert MAX_AGE == timedelta(hours=24)
    check_init_data(signed(auth_date=NOW - MAX_AGE + timedelta(seconds=5)), TOKEN, NOW)
    with pytest.raises(InitDataRefused, match="expired"):
        check_init_data(signed(auth_date=NOW - timedelta(hours=25)), TOKEN, NOW)
    with pytest.raises(InitDataRefused, match="expired"):
        check_init_data(signed(auth_date=NOW - MAX_AGE - timedelta(seconds=5)), TOKEN, NOW)


def test_data_from_the_future_is_refused_beyond_a_little_clock_skew() -> None:
    check_init_data(signed(auth_date=NOW + FUTURE_SKEW - timedelta(seconds=5)), TOKEN, NOW)
    with pytest.raises(InitDataRefused, match="future"):
        check_init_data(signed(auth_date=NOW + FUTURE_SKEW + timedelta(seconds=5)), TOKEN, NOW)
    with pytest.raises(InitDataRefused, match="future"):
        check_init_data(signed(auth_date=NOW + timedelta(days=2)), TOKEN, NOW)


def test_signed_data_without_a_user_is_refused() -> None:
    fields = fields_of(signed())
    assert check_init_data(resign(fields), TOKEN, NOW).telegram_user_id == USER_ID
    del fields["user"]
    with pytest.raises(InitDataRefused):
        check_init_data(resign(fields), TOKEN, NOW)


def test_a_key_given_twice_is_refused() -> None:
    """A second `user` after the signed one: whichever a reader took, it must not be taken."""
    data = signed()
    other = json.dumps({"id": USER_ID + 1, "first_name": "Sam"})
    with pytest.raises(InitDataRefused):
        check_init_data(data + "&" + urlencode({"user": other}), TOKEN, NOW)
    with pytest.raises(InitDataRefused):
        check_init_data(urlencode({"user": other}) + "&" + data, TOKEN, NOW)


@pytest.mark.parametrize("garbage", ["", "hash", "=&=&", "user=%7B&hash=00", "%ZZ%",
                                     "auth_date=soon&user=x&hash=" + "0" * 64,
                                     "\x00\x01", "a" * 10_000])
def test_empty_or_unreadable_data_is_refused(garbage: str) -> None:
    with pytest.raises(InitDataRefused):
        check_init_data(garbage, TOKEN, NOW)


def test_a_refusal_names_the_kind_of_fault_never_the_data() -> None:
    data = signed(first_name="Unusual-Name", auth_date=NOW - timedelta(days=3))
    with pytest.raises(InitDataRefused) as refused:
        check_init_data(data, TOKEN, NOW)
    assert "Unusual" not in str(refused.value) and str(USER_ID) not in str(refused.value)


def test_fields_telegram_adds_later_are_ignored_not_refused() -> None:
    """Telegram adds user and chat fields over time (photo_url, allows_write_to_pm, ...): data
    signed with one MySay does not know is still the young person's, never "forged"."""
    fields = fields_of(signed())
    user = json.loads(fields["user"])
    fields["user"] = json.dumps({**user, "is_verified": True, "new_badge": {"level": 2}})
    fields["chat_type"] = "a_kind_of_chat_not_yet_invented"
    fields["something_new"] = "1"
    found = check_init_data(resign(fields), TOKEN, NOW)
    assert found == WebAppUser(USER_ID, "Jo", NOW - timedelta(minutes=1))
