"""Command line: `python -m bot <command>` (also installed as `mysay`). Parses, then calls."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from bot import cli
from bot.config import load_settings
from bot.engine.datafile import DataFileError


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="mysay", description="MySay: your say in your plans.")
    commands = top.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the bot (long polling against Telegram)")
    run.set_defaults(handler=cli.run)

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
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = load_settings()
        outcome = args.handler(settings, args)
        if asyncio.iscoroutine(outcome):
            outcome = asyncio.run(outcome)
        return int(outcome or 0)
    except DataFileError as error:
        print(f"MySay cannot start: {error}", file=sys.stderr)
        return 2
    except SystemExit as exit_:
        if isinstance(exit_.code, str):
            print(exit_.code, file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
