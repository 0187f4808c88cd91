"""A live call against a bare WebSocket echo on the same uvicorn:

  voice turn    from the customer's last word (a `prompt` with `last: true`) to the first `text` token of the
                answer, with the offline engine: the relay, the conversation's update, the AI turn and its tools
                (each an activity), p50 and p95
  baseline      the same prompt to an endpoint that answers it with one token and nothing else

Calls of four different questions each (the same question twice in a conversation would be handed to the
team), one after the other, each the call of a renewal outreach of its own at Austin, to a customer with a mobile
number.
"""

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from html import escape

import websockets
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from temporalio.client import Client
from temporalio.testing import ActivityEnvironment

from activities.channels.voice import VoiceActivities
from activities.db import DbActivities
from agents.policy import agent_policy
from agents.scan import scan_page, start_scan
from api.webhooks.relay import connection
from benchmarks.measure import Result, percentile
from benchmarks.stack import Api
from call_simulator import RelayCall
from domain.ids import conversation_id
from models.messages import (
    ActionStatus,
    AgentType,
    CallRequest,
    Channel,
    ConversationInput,
    Draft,
    OutreachState,
    Pattern,
    ProposalRecord,
    Sender,
    StatusChange,
    TimelineEvent,
)
from models.tables import AgentConfig, Delivery, Location
from providers.voice import SandboxVoice
from workflows.conversation import ConversationWorkflow

LOCATION = "atx"
QUESTIONS = (
    "Can I bring guests to the space?",
    "What other plans do you have?",
    "Are you a real person or a bot?",
    "Could you send me the link again?",
)


def renewal_by_phone(engine: Engine) -> Pattern:
    """A renewal due at Austin, for a customer with a mobile number."""
    with Session(engine) as session:
        location = session.get(Location, LOCATION)
        renewals = select(AgentConfig).where(col(AgentConfig.location_id) == LOCATION,
                                             col(AgentConfig.agent_type) == AgentType.contract_renewal)  # fmt: skip
        config = session.exec(renewals).one()
        assert location is not None
        scan = start_scan(session, LOCATION, agent_policy(config, location), datetime.now(UTC))
        assert scan is not None
        return next(found for found in scan_page(session, scan, None, 50, 0).patterns if found.customer_mobile_valid)


def voice_outreach(engine: Engine, found: Pattern, call: int) -> Delivery:
    """The renewal, as an outreach of its own delivered as a call (the `call`-th), placed in the sandbox: the call."""
    now = datetime.now(UTC)
    pattern = found.model_copy(update={"dedup_key": f"{found.dedup_key}:call-{call}"})
    action_id = f"outreach:{LOCATION}:{pattern.dedup_key}"
    draft = Draft(channel=Channel.voice, subject=pattern.reason, body_html=f"<p>{escape(pattern.reason)}</p>",
                  body_text=pattern.reason, voice_script=pattern.reason)  # fmt: skip
    state = OutreachState(status=ActionStatus.sent, draft=draft, created_at=now, expires_at=now + timedelta(days=1))
    DbActivities(engine).record_proposal(StatusChange(
        record=ProposalRecord(action_id=action_id, pattern=pattern, state=state),
        entry=TimelineEvent(id=f"{action_id}:sent", action_id=action_id, sender=Sender.system, body="Called.", at=now),
    ))  # fmt: skip
    placed = CallRequest(delivery_id=str(uuid.uuid4()), action_id=action_id, location_id=LOCATION,
                         customer_id=pattern.customer_id, voice_script=pattern.reason)  # fmt: skip
    ActivityEnvironment().run(VoiceActivities(engine, SandboxVoice()).place_call, placed)
    with Session(engine) as session:
        delivery = session.get(Delivery, placed.delivery_id)
    assert delivery is not None and delivery.provider_message_id is not None, "the call was placed"
    return delivery


async def bench_voice(client: Client, engine: Engine, api: Api, task_queue: str, key: str, turns: int) -> list[Result]:
    renewal = renewal_by_phone(engine)
    echo = f"ws://127.0.0.1:{api.port}/bench/echo"
    measured: list[float] = []
    baseline: list[float] = []
    async with websockets.connect(echo) as bare:
        while len(measured) < turns:
            call = voice_outreach(engine, renewal, len(measured))
            action_id, call_sid = str(call.proposed_action_id), str(call.provider_message_id)
            conversation = await client.start_workflow(
                ConversationWorkflow.run,
                ConversationInput(conversation_id=conversation_id(action_id), action_id=action_id,
                                  location_id=LOCATION, customer_id=renewal.customer_id, channel=Channel.voice,
                                  subject="Your renewal", idle_timeout=timedelta(hours=1)),
                id=conversation_id(action_id), task_queue=task_queue,
            )  # fmt: skip
            # The call's session, under the public URL the API was told (this host and port).
            connect = connection(f"http://127.0.0.1:{api.port}", key, call, call_sid, datetime.now(UTC))
            async with RelayCall(connect.url, key, call_sid, connect.parameters) as line:
                for question in QUESTIONS[: turns - len(measured)]:
                    heard = await line.say(question)
                    if not heard.tokens:
                        raise RuntimeError(f"no answer to {question!r} on the call: {line.end or line.closed_with}")
                    measured.append(heard.first_token_after)
                    baseline.append(await _echoed(bare, question))
            await conversation.result()  # the hang-up closes the conversation
    return [
        Result(f"voice turn, last word → first token, p50 ({turns})", percentile(measured, 0.5) * 1000,
               percentile(baseline, 0.5) * 1000, "ms", goal=3.0),
        Result(f"voice turn, last word → first token, p95 ({turns})", percentile(measured, 0.95) * 1000,
               percentile(baseline, 0.95) * 1000, "ms", goal=3.0),
    ]  # fmt: skip


async def _echoed(bare: websockets.ClientConnection, words: str) -> float:
    started = asyncio.get_running_loop().time()
    await bare.send(json.dumps({"type": "prompt", "voicePrompt": words, "lang": "en-US", "last": True}))
    await bare.recv()
    return asyncio.get_running_loop().time() - started
