"""A reply the workflow service refuses (INVALID_ARGUMENT: here, larger than the server's payload limit, set
low for the test) is that message's permanent failure: kept as `failed` with why, the mailbox's position moves
past it, and the next reply is read and answered — no retry loop, no stopped mailbox."""

from collections.abc import AsyncIterator

import pytest
from sqlmodel import Session, select
from temporalio.testing import WorkflowEnvironment

from models.messages import MailboxSyncResult
from models.tables import InboundMessage
from tests.api.test_email_channel import Mailbox, smtp  # noqa: F401
from tests.api.test_mailbox_sync import MAILBOX, emailed_from, imap, settings, sync, synced_account, timeline  # noqa: F401
from tests.conftest import Stack, start_dev_server
from tests.fakes import mail_clients
from tests.fakes.dovecot import Dovecot
from tests.fakes.mail_clients import Reply

PAYLOAD_LIMIT = 20_000


@pytest.fixture(scope="module")
async def dev_server() -> AsyncIterator[WorkflowEnvironment]:
    env = await start_dev_server("--dynamic-config-value", f"limit.blobSize.error={PAYLOAD_LIMIT}",
                                 "--dynamic-config-value", f"limit.blobSize.warn={PAYLOAD_LIMIT // 2}")  # fmt: skip
    yield env
    await env.shutdown()


async def test_a_reply_the_workflow_service_refuses_fails_alone(
    stack: Stack,
    smtp: Mailbox,  # noqa: F811
    imap: Dovecot,  # noqa: F811
) -> None:
    account = await synced_account(stack, smtp, imap)
    action, ours = await emailed_from(stack, account, smtp)

    def reply(new: str) -> Reply:
        return Reply(new=new, sender=ours["To"], to=MAILBOX, in_reply_to=ours["Message-ID"])

    refused = reply("Paid! " * 5_000)  # 30 KB: within what we hand a workflow, over this server's limit
    imap.append(MAILBOX, mail_clients.gmail(refused))
    imap.append(MAILBOX, mail_clients.gmail(reply("Did you get it?")))
    assert await sync(stack, account["id"]) == MailboxSyncResult(read=2, routed=1, failed=1)
    assert (await sync(stack, account["id"])).read == 0

    with Session(stack.engine) as session:
        row = session.exec(select(InboundMessage).where(InboundMessage.message_id == refused.message_id)).one()
    assert row.status == "failed" and "workflow service refused it" in (row.problem or "")
    assert row.text.startswith("Paid!")
    found = (await stack.http.get(f"/api/email-accounts/{account['id']}")).json()
    assert found["sync_error"] is None
    bodies = [entry["body"] for entry in await timeline(stack, action["id"], 3) if entry["sender"] == "customer"]
    assert bodies == ["Did you get it?"]
