"""Customers' consent: opting out stops every outreach that has not been delivered yet."""

from fastapi import APIRouter, HTTPException, status
from sqlmodel import col, select

from api.auth import can_access
from api.deps import ClientDep, CurrentOperator, SessionDep
from api.schemas import OptOutResult
from models.messages import UNDELIVERED, CancelRequest
from models.tables import Customer, ProposedAction
from workflows.outreach import OutreachWorkflow

router = APIRouter(prefix="/api/customers", tags=["customers"])


@router.post("/{customer_id}/opt-out", response_model=OptOutResult)
async def opt_out(customer_id: str, session: SessionDep, operator: CurrentOperator, client: ClientDep) -> OptOutResult:
    """Record the opt-out and cancel the customer's proposals that have not been delivered.

    Detection proposes nothing more, and every outreach re-checks consent right before it sends,
    so one that is already on its way is stopped too."""
    customer = session.get(Customer, customer_id)
    if customer is None or not can_access(operator, customer.location_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"No customer with id {customer_id!r}.")
    customer.opted_out = True
    session.add(customer)
    session.commit()
    waiting = session.exec(
        select(ProposedAction.id).where(
            col(ProposedAction.customer_id) == customer_id, col(ProposedAction.status).in_(UNDELIVERED)
        )
    ).all()
    for action_id in waiting:
        await client.get_workflow_handle(action_id).signal(
            OutreachWorkflow.cancel, CancelRequest(reason="The customer opted out of outreach.")
        )
    return OptOutResult(customer_id=customer_id, opted_out=True, cancelled=list(waiting))
