"""A wrong data key, or a database this process cannot write, stops MySay before it starts
(issue 11, point 2): `python -m bot run` (polling and --webhook) and every command that reads
data say one sentence naming the setting to fix and exit 2, with no traceback. The check
value (bot/store/keycheck.py) is written on first start, survives key rotation, and is never
written for a database the keys given cannot open."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import LargeBinary, bindparam, make_url, update

from bot.config import Settings
from bot.services import DataSetupError, Services, ready_database
from bot.store import crypto, keycheck, repo
from bot.store.models import Person
from tests.conftest import DATA_KEY, TEST_TOKEN, _admin
from tests.store.test_privacy_encryption import some_values
from tests.test_cli import run_cli

WRONG_KEY = Fernet.generate_key().decode()
# Every command that reads the data, with arguments it accepts.
DATA_COMMANDS = [
    ["admin", "people"], ["admin", "audit"], ["admin", "alerts", "--words"],
    ["admin", "deletions"], ["admin", "rotate-key"], ["admin", "invite-therapist", "--name", "X"],
    ["summary", "--young-person", "42", "--text"], ["export", "--young-person", "42"],
    ["db", "upgrade"],
]
# Nothing listens here: a bot that got past the check would fail on the network instead.
NOWHERE = "http://127.0.0.1:9/bot"


def cli(settings: Settings, *args: str, keys: str | None = DATA_KEY,
        prefix: tuple[str, ...] = (), **env: str | None) -> subprocess.CompletedProcess[str]:
    """The real command line, on the test's database, with these data keys (None: the key
    file in the data folder)."""
    tmp = Path(settings.data_dir).parent
    return run_cli(*args, tmp_path=tmp, prefix=prefix, MYSAY_DATA_KEYS=keys,
                   DATABASE_URL=settings.resolved_database_url,
                   MYSAY_DATA_DIR=str(settings.data_dir), **env)


def refused(result: subprocess.CompletedProcess[str], setting: str, *,
            run: bool = False) -> str:
    """Assert the process stopped with exit 2 and one sentence naming `setting` (for `run`,
    after its INFO log lines, and before it reached Telegram); return the sentence."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    if run:  # `run` logs at INFO before it checks (the migration's lines); nothing else
        assert all(" INFO " in line for line in lines[:-1]), result.stderr
        assert "MySay is running" not in result.stderr
    else:
        assert len(lines) == 1, result.stderr
    assert setting in lines[-1] and lines[-1].startswith("MySay cannot"), lines[-1]
    return lines[-1]


def run_args(webhook: bool) -> list[str]:
    """`run`'s arguments, polling or serving a webhook on a free local port."""
    if not webhook:
        return ["run"]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return ["run", "--webhook", "--listen", "127.0.0.1", "--port", str(port),
            "--url", "https://mysay.example.invalid/hook"]


async def canary(services: Services) -> str | None:
    """The stored check value, as written (None if there is none yet)."""
    async with services.db.transaction() as session:
        return await repo.get_fact(session, keycheck.CANARY_FACT)


# --- a wrong key -------------------------------------------------------------------------------


async def test_a_database_from_before_the_check_refuses_a_wrong_key_everywhere(
        services: Services, settings: Settings) -> None:
    """Upgraded from before the check: no check value yet, so the stored values decide."""
    await some_values(services)
    for command in DATA_COMMANDS:
        refused(cli(settings, *command, keys=WRONG_KEY), "MYSAY_DATA_KEYS")
    assert await canary(services) is None  # the wrong key was not blessed
    assert cli(settings, "admin", "people").returncode == 0  # the right one writes it
    written = await canary(services)
    assert written is not None
    assert crypto.Keyring.from_string(DATA_KEY).decrypt(written.encode()) == \
        keycheck.CANARY_PLAINTEXT


@pytest.mark.parametrize("webhook", [False, True], ids=["polling", "webhook"])
async def test_run_refuses_a_wrong_key_before_it_polls_or_serves(
        services: Services, settings: Settings, webhook: bool) -> None:
    assert cli(settings, "db", "upgrade").returncode == 0  # a database with its check value
    result = cli(settings, *run_args(webhook), keys=WRONG_KEY, TELEGRAM_BOT_TOKEN=TEST_TOKEN,
                 TELEGRAM_API_BASE_URL=NOWHERE)
    refused(result, "MYSAY_DATA_KEYS", run=True)


async def test_an_empty_database_gets_the_check_value_so_a_later_wrong_key_is_refused(
        services: Services, settings: Settings) -> None:
    """Nothing encrypted yet: only the check value can tell the keys apart."""
    assert cli(settings, "db", "upgrade").returncode == 0
    refused(cli(settings, "admin", "audit", keys=WRONG_KEY), "MYSAY_DATA_KEYS")


async def test_a_wrong_key_file_is_refused_naming_the_file(
        services: Services, settings: Settings) -> None:
    await some_values(services)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    (settings.data_dir / crypto.KEY_FILE_NAME).write_text(WRONG_KEY + "\n")
    sentence = refused(cli(settings, "admin", "people", keys=None), "MYSAY_DATA_DIR")
    assert crypto.KEY_FILE_NAME in sentence


