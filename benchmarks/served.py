"""The API as `make bench` serves it: the product's app, plus the baselines it is measured against on the same
uvicorn: a bare endpoint answering stored bytes, and the skeleton outreach's approve Update over HTTP."""

from fastapi import Request, Response

from api.main import create_app
from models.messages import ApproveRequest, DecisionResult

app = create_app()
_stored: dict[str, bytes] = {}


@app.put("/bench/bytes/{key}", include_in_schema=False)
async def store(key: str, request: Request) -> None:
    _stored[key] = await request.body()


@app.get("/bench/bytes/{key}", include_in_schema=False)
async def bare(key: str) -> Response:
    """What serving the product's answer costs with nothing of the product in it."""
    return Response(_stored[key], media_type="application/json")


@app.post("/bench/skeleton/{workflow_id}/approve", include_in_schema=False)
async def approve_skeleton(workflow_id: str, body: ApproveRequest, request: Request) -> DecisionResult:
    client = request.app.state.client
    return await client.get_workflow_handle(workflow_id).execute_update("approve", body, result_type=DecisionResult)
