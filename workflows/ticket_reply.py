"""TicketReplyWorkflow: a team member's public reply on a help-desk ticket, emailed to the customer in the
ticket's thread, exactly once. Started by the help-desk API with the comment's id in the workflow id, so a
repeated request starts nothing new; the email's own delivery id makes a retried send harmless."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.channels.email import EmailActivities
    from domain.ids import TICKET_REPLY_WORKFLOW
    from models.messages import DeliveryResult, EmailMessage
    from workflows.conversation import SEND_HEARTBEAT, SEND_TIMEOUT


@workflow.defn(name=TICKET_REPLY_WORKFLOW)
class TicketReplyWorkflow:
    @workflow.run
    async def run(self, message: EmailMessage) -> DeliveryResult:
        return await workflow.execute_activity_method(
            EmailActivities.send_email,
            message,
            start_to_close_timeout=SEND_TIMEOUT,
            heartbeat_timeout=SEND_HEARTBEAT,
            summary="Email the team's reply in the ticket's thread",
        )
