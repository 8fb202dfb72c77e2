"""`python -m bot routes` (bot/routemap.py): the map lists every registered route."""

from __future__ import annotations

import pkgutil
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.routemap import BUILT_IN, button_name, handler_name, load_all, render, routes
from tests.test_cli import run_cli


def test_routes_lists_every_command_button_waiting_input_and_job(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["routes"]) == 0
    out = capsys.readouterr().out
    registry = load_all()
    lines = out.splitlines()
    for (_role, name), fn in registry.commands.items():
        assert any(f"/{name} " in line and handler_name(fn) in line for line in lines), name
    for (_role, kind), fn in registry.taps.items():
        assert any(kind.__name__ in line and handler_name(fn) in line for line in lines), kind
    for kind, fn in registry.pending.items():
        assert any(kind in line and handler_name(fn) in line for line in lines), kind
    for job in registry.periodic.values():
        assert any(job.name in line and handler_name(job.fn) in line for line in lines), job
    assert len(routes(registry)) == (len(registry.commands) + len(registry.taps)
                                     + len(registry.pending) + len(registry.watchers)
                                     + len(registry.periodic) + len(BUILT_IN))
    for role in ("young_person:", "therapist:", "supporter:", "admin:"):
        assert role in lines


def test_each_role_sees_its_commands_then_its_buttons() -> None:
    found = [r for r in routes(load_all()) if r.role == "therapist"]
    kinds = [r.what for r in found]
    assert kinds == sorted(kinds, key=("command", "button").index)
    assert any(r.name == "/assign" for r in found)


def test_a_button_kind_shows_its_codec_prefix_when_it_declares_one() -> None:
    class Plain:
        pass

    class Prefixed:
        prefix = "ga:"

    assert button_name(Plain) == "Plain"
    assert button_name(Prefixed) == "Prefixed [ga:]"


def test_the_built_in_answers_name_functions_that_exist() -> None:
    for _what, where in BUILT_IN:
        if where.startswith("bot."):
            assert callable(pkgutil.resolve_name(where)), where


def test_render_is_plain_text_with_a_heading_per_role() -> None:
    text = render(routes(load_all()))
    assert text.startswith("MySay routes") and text.endswith("\n")


def test_python_m_bot_routes_runs_without_a_database_or_token(tmp_path: Path) -> None:
    # PYTHONPATH: this checkout's bot/, whichever folder the command runs in.
    result = run_cli("routes", tmp_path=tmp_path, MYSAY_DATA_KEYS=None,
                     PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    assert result.returncode == 0, result.stderr
    assert "/menu" in result.stdout and "RunTap" in result.stdout
    assert not list(tmp_path.rglob("*.db")) and not list(tmp_path.rglob("*.sqlite*"))
