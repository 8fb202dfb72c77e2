"""bot.strict_json: the one strict JSON reader for bodies from outside (the webhook's updates,
the Talking Mat page's moves). Its faults name only their kind, never the body."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot import strict_json

ROOT = Path(__file__).resolve().parent.parent
WORDS = "blue whale"  # stands for a young person's words: never in a fault's message


@pytest.mark.parametrize(("body", "kind"), [
    (b'{"a": NaN}', "NaN, which is not JSON"),
    (b'{"a": Infinity}', "Infinity, which is not JSON"),
    (b'{"a": -Infinity}', "-Infinity, which is not JSON"),
    (b'{"a": 1e999}', "a number too large"),
    (b'{"a": 9223372036854775808}', "a number too large"),
    (b'{"a": -9223372036854775808}', "a number too large"),
    (b'{"a": 1' + b"0" * 5000 + b"}", "a number too long"),
    (b'{"a": "' + WORDS.encode() + b'\xff"}', "not UTF-8"),
    (b'{"a": "' + WORDS.encode(), "not JSON"),
    (b"", "not JSON"),
    (b"[" * 200_000 + b"]" * 200_000, "nested too deep"),
])
def test_what_is_not_strict_json_is_refused_by_its_kind(body: bytes, kind: str) -> None:
    with pytest.raises(strict_json.NotJSON) as refused:
        strict_json.loads(body)
    assert str(refused.value) == kind
    assert WORDS not in str(refused.value)


def test_strict_json_is_read_as_json() -> None:
    body = b'{"a": [1, -2.5, 9223372036854775807, -9223372036854775807, true, null, "\\u00e9"]}'
    assert strict_json.loads(body) == {
        "a": [1, -2.5, 2**63 - 1, -(2**63 - 1), True, None, "\u00e9"]}


def _own_json_readers(path: Path) -> list[int]:
    """Lines where `path` calls json.loads with a parse_* hook of its own (a strict reader of
    its own, which bot.strict_json is for)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "loads"
            and any((keyword.arg or "").startswith("parse_") for keyword in node.keywords)]


def test_the_webhook_and_the_page_share_one_strict_reader() -> None:
    """Only bot/strict_json.py hooks into json.loads: the webhook (bot/telegram/webhook.py)
    and the page's server (bot/webapp/server.py) read through it, so they refuse alike."""
    found = {str(path.relative_to(ROOT)): lines for path in sorted((ROOT / "bot").rglob("*.py"))
             if (lines := _own_json_readers(path))}
    assert list(found) == ["bot/strict_json.py"], found
