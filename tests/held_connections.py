"""Watches a served API for the request that waits on the workflow service while it holds a pooled database
connection: under a burst, such requests drain the pool and every other request queues behind a worker. Each
request runs in its own context; the pool's check-outs and check-ins say which context holds which connection, and
a client interceptor sees every call to the workflow service."""

import contextvars
import itertools
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event
from starlette.types import ASGIApp, Receive, Scope, Send
from temporalio import client as temporal

_request: contextvars.ContextVar[int | None] = contextvars.ContextVar("request", default=None)
_numbers = itertools.count(1)

# Every call a request can make to the workflow service (the rest are the worker's or the CLI's).
_CALLS = ("start_workflow", "signal_workflow", "start_workflow_update", "start_update_with_start_workflow",
          "query_workflow", "describe_workflow", "cancel_workflow", "terminate_workflow", "create_schedule",
          "update_schedule", "delete_schedule", "trigger_schedule", "describe_schedule")  # fmt: skip


class HeldConnections(temporal.Interceptor):
    def __init__(self, engine: Engine) -> None:
        self.offences: list[str] = []
        self._holders: dict[int, int | None] = {}  # connection record → request (None: outside any)
        event.listen(engine, "checkout", self._checked_out)
        event.listen(engine, "checkin", self._checked_in)

    def served(self, app: ASGIApp) -> ASGIApp:
        """The app, each of whose requests runs in a context of its own."""

        async def numbered(scope: Scope, receive: Receive, send: Send) -> None:
            token = _request.set(next(_numbers)) if scope["type"] in ("http", "websocket") else None
            try:
                await app(scope, receive, send)
            finally:
                if token is not None:
                    _request.reset(token)

        return numbered

    def intercept_client(self, next: temporal.OutboundInterceptor) -> temporal.OutboundInterceptor:
        watch = self

        class Watched(temporal.OutboundInterceptor):
            pass

        def watched(name: str) -> Callable[..., Any]:
            async def call(self: temporal.OutboundInterceptor, input: Any) -> Any:
                watch._calling(name, input)
                return await getattr(self.next, name)(input)

            return call

        for name in _CALLS:
            setattr(Watched, name, watched(name))
        return Watched(next)

    def _checked_out(self, _connection: Any, record: Any, _proxy: Any) -> None:
        self._holders[id(record)] = _request.get()

    def _checked_in(self, _connection: Any, record: Any) -> None:
        self._holders.pop(id(record), None)

    def _calling(self, name: str, input: Any) -> None:
        request = _request.get()
        if request is not None and request in self._holders.values():
            self.offences.append(f"{name} {getattr(input, 'id', '')} while holding a database connection")
