"""A long call in a thread (a mailbox read, a model's answer) still tells Temporal the worker is alive."""

import asyncio
import threading
from typing import Any

from temporalio.testing import ActivityEnvironment

from activities.heartbeats import beating
from tests.conftest import poll


async def test_a_call_blocked_in_a_thread_keeps_beating_until_it_returns() -> None:
    release = threading.Event()
    beats: list[tuple[Any, ...]] = []
    environment = ActivityEnvironment()
    environment.on_heartbeat = lambda *details: beats.append(details)

    async def long_call() -> str:
        async with beating("reading INBOX"):
            await asyncio.to_thread(release.wait, 60)
        return "read"

    call = asyncio.create_task(environment.run(long_call))

    async def beat() -> bool:
        return bool(beats)

    await poll(beat, "a heartbeat while the call is blocked")
    assert not call.done() and beats[0] == ("reading INBOX",)
    release.set()
    assert await call == "read"
