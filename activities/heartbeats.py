"""Beating while a long call runs (a model's answer, a mailbox read): the call itself cannot beat, and a worker
that dies in the middle of it must be noticed within the activity's heartbeat timeout, not at its end."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from temporalio import activity

# Well within every heartbeat timeout the workflows set.
EVERY_SECONDS = 5.0


@asynccontextmanager
async def beating(*details: Any) -> AsyncIterator[None]:
    """Heartbeat with `details` until the block ends."""
    beats = asyncio.create_task(_beat(details))
    try:
        yield
    finally:
        beats.cancel()


async def _beat(details: tuple[Any, ...]) -> None:
    while True:
        activity.heartbeat(*details)
        await asyncio.sleep(EVERY_SECONDS)
