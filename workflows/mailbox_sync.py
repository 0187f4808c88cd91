"""MailboxSyncWorkflow: one read of a connected account's mailbox, started by the account's Temporal Schedule
(`mailbox-sync:{account id}`). The Schedule skips a run while the last one is still going, so one account is
never read twice at once."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.mailboxes import MailboxActivities
    from domain.ids import MAILBOX_SYNC_WORKFLOW
    from models.messages import MailboxSyncInput, MailboxSyncResult

SYNC_TIMEOUT = timedelta(minutes=5)
# The activity beats per message; an IMAP read that hangs is noticed within this.
SYNC_HEARTBEAT = timedelta(minutes=1)
# A server away is tried a few times; after that the next scheduled run tries again.
SYNC_RETRY = RetryPolicy(maximum_attempts=3, initial_interval=timedelta(seconds=5))


@workflow.defn(name=MAILBOX_SYNC_WORKFLOW)
class MailboxSyncWorkflow:
    @workflow.run
    async def run(self, input: MailboxSyncInput) -> MailboxSyncResult:
        return await workflow.execute_activity_method(
            MailboxActivities.sync_mailbox,
            input,
            start_to_close_timeout=SYNC_TIMEOUT,
            heartbeat_timeout=SYNC_HEARTBEAT,
            retry_policy=SYNC_RETRY,
            summary=f"Read new mail of {input.email_account_id}",
        )
