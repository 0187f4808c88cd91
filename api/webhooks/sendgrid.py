"""SendGrid's signed Event Webhook: what happened to the email after SendGrid took it.

SendGrid signs `timestamp + body` with ECDSA; the SDK's helper verifies it with the key from SendGrid's mail
settings (`OUTREACH_SENDGRID_WEBHOOK_PUBLIC_KEY`). A request older than `FRESHNESS` is refused even with a good
signature, so a captured request cannot be replayed later; a replay within it finds its events already applied.
"""

import json
import time
from typing import Annotated

from cryptography.exceptions import UnsupportedAlgorithm
from fastapi import APIRouter, Header, HTTPException, Request, status
from sendgrid.helpers.eventwebhook import EventWebhook

from api.deps import ClientDep, SessionDep, SettingsDep
from inbound import delivery_events

router = APIRouter(prefix="/webhooks/sendgrid", tags=["webhooks"])

FRESHNESS_SECONDS = 600
NOT_CONFIGURED = (
    "The SendGrid Event Webhook is not configured: set OUTREACH_SENDGRID_WEBHOOK_PUBLIC_KEY to the verification "
    "key of SendGrid's mail settings."
)


@router.post("/events", status_code=status.HTTP_204_NO_CONTENT)
async def events(
    request: Request,
    session: SessionDep,
    client: ClientDep,
    settings: SettingsDep,
    signature: Annotated[str | None, Header(alias="X-Twilio-Email-Event-Webhook-Signature")] = None,
    timestamp: Annotated[str | None, Header(alias="X-Twilio-Email-Event-Webhook-Timestamp")] = None,
) -> None:
    """Apply SendGrid's delivery events (delivered, bounce, dropped, spam report, unsubscribe) once each."""
    if not settings.sendgrid_webhook_public_key:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=NOT_CONFIGURED)
    payload = (await request.body()).decode("utf-8", errors="replace")
    if not signature or not timestamp:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="Only requests signed by SendGrid are accepted.")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > FRESHNESS_SECONDS:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="The signed timestamp is stale; the request is refused.")
    if not _verified(settings.sendgrid_webhook_public_key, payload, signature, timestamp):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="The SendGrid signature does not match the request.")
    try:
        batch = json.loads(payload)
    except ValueError:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="The body is not a JSON list of events.") from None
    if not isinstance(batch, list):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="The body is not a JSON list of events.")
    parsed = [delivery_events.from_sendgrid(item) for item in batch if isinstance(item, dict)]
    await delivery_events.apply(session, client, [event for event in parsed if event is not None])


def _verified(public_key: str, payload: str, signature: str, timestamp: str) -> bool:
    try:
        return bool(EventWebhook(public_key).verify_signature(payload, signature, timestamp))
    except (ValueError, UnsupportedAlgorithm):  # a malformed signature or a misconfigured key
        return False
