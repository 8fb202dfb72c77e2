"""Logging that never prints the bot token (or anything that looks like one)."""

from __future__ import annotations

import logging
import re
import sys
import threading
from types import TracebackType

from telegram.error import InvalidToken

_TOKEN_SHAPE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")


class RedactSecrets(logging.Filter):
    """Replaces known secrets, and anything shaped like a bot token, in every log record."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        # A bot token's secret half is a secret on its own (it can show up URL-quoted).
        halves = [s.split(":", 1)[1] for s in secrets if s and ":" in s]
        self._secrets = sorted({s for s in [*secrets, *halves] if s and len(s) >= 8},
                               key=len, reverse=True)

    def _clean(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[token]")
        return _TOKEN_SHAPE.sub("[token]", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = self._clean(message), None
        if record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        if record.stack_info:
            record.stack_info = self._clean(record.stack_info)
        return True


def setup_logging(level: str, secrets: list[str]) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # httpx logs every request URL, and Telegram URLs carry the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    # aiosqlite's debug lines print SQL parameters (Telegram ids): never, even at DEBUG.
    logging.getLogger("aiosqlite").setLevel(max(logging.INFO, root.level))
    # Whatever escapes (a crash at start-up, a warning) goes through the same filter:
    # python-telegram-bot puts the token in its InvalidToken message.
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread


def _log_uncaught(kind: type[BaseException], error: BaseException,
                  trace: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, trace)
        return
    if issubclass(kind, InvalidToken):
        logging.getLogger("bot").critical(
            "Telegram did not accept the bot token. Check TELEGRAM_BOT_TOKEN "
            "(@BotFather can show it again, or make a new one).")
        return
    logging.getLogger("bot").critical("MySay stopped", exc_info=(kind, error, trace))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is not None:
        _log_uncaught(args.exc_type, args.exc_value, args.exc_traceback)
