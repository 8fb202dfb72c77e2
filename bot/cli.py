"""What each command-line command does (bot/__main__.py only parses)."""

from __future__ import annotations

import argparse
import asyncio
import logging

from cryptography.fernet import Fernet
from telegram import Bot
from telegram.error import TelegramError

from bot.app import MissingToken, build_application
from bot.config import Settings
from bot.logs import setup_logging
from bot.render.pool import tune_memory
from bot.services import (
    BOT_USERNAME_FACT,
    check_data,
    load_content,
    open_database,
    ready_database,
)
from bot.store import repo
from bot.store.models import InvitationKind
from bot.telegram import lifecycle, webhook
from bot.timeutil import as_utc
from bot.webapp import server as mat_page

log = logging.getLogger(__name__)


def _secrets(settings: Settings) -> list[str]:
    token = settings.telegram_bot_token
    keys = settings.data_keys.get_secret_value().split(",") if settings.data_keys else []
    return ([token.get_secret_value()] if token else []) + [k.strip() for k in keys]


def run(settings: Settings, args: argparse.Namespace) -> int:
    if settings.telegram_bot_token is None:
        raise MissingToken()
    hook = webhook.options_for(settings, listen=args.listen, port=args.port, url=args.url) \
        if getattr(args, "webhook", False) else None
    page_port = _webapp_port(settings, args, hook is not None)
    setup_logging(settings.log_level, [*_secrets(settings), *([hook.secret] if hook else [])])
    # Broken flow files or a broken MYSAY_SYMBOLS_DIR stop us here, before any network.
    content = load_content(settings.flows_dir, settings.symbols_dir)
    check_data(settings)  # a wrong data key or unwritable database: one sentence, exit 2
    tune_memory()  # freed picture canvases go back to the system (bot.render.pool)
    application = build_application(settings, content)
    if hook is not None:
        webhook.run(application, hook)
    else:
        page = None
        if page_port is not None:  # the Talking Mat page's own server (issue 16)
            app = mat_page.page_app(mat_page.page_prefix(settings), lambda: application)
            page = mat_page.PageServer(app, getattr(args, "webapp_listen", "127.0.0.1"),
                                       page_port)
        asyncio.run(lifecycle.serve_polling(application, page=page))
    return 0


def _webapp_port(settings: Settings, args: argparse.Namespace, webhook_mode: bool) -> int | None:
    """The port of the Talking Mat page's own server in polling mode (`--webapp-port`, else
    MYSAY_WEBAPP_PORT), or None: no such server (webhook mode serves the page itself). Raises
    SystemExit with one sentence when MYSAY_PUBLIC_URL is set in polling mode without one
    (the page's button would lead nowhere) or a webapp port without it (no button would ever
    lead to the page), and PagePortError when the address cannot be listened on."""
    given = getattr(args, "webapp_port", None)
    port = given if given is not None else settings.webapp_port
    if webhook_mode:  # the webhook's own server serves the page: a webapp port has no use
        return None
    if port is None and settings.public_url:
        raise SystemExit("MYSAY_PUBLIC_URL is set, so the Talking Mat page needs a server: in "
                         "polling mode give --webapp-port (or MYSAY_WEBAPP_PORT) and put it "
                         "behind your HTTPS proxy, or use --webhook.")
    if port is not None and not settings.public_url:
        raise SystemExit("A webapp port is given but MYSAY_PUBLIC_URL is not, so no chat "
                         "button would ever lead to the Talking Mat page: set MYSAY_PUBLIC_URL "
                         "to its https:// address, or leave out --webapp-port and "
                         "MYSAY_WEBAPP_PORT.")
    if port is not None:  # a port in use: one sentence now, before anything starts
        mat_page.check_address(getattr(args, "webapp_listen", "127.0.0.1"), port)
    return port


def sandbox(settings: Settings, args: argparse.Namespace) -> int:
    """A local Bot API, the real bot and a phone-like web chat: no token, no internet."""
    from bot.sandbox import web  # only this command needs the web chat

    setup_logging(settings.log_level, [*_secrets(settings), web.SANDBOX_TOKEN])
    data_dir = args.data_dir or web.default_data_dir(settings)

    def announce(url: str) -> None:
        print(f"MySay sandbox is ready: {url}", flush=True)
        print("Open it in a browser. Play Jo (young person), Sam (therapist) or Alex (parent).")
        print(f"Everything stays on this computer, in {data_dir}, and starts fresh each time.")
        print("Press Ctrl+C to stop.", flush=True)

    try:
        asyncio.run(web.serve(settings, port=args.port, data_dir=data_dir, announce=announce))
    except KeyboardInterrupt:
        pass  # Ctrl+C before the signal handlers were in place
    return 0


