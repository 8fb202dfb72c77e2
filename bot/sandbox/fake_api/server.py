"""The HTTP side of the fake: serving on the loopback interface, reading each request, running
the Bot API method (or an injected fault) and answering like Telegram's servers."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.sandbox.fake_api.faults import FILE_DOWNLOAD, FaultsMixin
from bot.sandbox.fake_api.files import MAX_UPLOAD_BYTES
from bot.sandbox.fake_api.params import Call, maybe_json
from bot.sandbox.fake_api.records import RecordedRequest, UploadedFile
from bot.sandbox.fake_api.wire import BotAPIError, bad

_LOG = logging.getLogger("bot.sandbox.fake_api")  # the name it always had


class ServerMixin(FaultsMixin):
    """Server lifecycle and HTTP handlers of `FakeBotAPI`."""

    # Bot API method name -> handler; FakeBotAPI fills it from BotMethodsMixin._method_table.
    _methods: dict[str, Callable[[Call], Any]]
    _method_names: dict[str, str]

    # ----------------------------------------------------------------- server lifecycle

    @property
    def base_url(self) -> str:
        """Value for `ApplicationBuilder.base_url` (PTB appends the token and method)."""
        return f"http://{self.host}:{self._require_port()}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for `ApplicationBuilder.base_file_url`."""
        return f"http://{self.host}:{self._require_port()}/file/bot"

    def _require_port(self) -> int:
        if self.port is None:
            raise RuntimeError("FakeBotAPI is not started")
        return self.port

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve on host:port (port 0 picks a free port, see `.port`). Loopback only."""
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("FakeBotAPI only listens on the loopback interface")
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_file)
        self._closing = False
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        self.host = "127.0.0.1" if host == "localhost" else host
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """End pending long polls and shut the server down."""
        self._closing = True
        self._wake(self._update_waiters)
        self._wake(self._request_waiters)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ------------------------------------------------------------------- HTTP handlers

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(BotAPIError(401, "Unauthorized").body(), status=401)
        raw_method = request.match_info["method"]
        method = self._method_names.get(raw_method.lower(), raw_method)
        try:
            params, files = await self._read_params(request)
        except BotAPIError as error:
            return web.json_response(error.body(), status=error.status)
        record = RecordedRequest(method, params, files, time.time())
        self.requests.append(record)
        self._validate(record)
        status, body = await self._answer(record)
        record.status, record.response = status, body
        self._wake(self._request_waiters)
        if status == 0:
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=500)
        return web.json_response(body, status=status)

    async def _answer(self, record: RecordedRequest) -> tuple[int, Any]:
        """Run one call; (0, None) means 'drop the connection'."""
        try:
            fault = self._take_fault(record.method)
            if fault is not None:
                record.fault_injected = True
                if fault.delay:
                    await asyncio.sleep(fault.delay)
                if fault.drop_connection:
                    return 0, None
                if fault.status >= 400:
                    params = {"retry_after": fault.retry_after} if fault.retry_after else None
                    raise BotAPIError(fault.status, fault.description, params)
            handler = self._methods.get(record.method)
            if handler is None:
                raise BotAPIError(404, "Not Found: method not found")
            result = handler(Call(record))
            if inspect.isawaitable(result):
                result = await result
            return 200, {"ok": True, "result": result}
        except BotAPIError as error:
            return error.status, error.body()
        except Exception as error:  # a bug in the fake: answer like a server error
            _LOG.exception("FakeBotAPI failed on %s", record.method)
            return 500, BotAPIError(500, f"Internal Server Error: {error}").body()

    async def _read_params(
        self, request: web.Request
    ) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
        params: dict[str, Any] = {k: maybe_json(k, v) for k, v in request.query.items()}
        files: dict[str, UploadedFile] = {}
        if not request.can_read_body:
            return params, files
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad("can't parse JSON body") from None
            if not isinstance(body, dict):
                raise bad("JSON body must be an object")
            params.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    files[key] = UploadedFile(value.file.read(), value.filename,
                                              value.content_type)
                else:
                    params[key] = maybe_json(key, str(value))
        return params, files

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(BotAPIError(401, "Unauthorized").body(), status=401)
        fault = self._take_fault(FILE_DOWNLOAD)
        if fault is not None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.status >= 400:
                return web.json_response(BotAPIError(fault.status, fault.description).body(),
                                         status=fault.status)
        path = request.match_info["file_path"]
        stored = next((f for f in self.files.values() if f.file_path == path), None)
        if stored is None:
            return web.json_response(BotAPIError(404, "Not Found").body(), status=404)
        return web.Response(body=stored.data,
                            content_type=stored.mime_type or "application/octet-stream")

    def _validate(self, record: RecordedRequest) -> None:
        if self.validator is None:
            return
        try:
            problems = self.validator(record.method, record.params, record.files)
        except Exception as error:
            problems = [f"validator raised {error!r}"]
        self.violations.extend(f"{record.method}: {problem}" for problem in problems)
