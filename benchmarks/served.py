"""The API as `make bench` serves it: the product's app, plus the baselines it is measured against on the same
uvicorn: a bare endpoint answering stored bytes, the skeleton outreach's approve Update over HTTP, and a WebSocket
that answers each message with one token."""

from fastapi import Request, Response, WebSocket, WebSocketDisconnect

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


@app.websocket("/bench/echo")
async def echo(websocket: WebSocket) -> None:
    """What a call's turn costs with nothing of the product in it: each prompt answered with one text token."""
    await websocket.accept()
    try:
        while True:
            await websocket.receive_json()
            await websocket.send_json({"type": "text", "token": "Echo.", "last": True})
    except WebSocketDisconnect:
        return
