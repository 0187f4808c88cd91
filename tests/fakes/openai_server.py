"""A local server speaking the OpenAI chat-completions wire protocol, so litellm runs for real in tests.
Each request takes the next scripted reply: a message content, function calls, an HTTP status, or a stall.

Its `dialect` makes it refuse what common self-hosted servers refuse (llama.cpp's, and others like it):
- "auto_only": `tool_choice` other than "auto" or "none" (400);
- "grammar": a function schema with a constraint its grammar builder cannot build (maxLength and the like, or a
  $ref) (500);
- "content_required": an assistant message whose content is null (400)."""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


@dataclass
class Reply:
    content: str = ""
    status: int = 200
    stall_seconds: float = 0.0
    calls: list[tuple[str, str]] = field(default_factory=list)  # (function name, arguments as the model wrote them)


def call(name: str, arguments: str | dict[str, Any] | None = None) -> Reply:
    """A reply that calls one function; arguments given as a string go out as written (malformed, say)."""
    written = arguments if isinstance(arguments, str) else json.dumps(arguments or {})
    return Reply(calls=[(name, written)])


@dataclass
class FakeOpenAI:
    base_url: str
    script: list[Reply] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    dialect: set[str] = field(default_factory=set)


_UNBUILDABLE = ('"maxLength"', '"minLength"', '"pattern"', '"$ref"', '"maximum"', '"minimum"')


def _refusal(fake: FakeOpenAI, asked: dict[str, Any]) -> JSONResponse | None:
    """What a server of the fake's dialect says to the request, if it refuses it."""
    choice = asked.get("tool_choice")
    if "auto_only" in fake.dialect and choice not in (None, "auto", "none"):
        return _error(400, f"tool_choice {json.dumps(choice)} is not supported; only 'auto' and 'none' are")
    if "grammar" in fake.dialect and any(word in json.dumps(asked.get("tools", [])) for word in _UNBUILDABLE):
        return _error(500, "failed to parse grammar: unsupported schema keyword")
    nulls = [m for m in asked.get("messages", []) if m.get("role") == "assistant" and m.get("content") is None]
    if "content_required" in fake.dialect and nulls:
        return _error(400, "assistant message content must be a string")
    return None


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": "invalid_request_error", "code": str(status)}},
                        status_code=status)  # fmt: skip


def _app(fake: FakeOpenAI) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> JSONResponse:
        asked = await request.json()
        fake.requests.append(asked)
        if refused := _refusal(fake, asked):
            return refused
        reply = fake.script.pop(0) if fake.script else Reply(status=500)
        if reply.stall_seconds:
            # A model that does not answer: hold the request until the client has long given up.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.Event().wait(), reply.stall_seconds)
        if reply.status != 200:
            error = {"message": f"scripted {reply.status}", "type": "server_error", "code": str(reply.status)}
            return JSONResponse({"error": error}, status_code=reply.status)
        message: dict[str, Any] = {"role": "assistant", "content": reply.content or None}
        if reply.calls:
            message["tool_calls"] = [
                {"id": f"call_{len(fake.requests)}_{n}", "type": "function",
                 "function": {"name": name, "arguments": arguments}}
                for n, (name, arguments) in enumerate(reply.calls)
            ]  # fmt: skip
        return JSONResponse(
            {
                "id": f"chatcmpl-{len(fake.requests)}",
                "object": "chat.completion",
                "created": 1_700_000_000,
                "model": "gpt-4o-mini",
                "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if reply.calls else "stop"}],
                "usage": {"prompt_tokens": 420, "completion_tokens": 180, "total_tokens": 600},
            }
        )

    return app


@asynccontextmanager
async def fake_openai(port: int) -> AsyncIterator[FakeOpenAI]:
    fake = FakeOpenAI(base_url=f"http://127.0.0.1:{port}/v1")
    server = uvicorn.Server(uvicorn.Config(_app(fake), host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)  # poll: uvicorn reports readiness only through this flag
    try:
        yield fake
    finally:
        server.should_exit = True
        await serving
