"""Record the workflow histories the replay test checks: `make histories`.

Runs real journeys on a throwaway dev server and demo database, then writes each workflow's
history to tests/histories/. Histories recorded by earlier versions stay committed under their own
names (e.g. `before_safeguards_*`): they are what running workflows look like, and replaying them
proves each workflow.patched() branch still works. Re-record after a workflow change, and commit.
"""

import asyncio
import json
import sys
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import Session, col, select
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from demo.seed import seed_demo_data
from domain import search_attributes
from domain.ids import CALL_TURN, HAND_BACK, TAKE_OVER, TEAM_REPLY, chat_id, conversation_id
from inbound import chat
from models.db import make_engine
from models.messages import (
    ApproveRequest,
    CallEnded,
    CallUtterance,
    CancelRequest,
    Channel,
    ConversationInput,
    CustomerMessage,
    DetectionInput,
    DraftEdit,
    EmailMessage,
    InboundRetentionInput,
    InvitationRequest,
    LiveAnswer,
    MailboxSyncInput,
    RejectRequest,
    Sender,
    SnoozeRequest,
    TeamMember,
    TeamReply,
)
from models.migrate import upgrade
from models.operators import create_operator
from models.tables import Customer, Operator, ProposedAction
from settings import Settings
from worker import build_worker
from workflows.conversation import ConversationWorkflow
from workflows.detection import DetectionWorkflow
from workflows.inbound_retention import InboundRetentionWorkflow
from workflows.invitation import InvitationWorkflow
from workflows.mailbox_sync import MailboxSyncWorkflow
from workflows.outreach import OutreachWorkflow
from workflows.ticket_reply import TicketReplyWorkflow

HISTORIES = Path(__file__).resolve().parent.parent / "histories"
BIN = Path(sys.executable).parent


