"""Decisions under load, across processes, as production runs them: PostgreSQL, two API processes and two worker
processes on one task queue, and every one of 100 waiting proposals approved through both APIs at once (200
concurrent decisions) while one worker is SIGKILLed mid-batch. No decision answers a server error — a decision
waits for its workflow without holding a pooled connection — each proposal has exactly one winner (the other
request answers 409), no email reaches the (fake) provider twice and none is lost (a send the kill cut off before
the provider took it waits for the provider's word, as designed), and `/healthz` answers within a second
throughout. `make load` runs it (about a minute; not part of `make test`)."""

import asyncio
import os
import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from temporalio.client import Client

from agents.scan import scan_page, start_scan
from benchmarks.stack import Process
from models.messages import ActionStatus, Channel, DeliveryStatus, OutreachInput
from models.operators import create_operator
from models.tables import Delivery, ProposedAction
from tests.conftest import free_port, poll, process_env
from tests.factories import add_customer, add_invoice, add_location, policy
from tests.fakes.sendgrid_server import API_KEY, FakeSendGrid, fake_sendgrid
from workflows.outreach import OutreachWorkflow

PROPOSALS = 100
LOCATION = "load"
HEALTH_SECONDS = 1.0


@pytest.fixture
def sendgrid() -> Iterator[FakeSendGrid]:
    with fake_sendgrid() as fake:
        yield fake


def waiting_outreaches(engine: Engine) -> list[OutreachInput]:
    """An overdue invoice for each of PROPOSALS customers, as the detection would find them."""
    add_location(engine, LOCATION)
    for n in range(PROPOSALS):
        add_customer(engine, f"load-c{n}", location_id=LOCATION, email=f"member{n}@load.example")
        add_invoice(engine, f"LOAD-{n}", f"load-c{n}", due=date.today() - timedelta(days=10), location_id=LOCATION)
    chosen = policy(engine, LOCATION, channel=Channel.ai_email, daily_max=10 * PROPOSALS)
    with Session(engine) as session:
        scan = start_scan(session, LOCATION, chosen, datetime.now(UTC))
        assert scan is not None
        patterns = scan_page(session, scan, None, 2 * PROPOSALS, 0).patterns
    assert len(patterns) == PROPOSALS
    return [OutreachInput(pattern=pattern, policy=chosen) for pattern in patterns]


def awaiting_confirmation(engine: Engine, sendgrid: FakeSendGrid) -> set[str]:
    """Proposals whose send was cut off by the kill before the provider took the email: their delivery row waits
    for SendGrid's word (its events) before a person is asked, and is never sent blindly again."""
    taken = {mail["custom_args"]["action_id"] for mail in sendgrid.accepted}
    stale = datetime.now(UTC) - timedelta(seconds=30)
    with Session(engine) as session:
        rows = session.exec(select(Delivery).where(col(Delivery.location_id) == LOCATION,
                                                   col(Delivery.status) == DeliveryStatus.sending)).all()  # fmt: skip
    return {
        str(row.proposed_action_id) for row in rows if row.proposed_action_id not in taken and row.created_at < stale
    }


def statuses(engine: Engine) -> Counter[ActionStatus]:
    with Session(engine) as session:
        rows = session.exec(select(ProposedAction).where(col(ProposedAction.location_id) == LOCATION)).all()
        return Counter(row.status for row in rows)


