"""A worker killed mid-send loses nothing and sends nothing twice.

Each round starts three auto-executed outreaches on a real worker process (`python -m worker`) against the
fake SendGrid and Twilio: an email, a call whose text message is held, and a call that is itself held. Once
the providers have taken all three — the email, one call, one text — and before they answer, the worker is
killed with SIGKILL. A new worker takes over: Temporal retries each send after its heartbeat timeout, each
retry finds its `sending` row and asks the provider (SendGrid's `processed` event, Twilio's call and message
lists) instead of sending again. Every message must then have reached the provider exactly once.

`make test` runs one round; `make chaos` runs OUTREACH_CHAOS_ROUNDS=20 and prints the totals.
"""

import os
import signal
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from temporalio.client import Client

from agents.scan import scan_page, start_scan
from benchmarks.stack import Process
from models.messages import ActionStatus, ApproveRequest, Channel, OutreachInput
from models.tables import ProposedAction
from settings import Settings
from tests.conftest import PORTAL_SECRET, REPLY_SECRET, poll, process_env, served_api
from tests.factories import add_customer, add_invoice, add_location, policy
from tests.fakes.sendgrid_server import API_KEY, Answer, FakeSendGrid, fake_sendgrid
from tests.fakes.twilio_server import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, FakeTwilio, fake_twilio
from workflows.outreach import OutreachWorkflow

# What it tests is a worker process killed mid-send, not the database: SQLite in `make test` (see the marker).
pytestmark = pytest.mark.one_database

ROUNDS = int(os.environ.get("OUTREACH_CHAOS_ROUNDS", "1"))


@pytest.fixture
def sendgrid() -> Iterator[FakeSendGrid]:
    with fake_sendgrid() as fake:
        yield fake


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with fake_twilio() as fake:
        yield fake


def outreaches(engine: Engine, location_id: str) -> list[OutreachInput]:
    """An email to one customer, a call to each of two others."""
    add_location(engine, location_id, voice_enabled=True)  # no business hours: calls go out at once
    for n, (email, mobile) in enumerate([("mail@chaos.example", None), (None, "+31611111111"),
                                         (None, "+31622222222")]):  # fmt: skip
        customer = f"{location_id}-c{n}"
        add_customer(engine, customer, location_id=location_id, email=email, mobile_phone=mobile)
        add_invoice(engine, f"{location_id}-INV-{n}", customer, due=date.today() - timedelta(days=10),
                    location_id=location_id)  # fmt: skip
    inputs = []
    for channel in (Channel.ai_email, Channel.voice):
        chosen = policy(engine, location_id, channel=channel)
        with Session(engine) as session:
            scan = start_scan(session, location_id, chosen, datetime.now(UTC))
            assert scan is not None
            patterns = scan_page(session, scan, None, 10, 0).patterns
        reachable = [p for p in patterns if (p.customer_email if channel is Channel.ai_email else p.customer_mobile)]
        inputs += [OutreachInput(pattern=pattern, policy=chosen) for pattern in reachable]
    return inputs


async def pending(engine: Engine, location_id: str) -> bool:
    with Session(engine) as session:
        statuses = session.exec(select(ProposedAction.status).where(col(ProposedAction.location_id) == location_id))
        return [status for status in statuses] == [ActionStatus.pending] * 3


