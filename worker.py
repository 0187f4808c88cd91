"""The worker: the one place a Temporal Worker is built. Stateless; run as many as load needs."""

import asyncio
import signal
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import partial
from typing import Any

from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.channels.email import EmailActivities, Mailboxes, ReplyAddresses
from activities.channels.helpdesk import HelpdeskActivities
from activities.channels.voice import VoiceActivities
from activities.db import DbActivities
from activities.detection import DetectionActivities
from activities.llm import LlmActivities
from activities.mailboxes import MailboxActivities
from activities.tools import ToolActivities
from activities.tools.context import BookingCaps, PortalLinks
from activities.turns import ConversationActivities
from conversation.understanding import load as load_understanding
from inbound import consent
from inbound.router import router_for
from models.db import process_engine
from models.messages import SmtpSecurity
from providers.email import EmailProvider, SandboxEmail
from providers.helpdesk import BuiltInHelpDesk
from providers.imap import ImapReader
from providers.llm import language_model
from providers.mail_servers import MailServer, MailServerRules
from providers.sendgrid import SendGridEmail
from providers.smtp import SmtpMailer
from providers.twilio import TwilioVoice
from providers.voice import SandboxVoice, VoiceProvider
from settings import Settings, get_settings
from temporal_client import connect
from workflows.conversation import ConversationWorkflow
from workflows.detection import DetectionWorkflow
from workflows.inbound_retention import InboundRetentionWorkflow
from workflows.invitation import InvitationWorkflow
from workflows.mailbox_sync import MailboxSyncWorkflow
from workflows.outreach import OutreachWorkflow
from workflows.ticket_reply import TicketReplyWorkflow

WORKFLOWS = [DetectionWorkflow, OutreachWorkflow, ConversationWorkflow, MailboxSyncWorkflow, TicketReplyWorkflow,
             InboundRetentionWorkflow, InvitationWorkflow]  # fmt: skip
# Database activities are synchronous (SQLModel sessions); they run on this pool.
ACTIVITY_THREADS = 16
# On shutdown, running activities get this long to finish before they are cancelled (and retried
# elsewhere), so a deploy or Ctrl-C rarely leaves a delivery waiting for its timeout.
GRACEFUL_SHUTDOWN = timedelta(seconds=10)


def new_worker(
    client: Client,
    settings: Settings,
    workflows: list[type],
    activities: list[Any],
    *,
    task_queue: str | None = None,
    **worker_options: object,
) -> Worker:
    """A worker with this project's options: its activity pool, its graceful shutdown, a workflow cache that
    holds every waiting outreach, and the workflows' own modules loaded once rather than once per run."""
    # Our workflow modules keep no state at module level, so sharing them between runs is safe; the sandbox
    # still refuses non-deterministic calls. Re-running them per workflow would cost memory and time.
    restrictions = SandboxRestrictions.default.with_passthrough_modules(*{w.__module__ for w in workflows})
    return Worker(
        client,
        task_queue=task_queue or settings.task_queue,
        workflows=workflows,
        activities=activities,
        activity_executor=ThreadPoolExecutor(ACTIVITY_THREADS),
        graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
        max_cached_workflows=settings.worker_cached_workflows,
        workflow_runner=SandboxedWorkflowRunner(restrictions=restrictions),
        **worker_options,  # type: ignore[arg-type]
    )


def email_provider(settings: Settings) -> EmailProvider:
    """SendGrid when its API key is set, else the sandbox outbox."""
    if settings.sendgrid_api_key:
        return SendGridEmail(settings.sendgrid_api_key, settings.sendgrid_api_url)
    return SandboxEmail()


def mailboxes(settings: Settings, rules: MailServerRules) -> Mailboxes:
    """SMTP for the `email` channel, and the relay of the location default (None: the sandbox outbox)."""
    relay = None
    if settings.smtp_host:
        relay = MailServer(host=settings.smtp_host, port=settings.smtp_port,
                           security=SmtpSecurity(settings.smtp_security), username=settings.smtp_username,
                           name=f"the relay {settings.smtp_host}", configured=True,
                           password=settings.smtp_password)  # fmt: skip
    return Mailboxes(SmtpMailer(rules), relay)


def voice_provider(settings: Settings) -> VoiceProvider:
    """Twilio when its account, token and number are set, else the sandbox outbox."""
    if settings.twilio:
        return TwilioVoice(settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_from_number,
                           settings.public_base_url, settings.twilio_api_url)  # fmt: skip
    return SandboxVoice()


def build_worker(
    client: Client,
    engine: Engine,
    settings: Settings,
    *,
    task_queue: str | None = None,
    **worker_options: object,
) -> Worker:
    """Register every workflow and activity on one task queue; refused (`InsecureSettings`) without the signing
    secrets production needs."""
    settings.refuse_unsigned()
    db = DbActivities(engine)
    detection = DetectionActivities(engine, client)
    model = language_model(settings)
    llm = LlmActivities(engine, model, settings.llm_monthly_budget_usd)
    conversation = ConversationActivities(engine, model, settings.critical_dispute_cents,
                                          settings.llm_monthly_budget_usd)  # fmt: skip
    replies = ReplyAddresses(settings.reply_secret, timedelta(days=settings.reply_token_days), settings.reply_domain)
    rules = MailServerRules.from_settings(settings)
    email = EmailActivities(engine, email_provider(settings), replies, mailboxes(settings, rules),
                            settings.public_base_url)  # fmt: skip
    voice = VoiceActivities(engine, voice_provider(settings))
    helpdesk = HelpdeskActivities(engine, BuiltInHelpDesk(engine), email)
    mail = MailboxActivities(engine, ImapReader(rules, settings.inbound_max_bytes), router_for(client, settings))
    tools = ToolActivities(
        engine,
        PortalLinks(settings.portal_secret, timedelta(days=settings.portal_link_days)),
        BookingCaps(settings.ai_bookings_per_conversation, settings.ai_bookings_per_customer_day),
        partial(consent.cancel_undelivered, client),
    )
    return new_worker(
        client,
        settings,
        WORKFLOWS,
        [
            db.record_proposal,
            db.record_event,
            db.record_payment_reported,
            db.record_leaving_said,
            db.create_for_team,
            db.open_conversation,
            db.record_conversation_status,
            db.record_handling,
            db.opening_hours,
            detection.load_agent_policies,
            detection.find_patterns,
            detection.start_outreaches,
            detection.check_before_send,
            llm.compose_draft,
            conversation.converse,
            email.send_email,
            email.email_invitation,
            voice.place_call,
            voice.text_links,
            helpdesk.open_ticket,
            helpdesk.escalate,
            helpdesk.pass_to_ticket,
            mail.sync_mailbox,
            mail.forget_unmatched_mail,
            tools.use_tool,
        ],
        task_queue=task_queue,
        **worker_options,
    )


async def run_worker(build: Callable[[Client, Engine, Settings], Worker] = build_worker) -> None:
    """Run until SIGTERM or SIGINT, then stop polling and let in-flight activities finish."""
    settings = get_settings()
    client = await connect()
    worker = build(client, process_engine(settings), settings)
    # The conversation's understanding loads in a few seconds: before the first customer waits on it (a call).
    understanding = asyncio.get_running_loop().run_in_executor(None, load_understanding)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    async with worker:
        print(f"Worker polling task queue {settings.task_queue!r}", flush=True)
        await stop.wait()
    await understanding
    print("Worker stopped.", flush=True)


if __name__ == "__main__":
    asyncio.run(run_worker())
