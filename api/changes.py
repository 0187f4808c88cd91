"""Changes pushed to whoever watches a conversation (server-sent events): the API's stream for any client, and the
web app's, which sends the conversation's page part that changed. The worker writes the timeline in another
process, so this process learns of a change by reading the conversation's version — one indexed query — every
second, and pushes only when it moved. A stream lasts a few minutes and says when to come back: the browser's
EventSource reconnects by itself, and a stopping server is never held up for long by its watchers."""

import asyncio
import time
from collections.abc import AsyncIterator

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from api.queries import of_conversation
from models.tables import Conversation, TimelineEntry

EVERY = 1.0  # seconds between two reads of the version
LASTING = 300.0  # seconds a stream lasts before the client comes back for another
RETRY_MS = 1000  # how soon the client comes back
KEEP_ALIVE = 15.0  # seconds between two comments on a quiet stream, so no proxy takes it for dead


def version(engine: Engine, conversation_id: str) -> str | None:
    """What moves when anything on the conversation's page does: its status, who answers, its timeline's entries.
    None: there is no such conversation."""
    with Session(engine) as session:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None:
            return None
        entries = select(func.count(), func.max(col(TimelineEntry.at))).where(
            of_conversation(TimelineEntry, conversation.proposed_action_id, conversation.id)
        )
        count, last = session.exec(entries).one()
        return f"{conversation.status.value}/{conversation.taken_over_by or 'ai'}/{count}/{last}"


async def versions(engine: Engine, conversation_id: str) -> AsyncIterator[str | None]:
    """The conversation's version at once, then each time it moves, for `LASTING` seconds; None between them when
    the stream has been quiet for `KEEP_ALIVE` seconds."""
    started = quiet_since = time.monotonic()
    seen: object = object()  # nothing sent yet
    while time.monotonic() - started < LASTING:
        now = await run_in_threadpool(version, engine, conversation_id)
        if now != seen:
            seen, quiet_since = now, time.monotonic()
            yield now
        elif time.monotonic() - quiet_since >= KEEP_ALIVE:
            quiet_since = time.monotonic()
            yield None
        await asyncio.sleep(EVERY)


def event(name: str, data: str) -> str:
    """One server-sent event; every line of its data on a `data:` line of its own."""
    lines = "".join(f"data: {line}\n" for line in data.splitlines() or [""])
    return f"event: {name}\n{lines}\n"


START = f"retry: {RETRY_MS}\n\n"
# No cache or proxy keeps the stream back; nginx buffers responses unless told not to.
HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
KEPT_ALIVE = ": still here\n\n"
