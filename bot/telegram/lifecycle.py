"""Starting and stopping the Application inside an event loop someone else runs (the webhook
server, the sandbox, tests), the way Application.run_polling does on its own."""

from __future__ import annotations

import asyncio
import signal
import sys
import threading
from typing import TYPE_CHECKING

from telegram.ext import Application

from bot.telegram.polling import POLLER, SafePoller

if TYPE_CHECKING:
    from bot.webapp.server import PageServer

POLL_TIMEOUT = 10  # whole seconds a getUpdates call waits for news (Bot API: an Integer)
# The update types MySay handles, in both modes (the rest are never sent to us).
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "channel_post",
                   "my_chat_member"]


async def start_embedded(application: Application, *, poll_timeout: int | None = None,
                         allowed_updates: list[str] | None = None) -> None:
    """Initialise, run post_init and start. With `poll_timeout` (seconds), also long-poll for
    updates, confirming each to Telegram only once it is handled (bot.telegram.polling)."""
    await application.initialize()
    if application.post_init is not None:
        await application.post_init(application)
    await application.start()
    if poll_timeout is not None:
        poller = SafePoller(application, timeout=poll_timeout,
                            allowed_updates=allowed_updates or ALLOWED_UPDATES)
        application.bot_data[POLLER] = poller
        await poller.start()


async def stop_embedded(application: Application) -> None:
    """Stop in order whatever had started: polling (updates in hand finish first), then the
    Application."""
    poller: SafePoller | None = application.bot_data.pop(POLLER, None)
    if poller is not None:
        await poller.stop()
    if application.running:
        await application.stop()
    if application.post_stop is not None:
        await application.post_stop(application)
    await application.shutdown()
    # If initialize() never finished (a signal or a refused token at start), shutdown() above
    # did nothing, but the bot's HTTP sessions may be open; closing them twice is harmless.
    await application.bot.shutdown()
    if application.post_shutdown is not None:
        await application.post_shutdown(application)


async def serve_polling(application: Application, poll_timeout: int = POLL_TIMEOUT,
                        page: PageServer | None = None,
                        stop: asyncio.Event | None = None) -> None:
    """`python -m bot run` without --webhook: long-poll until SIGTERM or SIGINT (or `stop` is
    set), then stop in order. Takes the built Application, the long-poll wait in seconds, and
    the Talking Mat page's own server (`run --webapp-port`), which listens first (a port in
    use stops everything before Telegram is asked anything) and stops first (requests in hand
    finish while the bot still runs). A signal during start-up (Telegram unreachable) stops
    it too. Raises InvalidToken if Telegram refuses the token, at start or later (polling
    then ends by itself), and PagePortError if the page's server cannot listen."""
    if page is not None:
        await page.start()
    if stop is None:
        stop = asyncio.Event()
        stop_on_signals(stop)
    stopped = asyncio.create_task(stop.wait())
    failure: BaseException | None = None
    try:
        starting = asyncio.create_task(start_embedded(application, poll_timeout=poll_timeout))
        await asyncio.wait([starting, stopped], return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():
            starting.cancel()
        await asyncio.wait([starting])
        if starting.cancelled():
            return
        starting.result()  # what start-up raised, if anything
        poller: SafePoller = application.bot_data[POLLER]
        assert poller.task is not None
        await asyncio.wait([poller.task, stopped], return_when=asyncio.FIRST_COMPLETED)
        if poller.task.done() and not poller.task.cancelled():
            failure = poller.task.exception()
    finally:
        stopped.cancel()
        if page is not None:
            await page.stop()
        await stop_embedded(application)
    if failure is not None:
        raise failure


def stop_on_signals(stop: asyncio.Event) -> None:
    """SIGTERM (a service manager) and SIGINT (Ctrl+C) set `stop`. Only the main thread of a
    Unix process can take signals this way; elsewhere the caller's own stop is the only one."""
    if sys.platform == "win32" or threading.current_thread() is not threading.main_thread():
        return
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