async def test_a_malformed_key_is_one_sentence(services: Services, settings: Settings) -> None:
    refused(cli(settings, "admin", "people", keys="not-a-key"), "MYSAY_DATA_KEYS")


async def test_a_value_no_key_opens_later_on_is_one_sentence(
        services: Services, settings: Settings) -> None:
    """Past the start-up check (a value changed on disk): still no traceback."""
    person_id = await some_values(services)
    assert cli(settings, "db", "upgrade").returncode == 0
    stranger = crypto.Keyring.from_string(WRONG_KEY).encrypt(b"Jo")
    async with services.db.transaction() as session:
        await session.execute(update(Person).where(Person.id == person_id).values(
            {"display_name": bindparam("v", stranger, type_=LargeBinary)}))
    refused(cli(settings, "admin", "people"), "MYSAY_DATA_KEYS")


# --- key rotation ------------------------------------------------------------------------------


async def test_the_check_value_follows_key_rotation(
        services: Services, settings: Settings) -> None:
    await some_values(services)
    assert cli(settings, "admin", "people").returncode == 0  # check value under the old key
    new = Fernet.generate_key().decode()
    # A new key in front, the old one still listed: everything opens, before rotation too.
    assert cli(settings, "admin", "people", keys=f"{new},{DATA_KEY}").returncode == 0
    rotated = cli(settings, "admin", "rotate-key", keys=f"{new},{DATA_KEY}")
    assert rotated.returncode == 0, rotated.stdout + rotated.stderr
    assert cli(settings, "admin", "people", keys=new).returncode == 0  # the old key can go
    refused(cli(settings, "admin", "people", keys=DATA_KEY), "MYSAY_DATA_KEYS")


# --- a database this process cannot write ----------------------------------------------------


@pytest.fixture
def unprivileged() -> Iterator[tuple[str, ...]]:
    """A prefix that runs the command without root's power to write any file (root ignores
    file permissions); nothing if the tests do not run as root."""
    if os.geteuid() != 0:
        yield ()
        return
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: file permissions would not apply")
    yield ("setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner", "--")


@pytest.mark.parametrize("webhook", [None, False, True], ids=["cli", "polling", "webhook"])
@pytest.mark.parametrize("read_only", ["file", "folder"])
def test_a_sqlite_database_it_cannot_write_is_one_sentence(
        tmp_path: Path, unprivileged: tuple[str, ...], read_only: str,
        webhook: bool | None) -> None:
    data = tmp_path / "data"
    assert run_cli("db", "upgrade", tmp_path=tmp_path).returncode == 0
    target = data / "mysay.sqlite3" if read_only == "file" else data
    target.chmod(0o444 if read_only == "file" else 0o555)
    try:
        args = ["admin", "people"] if webhook is None else run_args(webhook)
        result = run_cli(*args, tmp_path=tmp_path, prefix=unprivileged,
                         TELEGRAM_BOT_TOKEN=TEST_TOKEN, TELEGRAM_API_BASE_URL=NOWHERE)
    finally:
        target.chmod(0o700)
    sentence = refused(result, "MYSAY_DATA_DIR", run=webhook is not None)
    assert "mysay.sqlite3" in sentence


def test_a_data_folder_it_cannot_make_is_one_sentence(
        tmp_path: Path, unprivileged: tuple[str, ...]) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    try:
        result = run_cli("admin", "people", tmp_path=tmp_path, prefix=unprivileged,
                         MYSAY_DATA_DIR=str(locked / "data"))
        key_file = run_cli("admin", "people", tmp_path=tmp_path, prefix=unprivileged,
                           MYSAY_DATA_DIR=str(locked / "data"), MYSAY_DATA_KEYS=None)
    finally:
        locked.chmod(0o700)
    refused(result, "MYSAY_DATA_DIR")
    refused(key_file, "MYSAY_DATA_DIR")


# PostgreSQL only (SQLite has its own tests above): no SQLite run to skip.
@pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)
async def test_a_postgresql_database_it_cannot_write_is_one_sentence(
        services: Services, settings: Settings) -> None:
    assert cli(settings, "db", "upgrade").returncode == 0
    name = make_url(settings.resolved_database_url).database
    await services.db.dispose()
    await _admin([f"ALTER DATABASE {name} SET default_transaction_read_only = on"])
    sentence = refused(cli(settings, "admin", "people"), "DATABASE_URL")
    assert "read-only" in sentence


# --- in the process ----------------------------------------------------------------------------


async def test_ready_database_refuses_before_anything_is_read(settings: Settings) -> None:
    """The function `run` and every command call (bot/services.py)."""
    await (await ready_database(settings)).dispose()
    wrong = settings.model_copy(update={"data_keys": SecretStr(WRONG_KEY)})
    with pytest.raises(DataSetupError) as stopped:
        await ready_database(wrong)
    assert "MYSAY_DATA_KEYS" in str(stopped.value.code)
