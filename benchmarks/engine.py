"""The engine against the skeleton outreach (`benchmarks.skeleton`), both started by the real detection on the
same dev server, each on a worker process of its own:

  detection → pending    outreaches per second from the detection's start until all wait for a decision
  worker memory          resident bytes per waiting outreach
  approve                the round trip over HTTP: the product's endpoint against the skeleton's Update
  history                events and bytes of one journey, from detection to sent
"""

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from benchmarks.measure import Result, median, percentile
from benchmarks.stack import Api, Process
from demo.bulk import seed_bulk
from models.messages import ActionStatus, DetectionInput
from models.tables import ProposedAction
from workflows.detection import DetectionWorkflow

DEADLINE = 600.0
POLL = 0.05


@dataclass
class Side:
    """The product or the skeleton: its worker, its task queue, and how to count its waiting outreaches."""

    name: str
    worker: Process
    task_queue: str
    count: Callable[[str, ActionStatus], Awaitable[int]]


async def until(
    what: str, probe: Callable[[], Awaitable[bool]], *processes: Process, seconds: float = DEADLINE
) -> None:
    deadline = time.monotonic() + seconds
    while not await probe():
        for process in processes:
            process.check_alive()
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {seconds:.0f}s waiting for {what}")
        await asyncio.sleep(POLL)  # poll


def product_side(engine: Engine, worker: Process, task_queue: str) -> Side:
    async def count(location_id: str, status: ActionStatus) -> int:
        with Session(engine) as session:
            query = select(func.count()).where(
                col(ProposedAction.location_id) == location_id, col(ProposedAction.status) == status
            )
            return session.exec(query).one()

    return Side("product", worker, task_queue, count)


def skeleton_side(client: Client, worker: Process, task_queue: str) -> Side:
    async def count(location_id: str, status: ActionStatus) -> int:
        query = f'LocationId = "{location_id}" AND OutreachStatus = "{status.value}"'
        return (await client.count_workflows(query)).count

    return Side("skeleton", worker, task_queue, count)


async def detect(
    client: Client, engine: Engine, side: Side, location_id: str, outreaches: int, deadline: float = DEADLINE
) -> tuple[float, int]:
    """Seconds from the detection's start until `outreaches` outreaches wait for a decision, and the worker's
    growth in resident bytes meanwhile."""
    seed_bulk(
        engine, location_id, outreaches + 1, invoices_per_customer=1, overdue_every=1, opted_out_every=outreaches + 1
    )  # fmt: skip  (customer 0 opts out: `outreaches` situations)
    before = side.worker.rss_bytes()
    started = time.perf_counter()
    await client.start_workflow(
        DetectionWorkflow.run, DetectionInput(location_id=location_id), id=f"detection-{location_id}",
        task_queue=side.task_queue,
    )  # fmt: skip

    async def waiting() -> bool:
        return await side.count(location_id, ActionStatus.pending) >= outreaches

    await until(f"{outreaches} {side.name} outreaches of {location_id} to wait", waiting, side.worker, seconds=deadline)
    return time.perf_counter() - started, side.worker.rss_bytes() - before


async def waiting_ids(client: Client, location_id: str, limit: int) -> list[str]:
    query = f'LocationId = "{location_id}" AND OutreachStatus = "pending"'
    return [execution.id async for execution in client.list_workflows(query, limit=limit)]


async def journey_history(client: Client, workflow_id: str) -> tuple[int, int]:
    """Events and bytes of a journey that has reached `sent` and waits for a reply."""
    handle = client.get_workflow_handle(workflow_id)

    async def settled() -> bool:
        events = (await handle.fetch_history()).events
        upserted = [
            event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
            for event in events
            if event.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
        ]
        statuses = [json.loads(fields["OutreachStatus"].data) for fields in upserted if "OutreachStatus" in fields]
        return ActionStatus.sent.value in statuses and events[-1].event_type == EventType.EVENT_TYPE_TIMER_STARTED

    await until(f"{workflow_id} to be sent and wait for a reply", settled)
    events = (await handle.fetch_history()).events
    return len(events), sum(event.ByteSize() for event in events)


async def bench_engine(
    client: Client,
    engine: Engine,
    api: Api,
    product: Side,
    skeleton: Side,
    *,
    rounds: int,
    outreaches: int,
    approves: int,
) -> list[Result]:
    for side in (product, skeleton):  # warm-up: every module loaded, every pool and thread started
        await detect(client, engine, side, f"bench-{side.name}-warm-up", min(outreaches, 50))
    rate: dict[str, list[float]] = {"product": [], "skeleton": []}
    memory: dict[str, list[float]] = {"product": [], "skeleton": []}
    p50: dict[str, list[float]] = {"product": [], "skeleton": []}
    p95: dict[str, list[float]] = {"product": [], "skeleton": []}
    for round in range(rounds):
        locations = {side.name: f"bench-{side.name}-{round}" for side in (product, skeleton)}
        for side in (product, skeleton):
            seconds, grown = await detect(client, engine, side, locations[side.name], outreaches)
            rate[side.name].append(outreaches / seconds)
            memory[side.name].append(grown / outreaches)
        chosen = {side.name: await waiting_ids(client, locations[side.name], approves) for side in (product, skeleton)}
        latencies: dict[str, list[float]] = {"product": [], "skeleton": []}
        for product_id, skeleton_id in zip(chosen["product"], chosen["skeleton"], strict=True):
            for name, path in (("product", f"/api/inbox/{product_id}/approve"),
                               ("skeleton", f"/bench/skeleton/{skeleton_id}/approve")):  # fmt: skip
                started = time.perf_counter()
                await asyncio.to_thread(api.call, "POST", path, {})
                latencies[name].append((time.perf_counter() - started) * 1000)
        for name, values in latencies.items():
            p50[name].append(percentile(values, 0.5))
            p95[name].append(percentile(values, 0.95))
    product_events, product_bytes = await journey_history(client, chosen["product"][0])
    skeleton_events, skeleton_bytes = await journey_history(client, chosen["skeleton"][0])
    return [
        Result(f"detection → pending, {outreaches:,} outreaches", median(rate["product"]), median(rate["skeleton"]),
               unit="/s", goal=0.9, higher_is_better=True),
        Result("worker memory per waiting outreach", median(memory["product"]) / 1024,
               median(memory["skeleton"]) / 1024, unit="KiB", goal=1.2),
        Result("approve round trip over HTTP, p50", median(p50["product"]), median(p50["skeleton"]), unit="ms",
               goal=1.2),
        Result("approve round trip over HTTP, p95", median(p95["product"]), median(p95["skeleton"]), unit="ms",
               goal=1.2),
        Result("history of one journey, events", product_events, skeleton_events, unit="", goal=1.2),
        Result("history of one journey, bytes", product_bytes, skeleton_bytes, unit="B", goal=2.0),
    ]  # fmt: skip
