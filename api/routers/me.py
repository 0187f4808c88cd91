"""Who the token belongs to: the operator's locations and what they may change — what a client (the web app)
needs to offer only what the API would accept."""

from fastapi import APIRouter

from api.deps import CurrentOperator
from api.schemas import OperatorSelf
from models.operators import held

router = APIRouter(prefix="/api/me", tags=["operators"])


@router.get("", response_model=OperatorSelf)
async def me(operator: CurrentOperator) -> OperatorSelf:
    return OperatorSelf(id=operator.id, name=operator.name, email=operator.email, is_admin=operator.is_admin,
                        location_ids=operator.location_ids, permissions=held(operator))  # fmt: skip