async def test_a_worker_killed_mid_send_loses_and_duplicates_nothing(
    engine: Engine, database_url: str, temporal: Client, sendgrid: FakeSendGrid, twilio: FakeTwilio, tmp_path: Path
) -> None:
    task_queue = f"chaos-{uuid.uuid4()}"
    settings = Settings(data_dir=tmp_path, DATABASE_URL=database_url, sendgrid_api_key=API_KEY,
                        sendgrid_api_url=sendgrid.base_url, sendgrid_webhook_public_key=sendgrid.public_key,
                        reply_token_secret=REPLY_SECRET, portal_link_secret=PORTAL_SECRET,
                        task_queue=task_queue)  # fmt: skip
    # The API receives SendGrid's Event Webhook: its `processed` events prove an email went out.
    async with served_api(settings, engine, temporal) as api_url:
        sendgrid.events_to = f"{api_url}/webhooks/sendgrid/events"
        env = process_env(
            temporal, database_url, task_queue,
            OUTREACH_SENDGRID_API_KEY=API_KEY, OUTREACH_SENDGRID_API_URL=sendgrid.base_url,
            OUTREACH_TWILIO_ACCOUNT_SID=ACCOUNT_SID, OUTREACH_TWILIO_AUTH_TOKEN=AUTH_TOKEN,
            OUTREACH_TWILIO_FROM_NUMBER=FROM_NUMBER, OUTREACH_TWILIO_API_URL=twilio.base_url,
            OUTREACH_PUBLIC_BASE_URL=api_url,
        )  # fmt: skip
        lost = duplicated = 0
        worker = Process("worker", ["-m", "worker"], env, tmp_path)
        try:
            for round in range(ROUNDS):
                location_id = f"chaos-{round}"
                inputs = outreaches(engine, location_id)
                sendgrid.script = [Answer(hold=True)]
                sendgrid.taken, sendgrid.release, twilio.release = (
                    threading.Event(),
                    threading.Event(),
                    threading.Event(),
                )
                twilio.hold_texts_to, twilio.hold_calls_to, twilio.held = {"+31611111111"}, {"+31622222222"}, []
                twilio.calls.clear()
                twilio.messages.clear()
                handles = [await temporal.start_workflow(OutreachWorkflow.run, input, id=f"outreach-{uuid.uuid4()}",
                                                         task_queue=task_queue) for input in inputs]  # fmt: skip
                await poll(partial(pending, engine, location_id), "the three proposals to wait for a decision")
                # Approved as an operator would; the calls' script holds a link, so each call sends a text too.
                for handle, input in zip(handles, inputs, strict=True):
                    script = "Your invoice is overdue; pay it at https://pay.example/inv today." if (
                        input.policy.channel is Channel.voice) else None  # fmt: skip
                    await handle.execute_update(OutreachWorkflow.approve, ApproveRequest(voice_script=script))

                async def all_taken(alive: Process = worker) -> bool:
                    alive.check_alive()
                    return sendgrid.taken.is_set() and len(twilio.held) == 2

                await poll(all_taken, "the providers to take the email, a call and a text", seconds=120)
                os.kill(worker.pid, signal.SIGKILL)
                worker.popen.wait()
                sendgrid.release.set()
                twilio.release.set()
                worker = Process("worker", ["-m", "worker"], env, tmp_path)

                async def all_sent(alive: Process = worker, location_id: str = location_id) -> bool:
                    alive.check_alive()
                    with Session(engine) as session:
                        statuses = session.exec(select(ProposedAction.status).where(
                            col(ProposedAction.location_id) == location_id)).all()  # fmt: skip
                    return len(statuses) == 3 and all(status is ActionStatus.sent for status in statuses)

                await poll(all_sent, "every outreach to be sent by the new worker", seconds=180)
                mails = [m for m in sendgrid.accepted if m["custom_args"]["location_id"] == location_id]
                calls, texts = [c["to"] for c in twilio.calls], [t["to"] for t in twilio.messages]
                numbers = ("+31611111111", "+31622222222")
                seen = {"mail": len(mails), **{f"calls:{to}": calls.count(to) for to in numbers},
                        **{f"texts:{to}": texts.count(to) for to in numbers}}  # fmt: skip
                expected = dict.fromkeys(seen, 1)
                lost += sum(max(0, expected[key] - seen[key]) for key in expected)
                duplicated += sum(max(0, seen[key] - expected[key]) for key in expected)
        finally:
            worker.__exit__()
        print(f"\nchaos: {ROUNDS} round(s), worker killed mid-send each time: {lost} lost, {duplicated} duplicated")
        assert (lost, duplicated) == (0, 0)
