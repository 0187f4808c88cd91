"""InboundRetentionWorkflow: mail that matched no conversation (a stranger's, a tampered reply address) or that
failed is deleted once its retention has passed. One Temporal Schedule (`inbound-retention`) starts it daily,
so however many workers and API processes run, one run does the work."""

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.mailboxes import MailboxActivities
    from domain.ids import INBOUND_RETENTION_WORKFLOW
    from models.messages import InboundRetentionInput, InboundRetentionResult

RETENTION_TIMEOUT = timedelta(minutes=10)


@workflow.defn(name=INBOUND_RETENTION_WORKFLOW)
class InboundRetentionWorkflow:
    @workflow.run
    async def run(self, input: InboundRetentionInput) -> InboundRetentionResult:
        return await workflow.execute_activity_method(
            MailboxActivities.forget_unmatched_mail,
            input,
            start_to_close_timeout=RETENTION_TIMEOUT,
            summary=f"Delete unmatched mail older than {input.days} days",
        )