@pytest.mark.load
async def test_concurrent_decisions_across_processes_have_one_winner_and_one_delivery_each(
    engine: Engine, database_url: str, temporal: Client, sendgrid: FakeSendGrid, tmp_path: Path
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the pool of a real database server, as production has (make load runs PostgreSQL only)")
    task_queue = f"load-{uuid.uuid4()}"
    token = create_operator(engine, name="Load admin", email="admin@load.example", location_ids=[], is_admin=True)
    env = process_env(
        temporal, database_url, task_queue,
        OUTREACH_SENDGRID_API_KEY=API_KEY, OUTREACH_SENDGRID_API_URL=sendgrid.base_url,
        OUTREACH_SENDGRID_WEBHOOK_PUBLIC_KEY=sendgrid.public_key,
    )  # fmt: skip
    ports = [free_port(), free_port()]
    # SendGrid's signed `processed` events prove an email went out when the worker that sent it died mid-send.
    sendgrid.events_to = f"http://127.0.0.1:{ports[0]}/webhooks/sendgrid/events"
    workers = [Process(f"worker-{n}", ["-m", "worker"], env, tmp_path) for n in range(2)]
    apis = [
        Process(f"api-{n}", ["-m", "cli", "api", "--host", "127.0.0.1", "--port", str(port)], env, tmp_path)
        for n, port in enumerate(ports)
    ]
    signed = {"Authorization": f"Bearer {token}"}
    many = httpx.Limits(max_connections=PROPOSALS)
    clients = [
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{p}", headers=signed, timeout=120, limits=many) for p in ports
    ]
    tasks: list[asyncio.Task[None]] = []
    decided = threading.Event()
    try:
        for http, api in zip(clients, apis, strict=True):

            async def serving(http: httpx.AsyncClient = http, api: Process = api) -> bool:
                api.check_alive()
                try:
                    return (await http.get("/healthz")).status_code == 200
                except httpx.TransportError:
                    return False

            await poll(serving, f"the {api.name} to serve", seconds=60)
        inputs = waiting_outreaches(engine)
        for outreach in inputs:
            await temporal.start_workflow(OutreachWorkflow.run, outreach, id=f"outreach-{uuid.uuid4()}",
                                          task_queue=task_queue)  # fmt: skip

        async def all_pending() -> bool:
            return statuses(engine)[ActionStatus.pending] == PROPOSALS

        await poll(all_pending, "every proposal to wait for a decision", seconds=180)
        with Session(engine) as session:
            ids = list(session.exec(select(ProposedAction.id).where(col(ProposedAction.location_id) == LOCATION)))

        health: list[float] = []

        def watch_health() -> None:
            # A monitor of its own, as a load balancer's is: its probes queue behind neither this test's requests
            # (its event loop, its connections) nor each other.
            with httpx.Client(timeout=30) as probe:
                while not decided.wait(0.1):  # a monitor's probe interval, not a wait for an effect
                    for port in ports:
                        started = time.perf_counter()
                        answer = probe.get(f"http://127.0.0.1:{port}/healthz")
                        health.append(time.perf_counter() - started)
                        assert answer.status_code == 200, answer.text

        answers: dict[str, list[int]] = {action_id: [] for action_id in ids}
        errors: list[str] = []

        async def approve(http: httpx.AsyncClient, action_id: str) -> None:
            answer = await http.post(f"/api/inbox/{action_id}/approve", json={})
            answers[action_id].append(answer.status_code)
            if answer.status_code >= 500:
                errors.append(f"{action_id}: {answer.status_code} {answer.text[:200]}")

        async def kill_a_worker_mid_batch() -> None:
            async def some_sent() -> bool:
                return len(sendgrid.accepted) >= PROPOSALS // 5

            await poll(some_sent, "the first emails to go out", seconds=180)
            os.kill(workers[0].pid, signal.SIGKILL)

        monitor = asyncio.create_task(asyncio.to_thread(watch_health))
        tasks.append(monitor)
        await asyncio.gather(kill_a_worker_mid_batch(),
                             *(approve(http, action_id) for action_id in ids for http in clients))  # fmt: skip

        async def settled() -> bool:
            workers[1].check_alive()
            return statuses(engine)[ActionStatus.sent] + len(awaiting_confirmation(engine, sendgrid)) == PROPOSALS

        await poll(settled, "every approved email to be sent, or to wait for its provider's word", seconds=240)
        decided.set()
        await monitor
    finally:
        decided.set()
        for task in tasks:
            task.cancel()
        for http in clients:
            await http.aclose()
        for process in (*apis, *workers):
            process.__exit__()

    assert not errors, "\n".join(errors)
    assert all(sorted(codes) == [200, 409] for codes in answers.values()), Counter(map(tuple, answers.values()))
    taken = Counter(mail["custom_args"]["action_id"] for mail in sendgrid.accepted)
    unconfirmed = awaiting_confirmation(engine, sendgrid)
    assert set(taken.values()) == {1}, taken  # never twice
    assert set(taken) | unconfirmed == set(ids) and not set(taken) & unconfirmed  # never lost
    print(
        f"\nload: {2 * PROPOSALS} decisions on 2 APIs, a worker killed mid-batch: {len(taken)} emails taken once "
        f"each, {len(unconfirmed)} awaiting the provider's word; /healthz max {max(health):.3f}s over "
        f"{len(health)} probes"
    )
    assert max(health) < HEALTH_SECONDS
