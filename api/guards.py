"""What the API refuses before any route runs: request bodies over the size limit (413, before they are
read) and NUL characters in the path or query (422: no database stores them, and PostgreSQL refuses them)."""

import json

from fastapi import HTTPException
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodySizeLimit:
    """Refuses a body larger than `max_bytes` (or, under a path prefix of `larger`, that prefix's limit: an
    inbound mail may carry attachments): at once when its declared length says so, else as soon as the bytes
    received pass the limit, so an oversized body is never read whole."""

    def __init__(self, app: ASGIApp, max_bytes: int, larger: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = larger or {}

    def _limit(self, path: str) -> int:
        return next((limit for prefix, limit in self.larger.items() if path.startswith(prefix)), self.max_bytes)

    @staticmethod
    def _too_large(limit: int) -> HTTPException:
        return HTTPException(
            413,
            detail=f"The request body is larger than {limit:,} bytes; send less (an email body is at "
            "most 100,000 characters).",
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            error = self._too_large(limit)
            await send(
                {
                    "type": "http.response.start",
                    "status": error.status_code,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": json.dumps({"detail": error.detail}).encode()})
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise self._too_large(limit)  # inside the route's body read: answered by the app's error handling
            return message

        await self.app(scope, counted, send)


async def refuse_nul(request: HTTPConnection) -> None:
    texts = [request.url.path, *(part for item in request.query_params.multi_items() for part in item)]
    if any("\x00" in text for text in texts):
        raise HTTPException(
            422,
            detail="The path or a query parameter contains a NUL character (%00); remove it.",
        )


# The web app's pages load only their own scripts and styles, are never framed by another site (clickjacking),
# and are never kept by a browser or proxy cache: they show customers' data.
WEB_APP_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'",
    ),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
    (b"referrer-policy", b"same-origin"),
    (b"x-content-type-options", b"nosniff"),
]


class WebAppHeaders:
    """Adds `WEB_APP_HEADERS` to every answer under `prefix` (the web app), whatever route or error made it."""

    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not (scope["path"] + "/").startswith(self.prefix + "/"):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in WEB_APP_HEADERS}
                kept = [(name, value) for name, value in message.get("headers", []) if name.lower() not in names]
                message = {**message, "headers": [*kept, *WEB_APP_HEADERS]}
            await send(message)

        await self.app(scope, receive, with_headers)