async def db_upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    await (await ready_database(settings)).dispose()  # migrates, then checks keys and writing
    print("Database is up to date.")
    return 0


async def _bot_username(settings: Settings) -> str | None:
    if settings.bot_username:
        return settings.bot_username
    db = open_database(settings)
    try:
        async with db.transaction() as session:
            known = await repo.get_fact(session, BOT_USERNAME_FACT)
    finally:
        await db.dispose()
    if known or settings.telegram_bot_token is None:
        return known
    try:
        async with Bot(settings.telegram_bot_token.get_secret_value(),
                       base_url=settings.telegram_api_base_url) as bot:
            return bot.username
    except TelegramError:
        return None


async def invite_therapist(settings: Settings, args: argparse.Namespace) -> int:
    db = await ready_database(settings)
    try:
        async with db.transaction() as session:
            code = await repo.create_invitation(session, kind=InvitationKind.THERAPIST,
                                                days=settings.invitation_days, label=args.name)
            repo.audit(session, None, "therapist_invited")
    finally:
        await db.dispose()
    username = await _bot_username(settings)
    if username:
        print(f"https://t.me/{username}?start={code}")
    else:
        print("(Set MYSAY_BOT_USERNAME, or run the bot once, to get a full link.)")
    print(f"code: {code}")
    print(f"Works once, for {settings.invitation_days} days. Send it to {args.name} privately.")
    return 0


async def people(settings: Settings, _args: argparse.Namespace) -> int:
    db = await ready_database(settings)
    try:
        async with db.transaction() as session:
            rows = await repo.all_people(session)
            print(f"{'mysay id':>8}  {'telegram id':>12}  {'role':<13} name")
            for person in rows:
                print(f"{person.id:>8}  {person.telegram_user_id:>12}  {person.role:<13} "
                      f"{person.display_name}")
    finally:
        await db.dispose()
    return 0


async def audit(settings: Settings, _args: argparse.Namespace) -> int:
    db = await ready_database(settings)
    try:
        async with db.transaction() as session:
            for entry in await repo.audit_entries(session):
                print(f"{as_utc(entry.at):%Y-%m-%d %H:%M:%S}  actor={entry.actor_id}  "
                      f"{entry.action}  subject={entry.subject_id}  {entry.detail}")
    finally:
        await db.dispose()
    return 0


async def rotate_key(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.safety import admin  # privacy and safeguarding tasks live with their feature

    return await admin.rotate_key(settings)


async def alerts(settings: Settings, args: argparse.Namespace) -> int:
    from bot.safety import admin

    return await admin.list_alerts(settings, only_open=args.open, words=args.words)


async def deletions(settings: Settings, args: argparse.Namespace) -> int:
    from bot.safety import admin

    return await admin.deletions(settings, confirm=args.confirm)


async def summary(settings: Settings, args: argparse.Namespace) -> int:
    from bot.summary import desk  # the PDF library loads only for this command

    return await desk.summary(settings, args)


async def export(settings: Settings, args: argparse.Namespace) -> int:
    from bot.summary import desk

    return await desk.export(settings, args)


def new_key(_settings: Settings, _args: argparse.Namespace) -> int:
    print(Fernet.generate_key().decode())
    return 0


def routes(_settings: Settings, _args: argparse.Namespace) -> int:
    """Print every command, button kind, waiting input and job, per role, with the function
    that answers it (bot/routemap.py). Needs no database and no token."""
    from bot import routemap

    print(routemap.render(routemap.routes(routemap.load_all())), end="")
    return 0


def flowchart(_settings: Settings, args: argparse.Namespace) -> int:
    """Write a Mermaid diagram of each flow into args.out (docs/flows/), or with args.check
    only say which files are not current and return 1 (bot/flowchart.py)."""
    from bot import flowchart as charts

    flows = load_content().engine.flows
    if args.check:
        stale = charts.differences(args.out, flows)
        for name in stale:
            print(f"{args.out / name} is not current")
        if stale:
            print("Run `python -m bot flowchart` from the repository root, then commit.")
        return 1 if stale else 0
    changed = charts.write(args.out, flows)
    print(f"{len(changed)} of the files in {args.out} changed" if changed
          else f"{args.out} is current")
    return 0
