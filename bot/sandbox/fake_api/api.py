"""`FakeBotAPI`: the fake Telegram, put together from its parts.

Each part is a mixin over the one shared `TelegramState`, split by what a reader looks for:
`server` (HTTP), `methods` (the Bot API methods), `simulation` (the people's side, for tests),
`faults` (misbehaving on purpose) and `files`.
"""

from __future__ import annotations

from bot.sandbox.fake_api.methods import BotMethodsMixin
from bot.sandbox.fake_api.records import Validator
from bot.sandbox.fake_api.server import ServerMixin
from bot.sandbox.fake_api.simulation import SimulationMixin


class FakeBotAPI(ServerMixin, BotMethodsMixin, SimulationMixin):
    """An in-memory Telegram Bot API server for local runs, tests and the sandbox chat."""

    def __init__(
        self,
        token: str,
        bot_username: str = "MySayTestBot",
        bot_id: int | None = None,
        validator: Validator | None = None,
    ) -> None:
        """Takes the bot's token (its numeric prefix is the bot's id unless `bot_id` is given)
        and an optional spec `validator` run on every request (problems go to `violations`)."""
        super().__init__(token, bot_username, bot_id, validator)
        self._methods = self._method_table()
        self._method_names = {name.lower(): name for name in self._methods}
