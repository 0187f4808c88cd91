"""A customer's consent, whoever reports its withdrawal (an operator, an unsubscribe link, a spam complaint, the
customer's own words to the AI): opting out stops every outreach that has not been delivered yet. Detection
proposes nothing more, and every outreach re-checks consent right before it sends, so one already on its way is
stopped too."""

from sqlmodel import Session, col, select
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from domain.ids import CANCEL
from models.messages import UNDELIVERED, CancelRequest
from models.tables import Customer, ProposedAction


def withdraw(session: Session, customer: Customer) -> list[str]:
    """Record the opt-out (in the caller's transaction); answers the undelivered proposals to cancel."""
    customer.opted_out = True
    session.add(customer)
    return list(
        session.exec(
            select(ProposedAction.id).where(
                col(ProposedAction.customer_id) == customer.id, col(ProposedAction.status).in_(UNDELIVERED)
            )
        ).all()
    )


async def cancel_undelivered(client: Client, action_ids: list[str]) -> None:
    """Cancel the proposals an opt-out left undelivered; one that finished meanwhile needs nothing."""
    for action_id in action_ids:
        try:
            await client.get_workflow_handle(action_id).signal(
                CANCEL, CancelRequest(reason="The customer opted out of outreach.")
            )
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise


async def opt_out(session: Session, client: Client, customer: Customer) -> list[str]:
    """Record the opt-out and cancel the customer's undelivered proposals; answers their ids."""
    waiting = withdraw(session, customer)
    session.commit()
    await cancel_undelivered(client, waiting)
    return waiting
