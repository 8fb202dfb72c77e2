"""/mydata's "who looked" says what each person did: never "looked at your answers" for
something else (a supporter joining, a note, a meeting date), since that would tell a young
person someone read their answers when nobody did."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.i18n import Locale
from bot.paths import media_dir
from bot.safety.export_pdf import what_they_did

ROOT = Path(__file__).resolve().parents[2]
SAY = Locale.load(media_dir() / "locales")
# repo.audit(session, actor, "action", ...): the action written as a literal.
LITERAL = re.compile(r"audit\(\s*session,\s*[^,]+,\s*\"([a-z_]+)\"")
# Written where the young person is the actor (/mydata leaves out what they did themself) or
# where no young person is the subject: these never reach their "who looked".
NOT_ABOUT_THEM_BY_OTHERS = frozenset({
    "shared_flow", "kept_flow", "deletion_requested", "you_said_answered",
    "young_person_joined", "supporter_agreed", "supporter_declined", "read_own_summary",
    "therapist_invited", "therapist_joined", "rotated_data_key", "listed_alerts",
    "read_caseload"})


def written_actions() -> set[str]:
    """Every audit action written as a literal in bot/ (and the summary read's two)."""
    found = {"read_summary", "read_answers"}  # bot/summary/load.py picks one by purpose
    for path in (ROOT / "bot").rglob("*.py"):
        found |= set(LITERAL.findall(path.read_text(encoding="utf-8")))
    return found


def test_the_scan_finds_the_audit_actions() -> None:
    found = written_actions()
    assert {"supporter_joined", "add_note", "meeting_set", "outcome_added"} <= found


@pytest.mark.parametrize("action", sorted(written_actions() - NOT_ABOUT_THEM_BY_OTHERS))
def test_every_action_someone_else_takes_about_them_has_its_own_words(action: str) -> None:
    assert SAY.has(f"mydata.what.{action}") or action.startswith("refused_"), (
        f"add mydata.what.{action} to media/locales/en/privacy.yaml")


@pytest.mark.parametrize("action", ["supporter_joined", "supporter_view_started",
                                    "supporter_view_sent", "supporter_requested", "add_note",
                                    "meeting_set", "refused_summary", "something_new"])
def test_only_a_read_says_they_looked_at_the_answers(action: str) -> None:
    said = what_they_did(SAY, action)
    assert not re.search(r"\b(looked|read|saw)\b", said), said


def test_a_read_says_so() -> None:
    assert what_they_did(SAY, "read_summary") == SAY("mydata.what.read_summary")
    assert "looked at" in what_they_did(SAY, "read_answers")
    assert what_they_did(SAY, "refused_note").startswith("tried to open something")
