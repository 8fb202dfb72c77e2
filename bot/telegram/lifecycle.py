"""Starting and stopping the Application inside an event loop someone else runs (the webhook
server, the sandbox, tests), the way Application.run_polling does on its own."""

from __future__ import annotations

import asyncio
import signal
import sys
import threading

from telegram.ext import Application

# The update types MySay handles, in both modes (the rest are never sent to us).
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "channel_post",
                   "my_chat_member"]


async def start_embedded(application: Application, *, poll_timeout: float | None = None,
                         allowed_updates: list[str] | None = None) -> None:
    """Initialise, run post_init and start. With `poll_timeout`, also long-poll for updates."""
    await application.initialize()
    if application.post_init is not None:
        await application.post_init(application)
    if poll_timeout is not None:
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0.0, timeout=poll_timeout,
                                                allowed_updates=allowed_updates or ALLOWED_UPDATES)
    await application.start()


async def stop_embedded(application: Application) -> None:
    """The end of Application.run_polling, for whatever had started."""
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    if application.post_stop is not None:
        await application.post_stop(application)
    await application.shutdown()
    if application.post_shutdown is not None:
        await application.post_shutdown(application)


def stop_on_signals(stop: asyncio.Event) -> None:
    """SIGTERM (a service manager) and SIGINT (Ctrl+C) set `stop`. Only the main thread of a
    Unix process can take signals this way; elsewhere the caller's own stop is the only one."""
    if sys.platform == "win32" or threading.current_thread() is not threading.main_thread():
        return
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
