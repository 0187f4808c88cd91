"""InvitationWorkflow: an admin's invitation emailed to the operator. The link's token is made by the activity that
sends it, so it is in no workflow history and in no answer of the API: only in the operator's mailbox."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.channels.email import EmailActivities
    from domain.ids import INVITATION_WORKFLOW
    from models.messages import InvitationRequest, InvitationSent
    from workflows.conversation import SEND_TIMEOUT

# The admin waits for the answer: a provider that does not take the email after a few tries is said so.
TRIES = RetryPolicy(maximum_attempts=3, initial_interval=timedelta(seconds=1))


@workflow.defn(name=INVITATION_WORKFLOW)
class InvitationWorkflow:
    @workflow.run
    async def run(self, request: InvitationRequest) -> InvitationSent:
        return await workflow.execute_activity_method(
            EmailActivities.email_invitation,
            request,
            start_to_close_timeout=SEND_TIMEOUT,
            retry_policy=TRIES,
            summary="Email the operator their invitation",
        )
