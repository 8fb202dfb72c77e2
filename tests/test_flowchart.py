"""docs/flows/ (bot/flowchart.py): one Mermaid diagram per flow, kept current by this test."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import flowchart
from bot.__main__ import main
from bot.engine.flows import Flow
from bot.services import load_content

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "flows"
CONTENT = load_content()


def test_the_committed_diagrams_are_what_the_flow_files_make_today() -> None:
    stale = flowchart.differences(DOCS, CONTENT.engine.flows)
    assert not stale, (
        f"docs/flows/ is not current: {stale}. Run `python -m bot flowchart` from the "
        "repository root and commit docs/flows/.")


def _flow(steps: list[dict[str, object]], **more: object) -> Flow:
    data = {"id": "demo", "title": "Demo", "symbol": "today", "description": "A demo.",
            "steps": steps, **more}
    return Flow.model_validate(data, context={"vocabulary": CONTENT.vocabulary})


def test_a_branch_is_drawn_per_way_with_otherwise_for_the_rest() -> None:
    flow = _flow([
        {"id": "how", "type": "choice", "prompt": "How was it?",
         "choices": ["good", "ok", "bad"], "next": {"good": "why", "bad": "why"}},
        {"id": "why", "type": "text", "prompt": 'Say "why"?'},
        {"id": "end_words", "type": "text", "prompt": "Anything else?"}])
    chart = flowchart.mermaid(flow)
    assert 's_how -->|"good, bad"| s_why' in chart
    assert "s_how -->|otherwise| s_why" in chart  # no default: the next step in the file
    assert "s_end_words --> e_helped" in chart and "e_helped --> e_review" in chart
    assert "#quot;why#quot;" in chart  # a quote in a prompt cannot end the label
    assert "s_how{" in chart and "s_why[/" in chart


def test_without_who_helped_the_last_step_goes_to_the_review() -> None:
    flow = _flow([{"id": "one", "type": "text", "prompt": "Tell me."}], ask_who_helped=False)
    chart = flowchart.mermaid(flow)
    assert "s_one --> e_review" in chart and "e_helped" not in chart


def test_a_repeat_block_is_one_box_per_round() -> None:
    chart = flowchart.mermaid(CONTENT.engine.flows["good_day_bad_day"])
    assert 'subgraph round_morning["repeat: morning"]' in chart
    assert 's_how_morning -->|"good"| s_why_good_morning' in chart
    assert "s_why_good_morning --> s_how_getting_to_school" in chart  # continue: next round


def test_flowchart_check_says_what_is_stale_and_writing_makes_it_current(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "flows"
    assert main(["flowchart", "--check", "--out", str(out)]) == 1
    assert "python -m bot flowchart" in capsys.readouterr().out
    out.mkdir()
    (out / "gone.md").write_text("a flow that was removed", encoding="utf-8")
    assert main(["flowchart", "--out", str(out)]) == 0
    assert not (out / "gone.md").exists()
    assert sorted(p.name for p in out.glob("*.md")) == sorted(
        [*(f"{f}.md" for f in CONTENT.engine.flows), "README.md"])
    assert main(["flowchart", "--check", "--out", str(out)]) == 0
