"""A customer's consent, whoever reports its withdrawal (an operator, an unsubscribe link, a spam complaint):
opting out stops every outreach that has not been delivered yet. Detection proposes nothing more, and every
outreach re-checks consent right before it sends, so one already on its way is stopped too."""

from sqlmodel import Session, col, select
from temporalio.client import Client

from domain.ids import CANCEL
from models.messages import UNDELIVERED, CancelRequest
from models.tables import Customer, ProposedAction


async def opt_out(session: Session, client: Client, customer: Customer) -> list[str]:
    """Record the opt-out and cancel the customer's undelivered proposals; answers their ids."""
    customer.opted_out = True
    session.add(customer)
    session.commit()
    waiting = session.exec(
        select(ProposedAction.id).where(
            col(ProposedAction.customer_id) == customer.id, col(ProposedAction.status).in_(UNDELIVERED)
        )
    ).all()
    for action_id in waiting:
        await client.get_workflow_handle(action_id).signal(
            CANCEL, CancelRequest(reason="The customer opted out of outreach.")
        )
    return list(waiting)