async def record() -> None:
    data_dir = Path(tempfile.mkdtemp())
    url = f"sqlite:///{data_dir / 'outreach.db'}"
    upgrade(url)
    engine = make_engine(url)
    seed_demo_data(engine)
    settings = Settings(data_dir=data_dir, DATABASE_URL=url, development=True)
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=search_attributes.ALL,
        dev_server_log_level="error",
    )
    client: Client = env.client
    task_queue = f"record-{uuid.uuid4()}"
    async with build_worker(client, engine, settings, task_queue=task_queue):
        detection = await client.execute_workflow(
            DetectionWorkflow.run, DetectionInput(location_id="ams"), id="detection:ams", task_queue=task_queue
        )
        print(f"detection started {detection.started} outreaches")

        def pending(limit: int, agent: str | None = None) -> list[str]:
            """Customers' proposals, or one agent's."""
            with Session(engine) as session:
                query = select(ProposedAction.id).where(col(ProposedAction.status) == "pending")
                if agent is not None:
                    query = query.where(col(ProposedAction.agent_type) == agent)
                else:
                    query = query.where(col(ProposedAction.customer_id).is_not(None))
                rows = session.exec(query.order_by(col(ProposedAction.id))).all()
            return list(rows[:limit])

        while len(pending(3)) < 3 or not pending(1, "due_invoice"):
            await asyncio.sleep(0.1)  # poll: detection's outreaches record their proposals
        [sent_id] = pending(1, "due_invoice")  # its conversation looks the invoice up: a tool in the history
        rejected_id, cancelled_id = [action_id for action_id in pending(3) if action_id != sent_id][:2]

        # Journey 1: snooze, approve with edits, reply twice (the AI looks the invoice up, then resolves).
        sent = client.get_workflow_handle_for(OutreachWorkflow.run, sent_id)
        await sent.execute_update(
            OutreachWorkflow.snooze, SnoozeRequest(until=datetime.now(UTC) + timedelta(days=1), operator_id="rec")
        )
        await sent.execute_update(
            OutreachWorkflow.edit_draft, DraftEdit(operator_id="rec", body_html="<p>Hi {{first_name}}, a reminder.</p>")
        )
        await sent.execute_update(
            OutreachWorkflow.approve,
            ApproveRequest(operator_id="rec", subject="A quick reminder about your invoice", review_notes="ok"),
        )
        for body in ("Can you remind me what this covers?", "Paid it just now, thanks!"):
            message = CustomerMessage(
                id=str(uuid.uuid4()), channel="ai_email", body=body, received_at=datetime.now(UTC)
            )
            await sent.signal(OutreachWorkflow.customer_replied, message)
        outcome = await sent.result()
        print(f"{sent_id}: {outcome.status} / {outcome.conversation_status}")

        # Journey 2: an invalid signal is noted and ignored, then a signal rejects.
        rejected = client.get_workflow_handle_for(OutreachWorkflow.run, rejected_id)
        await rejected.signal("snooze", SnoozeRequest(until=datetime(2000, 1, 1, tzinfo=UTC)))
        await rejected.signal("reject", RejectRequest(operator_id="rec", reason="Paid at the desk"))
        print(f"{rejected_id}: {(await rejected.result()).status}")

        # Journey 3: the customer opts out while the proposal waits.
        cancelled = client.get_workflow_handle_for(OutreachWorkflow.run, cancelled_id)
        await cancelled.signal(OutreachWorkflow.cancel, CancelRequest(reason="The customer opted out of outreach."))
        print(f"{cancelled_id}: {(await cancelled.result()).status}")

        # Journey 4: a customer asks for a person and writes again before the handover is done: a ticket with the
        # team's brief, and the second message passed to it.
        with Session(engine) as session:
            escalating = session.get(ProposedAction, rejected_id)
            assert escalating is not None
        asked = [CustomerMessage(id=str(uuid.uuid4()), channel="ai_email", body=body, received_at=datetime.now(UTC))
                 for body in ("Can I speak to a person about this?", "It's quite urgent.")]  # fmt: skip
        escalated = await client.execute_workflow(
            ConversationWorkflow.run,
            ConversationInput(conversation_id="conversation:recorded-escalation", action_id=rejected_id,
                              location_id="ams", customer_id=escalating.customer_id, channel=Channel.ai_email,
                              subject="About your outreach", idle_timeout=timedelta(days=7), inbox=asked),
            id="conversation:recorded-escalation", task_queue=task_queue,
        )  # fmt: skip
        print(f"conversation:recorded-escalation: {escalated}")

        # Journey 5: a member writes in the members' chat (each message an update, the first starting the
        # conversation): the opening hours, a day pass for next Tuesday (two tools), then a person: escalated.
        with Session(engine) as session:
            member = session.get(Customer, escalating.customer_id)
            assert member is not None
            for body in ("What are your opening hours?", "Can I get a day pass for next Tuesday?",
                         "I'd like to talk to a person, please."):  # fmt: skip
                said = CustomerMessage(id=str(uuid.uuid4()), channel=Channel.chat, body=body,
                                       received_at=datetime.now(UTC))  # fmt: skip
                answer = await chat.say(session, client, task_queue, member, said)
            print(f"{chat_id(member.id)}: {answer.status}")
        await client.get_workflow_handle(chat_id(member.id)).result()  # the escalated chat records it, and ends

        # Journey 5b: another member's chat, taken over by the team: a message waits for them, they answer it,
        # another waits, they hand it back (the AI answers that one), then a person is asked for: escalated.
        create_operator(engine, name="Recorder", email="recorder@ams.example", location_ids=["ams"], is_admin=False)
        with Session(engine) as session:
            recorder = session.exec(select(Operator).where(col(Operator.name) == "Recorder")).one()
            other = session.exec(select(Customer).where(col(Customer.location_id) == "ams",
                                                        col(Customer.id) != member.id)).first()  # fmt: skip
            assert other is not None
            team_member = TeamMember(operator_id=recorder.id, name=recorder.name)
            taken = client.get_workflow_handle(chat_id(other.id))

            async def say(body: str) -> LiveAnswer:
                said = CustomerMessage(id=str(uuid.uuid4()), channel=Channel.chat, body=body,
                                       received_at=datetime.now(UTC))  # fmt: skip
                return await chat.say(session, client, task_queue, other, said)

            await say("What are your opening hours?")
            await taken.execute_update(TAKE_OVER, team_member)
            await say("Can I bring a guest on Friday?")
            reply = TeamReply(request_id="recorded-1", by=team_member, text="Yes: register them in the portal.")
            await taken.execute_update(TEAM_REPLY, reply)
            await say("Thanks! And do I have unpaid invoices?")
            await taken.execute_update(HAND_BACK, team_member)
            escalating_chat = await say("I'd like to talk to a person, please.")
            print(f"{chat_id(other.id)}: {escalating_chat.status}")
        await taken.result()

        # Journey 6: a live call. What the customer says is an update answered with what to say; what the AI
        # said comes back (the second answer talked over), and the call's end closes the conversation.
        with Session(engine) as session:
            called = session.get(ProposedAction, cancelled_id)
            assert called is not None
        call = await client.start_workflow(
            ConversationWorkflow.run,
            ConversationInput(conversation_id="conversation:recorded-call", action_id=cancelled_id, location_id="ams",
                              customer_id=called.customer_id, channel=Channel.voice, subject="Your membership",
                              idle_timeout=timedelta(days=7)),
            id="conversation:recorded-call", task_queue=task_queue,
        )  # fmt: skip
        for n, words in enumerate(("Can I bring guests to the space?", "Are you a real person or a bot?")):
            words_heard = CustomerMessage(id=f"call:recorded:{n}", channel=Channel.voice, body=words,
                                          received_at=datetime.now(UTC))  # fmt: skip
            answer = await call.execute_update(CALL_TURN, words_heard, result_type=LiveAnswer)
            voiced = answer.spoken if n == 0 else " ".join(answer.spoken.split()[:3])
            await call.signal(
                ConversationWorkflow.call_said,
                CallUtterance(message_id=words_heard.id, said=voiced, at=datetime.now(UTC), interrupted=n > 0),
            )
        await call.signal(ConversationWorkflow.call_ended, CallEnded(reason="the call ended (hang-up)"))
        print(f"conversation:recorded-call: {await call.result()}")

        # Journey 7: a team agent's proposal (an FAQ article from the demo's questions), approved: created for the
        # team, sent to no one.
        while not pending(1, "faq_gap"):
            await asyncio.sleep(0.1)  # poll: detection's outreaches record their proposals
        [team_id] = pending(1, "faq_gap")
        team = client.get_workflow_handle_for(OutreachWorkflow.run, team_id)
        await team.execute_update(OutreachWorkflow.approve, ApproveRequest(operator_id="rec", subject="Parcels?"))
        print(f"{team_id}: {(await team.result()).status}")

        # The team replies on a ticket, and a mailbox is read (this one has no IMAP server: the run says so).
        with Session(engine) as session:
            replied = session.get(ProposedAction, sent_id)
            assert replied is not None
        await client.execute_workflow(
            TicketReplyWorkflow.run,
            EmailMessage(delivery_id=str(uuid.uuid4()), action_id=sent_id, location_id="ams",
                         customer_id=replied.customer_id, channel=Channel.helpdesk,
                         subject="About your ticket", body_html="<p>We are on it.</p>", author=Sender.operator),
            id="ticket-reply:recorded", task_queue=task_queue,
        )  # fmt: skip
        await client.execute_workflow(MailboxSyncWorkflow.run, MailboxSyncInput(email_account_id="acct-none"),
                                      id="mailbox-sync:recorded", task_queue=task_queue)  # fmt: skip
        await client.execute_workflow(InboundRetentionWorkflow.run, InboundRetentionInput(days=30),
                                      id="inbound-retention:recorded", task_queue=task_queue)  # fmt: skip
        # An operator's invitation, emailed (the sandbox takes it).
        await client.execute_workflow(InvitationWorkflow.run, InvitationRequest(operator_id=recorder.id,
                                      invited_by="recorded-admin"), id="invitation:recorded",
                                      task_queue=task_queue)  # fmt: skip

        histories = {
            "detection": "detection:ams",
            "ticket_reply": "ticket-reply:recorded",
            "mailbox_sync": "mailbox-sync:recorded",
            "inbound_retention": "inbound-retention:recorded",
            "invitation": "invitation:recorded",
            "outreach_sent_and_resolved": sent_id,
            "outreach_rejected_by_signal": rejected_id,
            "outreach_cancelled_by_opt_out": cancelled_id,
            "outreach_created_for_the_team": team_id,
            "conversation_resolved": conversation_id(sent_id),
            "conversation_escalated": "conversation:recorded-escalation",
            "conversation_chat_escalated": chat_id(member.id),
            "conversation_chat_taken_over": chat_id(other.id),
            "conversation_call_closed": "conversation:recorded-call",
        }
        HISTORIES.mkdir(exist_ok=True)
        for name, workflow_id in histories.items():
            history = await client.get_workflow_handle(workflow_id).fetch_history()
            # The workflow id is part of what replays (child ids derive from it), so it is kept too.
            document = {"workflow_id": workflow_id, "history": json.loads(history.to_json())}
            (HISTORIES / f"{name}.json").write_text(json.dumps(document, indent=1) + "\n")
            print(f"wrote {name}.json ({len(history.events)} events)")
    await env.shutdown()


if __name__ == "__main__":
    asyncio.run(record())
