"""Detection at scale (`make scale`, kept out of `make test`): a location with 100,000 customers and
1,000,000 invoices is scanned page by page in bounded memory, every detection history stays small,
and a re-run starts no duplicates."""

import time
import tracemalloc
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session
from temporalio.client import Client
from temporalio.worker import Worker

from activities.detection import DetectionActivities
from agents.scan import PAGE_SIZE, scan_page, start_scan
from demo.bulk import seed_bulk
from models.messages import DetectionInput
from tests.conftest import start_dev_server
from tests.factories import LOCATION_ID, policy
from workflows.detection import DetectionWorkflow

pytestmark = pytest.mark.scale

CUSTOMERS = 100_000
INVOICES_PER_CUSTOMER = 10
# Every other customer has an overdue invoice (50,000 patterns, a tenth of them opted out): enough
# pages that detection must continue-as-new to keep its history small.
OVERDUE_EVERY = 2


def seed(engine: Engine) -> int:
    return seed_bulk(
        engine, LOCATION_ID, CUSTOMERS, invoices_per_customer=INVOICES_PER_CUSTOMER, overdue_every=OVERDUE_EVERY
    )


@pytest.fixture
async def temporal() -> AsyncIterator[Client]:
    """A dev server of this run's own: tens of thousands of parked outreaches stay with it."""
    env = await start_dev_server()
    yield env.client
    await env.shutdown()


async def test_detection_of_100k_customers_is_bounded_and_never_duplicates(
    temporal: Client, engine: Engine, database_url: str
) -> None:
    started_at = time.monotonic()
    expected = seed(engine)
    print(f"\n[{database_url.split(':')[0]}] seeded {CUSTOMERS:,} customers and "
          f"{CUSTOMERS * INVOICES_PER_CUSTOMER:,} invoices in {time.monotonic() - started_at:.0f}s")  # fmt: skip

    # Memory: the scan holds one page at a time, however large the location.
    tracemalloc.start()
    started_at = time.monotonic()
    found, cursor = 0, None
    with Session(engine) as session:
        scan = start_scan(session, LOCATION_ID, policy(engine), datetime.now(UTC))
        assert scan is not None
        while True:
            page = scan_page(session, scan, cursor, PAGE_SIZE, found)
            found += len(page.patterns)
            cursor = page.next_cursor
            if cursor is None:
                break
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"scanned {found:,} patterns in {time.monotonic() - started_at:.1f}s, peak memory {peak / 2**20:.1f} MiB")
    assert found == expected
    assert peak < 64 * 2**20

    # Histories: detection continues-as-new, so no run's history grows past a few thousand events.
    # Only detection runs here: the outreaches it starts wait on a queue nobody polls, which is all we need.
    task_queue = f"scale-{uuid.uuid4()}"
    detection = DetectionActivities(engine, temporal, outreach_task_queue=f"{task_queue}-outreaches")
    async with Worker(
        temporal,
        task_queue=task_queue,
        workflows=[DetectionWorkflow],
        activities=[detection.load_agent_policies, detection.find_patterns, detection.start_outreaches],
        activity_executor=ThreadPoolExecutor(4),
    ):
        for run in ("first", "second"):
            started_at = time.monotonic()
            handle = await temporal.start_workflow(
                DetectionWorkflow.run, DetectionInput(location_id=LOCATION_ID), id=f"detection-{run}",
                task_queue=task_queue,
            )  # fmt: skip
            result = await handle.result()
            lengths = [
                len((await temporal.get_workflow_handle(execution.id, run_id=execution.run_id).fetch_history()).events)
                async for execution in temporal.list_workflows(f'WorkflowId = "detection-{run}"')
            ]
            print(f"{run} run: started {result.started:,}, existing {result.existing:,}, "
                  f"{len(lengths)} runs, longest history {max(lengths):,} events, "
                  f"{time.monotonic() - started_at:.0f}s")  # fmt: skip
            assert len(lengths) > 1, "detection should have continued as new"
            assert max(lengths) < 3_000
            if run == "first":
                assert (result.started, result.existing) == (expected, 0)
            else:
                assert (result.started, result.existing) == (0, expected)
