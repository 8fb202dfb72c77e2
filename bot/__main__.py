"""Command line: `python -m bot <command>` (also installed as `mysay`). Parses, then calls."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import ValidationError

from bot import cli
from bot.config import load_settings
from bot.engine.datafile import DataFileError
from bot.store.crypto import DataKeyError


def _port_from(lowest: int) -> Callable[[str], int]:
    """An argparse type: a TCP port number from `lowest` to 65535 (0 lets the system choose,
    which the webhook's tests use; the mat page's port must be a real one)."""
    def port(value: str) -> int:
        number = int(value) if value.isdigit() else -1
        if not lowest <= number <= 65535:
            raise argparse.ArgumentTypeError(f"a port is a number from {lowest} to 65535")
        return number

    return port


_port = _port_from(0)
_webapp_port = _port_from(1)


def settings_problem(error: ValidationError) -> str:
    """One sentence for settings that cannot be used: each setting's name and what is wrong
    with it, never the value given (it may be a token or a key)."""
    problems = []
    for problem in error.errors(include_input=False, include_url=False):
        name = ".".join(str(part) for part in problem.get("loc", ())) or "a setting"
        message = str(problem.get("msg", "not valid")).removeprefix("Value error, ")
        problems.append(message if message.startswith(name) else f"{name}: {message}")
    return "MySay cannot start: " + "; ".join(problems).rstrip(".") + "."


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="mysay", description="MySay: your say in your plans.")
    commands = top.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the bot (long polling, or --webhook)")
    run.add_argument("--webhook", action="store_true",
                     help="serve Telegram's webhook instead of long polling")
    run.add_argument("--listen", default="0.0.0.0",
                     help="address to listen on (webhook; default 0.0.0.0)")
    run.add_argument("--port", type=int, default=8443,
                     help="port to listen on (webhook; default 8443)")
    run.add_argument("--url", help="the public https:// address Telegram posts to (webhook)")
    run.add_argument("--webapp-port", type=_webapp_port, default=None, metavar="PORT",
                     help="polling: serve the Talking Mat page on this port too, behind your "
                          "HTTPS proxy at MYSAY_PUBLIC_URL (default: MYSAY_WEBAPP_PORT)")
    run.add_argument("--webapp-listen", default="127.0.0.1", metavar="HOST",
                     help="address the Talking Mat page listens on (default 127.0.0.1)")
    run.set_defaults(handler=cli.run)

    sandbox = commands.add_parser(
        "sandbox", help="try MySay in a web chat on this computer (no token, no internet)")
    sandbox.add_argument("--port", type=_port, default=8080,
                         help="port of the web chat on 127.0.0.1 (default 8080; 0 picks one)")
    sandbox.add_argument("--data-dir", type=Path, default=None,
                         help="folder for the sandbox database, wiped on each start "
                              "(default: <MYSAY_DATA_DIR>/sandbox, or ./sandbox-data)")
    sandbox.set_defaults(handler=cli.sandbox)

    summary = commands.add_parser("summary", help="a young person's pre-meeting summary")
    summary.add_argument("--young-person", type=int, required=True, metavar="ID",
                         help="their MySay id or Telegram user id (see: admin people)")
    summary.add_argument("--out", metavar="FILE.pdf", help="write the PDF here")
    summary.add_argument("--png", metavar="FILE.png", help="write the summary picture here")
    summary.add_argument("--text", nargs="?", const="-", metavar="FILE",
                         help="write it as text (to FILE, or to the screen)")
    summary.add_argument("--docx", nargs="?", const="", metavar="FILE.docx",
                         help="write Section A as a Word document (to FILE.docx; without a "
                              "name, next to the PDF, or here)")
    summary.add_argument("--therapist", type=int, metavar="ID",
                         help="read it as this therapist (default: their own therapist)")
    summary.set_defaults(handler=cli.summary)
    export = commands.add_parser("export", help="every shared answer, with media files")
    export.add_argument("--young-person", type=int, required=True, metavar="ID",
                        help="their MySay id or Telegram user id (see: admin people)")
    export.add_argument("--format", choices=["json"], default="json")
    export.add_argument("--out", default=".", metavar="FOLDER",
                        help="where to make the export folder (default: here)")
    export.add_argument("--therapist", type=int, metavar="ID",
                        help="export it as this therapist (default: their own therapist)")
    export.set_defaults(handler=cli.export)

    commands.add_parser(
        "routes", help="every command, button and waiting input per role, with its function"
    ).set_defaults(handler=cli.routes)
    flowchart = commands.add_parser(
        "flowchart", help="write a Mermaid diagram of each flow into docs/flows/")
    flowchart.add_argument("--out", type=Path, default=Path("docs/flows"), metavar="FOLDER",
                           help="where to write them (default: docs/flows)")
    flowchart.add_argument("--check", action="store_true",
                           help="write nothing; exit 1 if a file there is not current")
    flowchart.set_defaults(handler=cli.flowchart)

    db = commands.add_parser("db", help="database tasks").add_subparsers(dest="db", required=True)
    db.add_parser("upgrade", help="apply database migrations").set_defaults(handler=cli.db_upgrade)

    admin = commands.add_parser("admin", help="service administration")
    admin_commands = admin.add_subparsers(dest="admin", required=True)
    invite = admin_commands.add_parser("invite-therapist", help="a one-time therapist link")
    invite.add_argument("--name", required=True, help="the therapist's name, as MySay shows it")
    invite.set_defaults(handler=cli.invite_therapist)
    admin_commands.add_parser("people", help="everyone in MySay, with ids and roles"
                              ).set_defaults(handler=cli.people)
    admin_commands.add_parser("audit", help="who read or changed what, newest first"
                              ).set_defaults(handler=cli.audit)
    admin_commands.add_parser("new-key", help="print a new data key for MYSAY_DATA_KEYS"
                              ).set_defaults(handler=cli.new_key)
    admin_commands.add_parser("rotate-key", help="re-encrypt all data with the first data key"
                              ).set_defaults(handler=cli.rotate_key)
    alerts = admin_commands.add_parser("alerts", help="safety alerts, newest first")
    alerts.add_argument("--open", action="store_true", help="only alerts nobody acknowledged")
    alerts.add_argument("--words", action="store_true", help="show the young person's words")
    alerts.set_defaults(handler=cli.alerts)
    deletions = admin_commands.add_parser("deletions", help="deletion requests, newest first")
    deletions.add_argument("--confirm", type=int, metavar="REQUEST",
                           help="erase the young person of this request now")
    deletions.set_defaults(handler=cli.deletions)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = load_settings()
    except ValidationError as error:  # a setting in the environment or .env cannot be used
        print(settings_problem(error), file=sys.stderr)
        return 2
    try:
        outcome = args.handler(settings, args)
        if asyncio.iscoroutine(outcome):
            outcome = asyncio.run(outcome)
        return int(outcome or 0)
    except DataFileError as error:
        print(f"MySay cannot start: {error}", file=sys.stderr)
        return 2
    except DataKeyError:
        # Past the start-up key check (bot/store/keycheck.py): one value that no key opens.
        print("MySay cannot read a stored value: it was changed on disk, or its key is no "
              "longer in MYSAY_DATA_KEYS (or the key file).", file=sys.stderr)
        return 2
    except SystemExit as exit_:
        if isinstance(exit_.code, str):
            print(exit_.code, file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
