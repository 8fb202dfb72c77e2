"""The command line, run as a real process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.paths import flows_dir
from tests.conftest import DATA_KEY


def run_cli(*args: str, tmp_path: Path, prefix: Sequence[str] = (),
            **env: str | None) -> subprocess.CompletedProcess[str]:
    """`python -m bot *args` in tmp_path, with only the settings given (None: left unset;
    prefix: a command that runs it, such as setpriv)."""
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("TELEGRAM_", "MYSAY_", "DATABASE_URL"))}
    given = {"MYSAY_DATA_DIR": str(tmp_path / "data"), "MYSAY_DATA_KEYS": DATA_KEY, **env}
    clean.update({k: v for k, v in given.items() if v is not None})
    return subprocess.run([*prefix, sys.executable, "-m", "bot", *args], cwd=tmp_path, env=clean,
                          capture_output=True, text=True, timeout=60, check=False)


def test_run_without_a_token_says_how_to_get_one(tmp_path: Path) -> None:
    result = run_cli("run", tmp_path=tmp_path)
    assert result.returncode == 2
    assert "@BotFather" in result.stderr and "TELEGRAM_BOT_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_invite_therapist_prints_a_link_and_the_code(tmp_path: Path) -> None:
    result = run_cli("admin", "invite-therapist", "--name", "Sam Example", tmp_path=tmp_path,
                     MYSAY_BOT_USERNAME="MySayTestBot")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    code = next(line.split(": ", 1)[1] for line in lines if line.startswith("code: "))
    assert f"https://t.me/MySayTestBot?start={code}" in lines
    assert len(code) >= 22


def test_db_upgrade_and_people(tmp_path: Path) -> None:
    assert run_cli("db", "upgrade", tmp_path=tmp_path).returncode == 0
    assert (tmp_path / "data" / "mysay.sqlite3").exists()
    people = run_cli("admin", "people", tmp_path=tmp_path)
    assert people.returncode == 0 and "mysay id" in people.stdout



@pytest.mark.parametrize("broken", ["bad heading", "no flow files"])
def test_a_flows_folder_that_cannot_be_used_is_one_sentence_and_exit_2(
        tmp_path: Path, broken: str) -> None:
    """MYSAY_FLOWS_DIR is the operator's: a bad `heading:` or an empty folder stops start-up
    with one sentence naming the file (or folder), never a traceback, before any data is made."""
    folder = tmp_path / "flows"
    if broken == "bad heading":
        shutil.copytree(flows_dir(), folder)
        check_in = folder / "check_in.yaml"
        text = check_in.read_text()
        assert "heading: good_days" in text
        check_in.write_text(text.replace("heading: good_days", "heading: feelings", 1))
        expected = "MySay cannot start: check_in.yaml: heading"
    else:
        folder.mkdir()
        expected = f"MySay cannot start: no flow files (*.yaml) in {folder}"
    result = run_cli("run", tmp_path=tmp_path, MYSAY_FLOWS_DIR=str(folder),
                     TELEGRAM_BOT_TOKEN="123:abc")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(expected), result.stderr
    assert "feelings" in lines[0] or broken != "bad heading"
    assert not (tmp_path / "data").exists()
