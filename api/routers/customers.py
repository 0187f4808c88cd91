"""Customers' consent: opting out stops every outreach that has not been delivered yet."""

from fastapi import APIRouter, HTTPException, status

from api.auth import can_access
from api.deps import ClientDep, CurrentOperator, SessionDep
from api.schemas import OptOutResult
from inbound import consent
from models.tables import Customer

router = APIRouter(prefix="/api/customers", tags=["customers"])


@router.post("/{customer_id}/opt-out", response_model=OptOutResult)
async def opt_out(customer_id: str, session: SessionDep, operator: CurrentOperator, client: ClientDep) -> OptOutResult:
    """Record the opt-out and cancel the customer's proposals that have not been delivered (see `inbound.consent`)."""
    customer = session.get(Customer, customer_id)
    if customer is None or not can_access(operator, customer.location_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"No customer with id {customer_id!r}.")
    cancelled = await consent.opt_out(session, client, customer)
    return OptOutResult(customer_id=customer_id, opted_out=True, cancelled=cancelled)
