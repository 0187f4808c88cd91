"""SendGrid's two webhooks: the signed Event Webhook (what happened to the email after SendGrid took it) and
Inbound Parse (the customers' replies to the AI email's reply addresses).

Events: SendGrid signs `timestamp + body` with ECDSA; the SDK's helper verifies it with the key from SendGrid's
mail settings (`OUTREACH_SENDGRID_WEBHOOK_PUBLIC_KEY`). A request older than `FRESHNESS` is refused even with a
good signature, so a captured request cannot be replayed later; a replay within it finds its events applied.

Inbound Parse does not sign its posts; SendGrid's answer is a secret in the URL it posts to (over HTTPS), and
every reply must also carry a reply token signed by us, so a forged post can at most add an unmatched mail for
the team to look at. The raw MIME ("POST the raw, full MIME message") is read with the standard library.
"""

import dataclasses
import hmac
import json
import time
from email import message_from_bytes
from email.message import Message
from typing import Annotated

from cryptography.exceptions import UnsupportedAlgorithm
from fastapi import APIRouter, Header, HTTPException, Request, status
from sendgrid.helpers.eventwebhook import EventWebhook

from api.deps import ClientDep, RouterDep, SessionDep, SettingsDep
from api.schemas import InboundReceived
from inbound import delivery_events, mail
from inbound.router import Arrival, receive

router = APIRouter(prefix="/webhooks/sendgrid", tags=["webhooks"])
INBOUND_PATH = "/webhooks/sendgrid/inbound/"

FRESHNESS_SECONDS = 600
NOT_CONFIGURED = (
    "The SendGrid Event Webhook is not configured: set OUTREACH_SENDGRID_WEBHOOK_PUBLIC_KEY to the verification "
    "key of SendGrid's mail settings."
)

INBOUND_NOT_CONFIGURED = (
    "SendGrid Inbound Parse is not configured: set OUTREACH_SENDGRID_INBOUND_SECRET and point the host's Inbound "
    "Parse at {public base URL}/webhooks/sendgrid/inbound/{that secret}."
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


@router.post("/inbound/{secret}", response_model=InboundReceived)
async def inbound(secret: str, request: Request, session: SessionDep, router: RouterDep,
                  settings: SettingsDep) -> InboundReceived:  # fmt: skip
    """A reply from SendGrid Inbound Parse: kept, matched by its reply token, and routed to its conversation
    once however often SendGrid posts it. Mail that matches nothing is kept for the team (`/api/inbound`)."""
    if not settings.sendgrid_inbound_secret:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=INBOUND_NOT_CONFIGURED)
    if not hmac.compare_digest(secret.encode(), settings.sendgrid_inbound_secret.encode()):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail="The inbound webhook's secret does not match; post "
            "to the URL that holds OUTREACH_SENDGRID_INBOUND_SECRET.",
        )
    fields = _form_fields(request.headers.get("content-type", ""), await request.body())
    raw = fields.get("email")
    if raw is None:
        raise HTTPException(422, detail="There is no raw `email` field: turn on \"POST the raw, full MIME message\" "
                                        "in SendGrid's Inbound Parse settings for this host.")  # fmt: skip
    parsed = mail.parse(raw)
    parsed = dataclasses.replace(parsed, recipients=(*parsed.recipients, *_envelope_to(fields.get("envelope"))))
    row = await receive(session, router, parsed, Arrival("sendgrid"))
    return InboundReceived(id=row.id, status=row.status, proposed_action_id=row.proposed_action_id,
                           problem=row.problem)  # fmt: skip


def _form_fields(content_type: str, body: bytes) -> dict[str, bytes]:
    """The fields of a multipart/form-data body, as bytes: multipart/form-data is MIME, so the standard library
    reads it, and a raw message in a non-UTF-8 charset comes through byte for byte."""
    if not content_type.lower().startswith("multipart/form-data"):
        raise HTTPException(415, detail="Inbound Parse posts multipart/form-data; this request is "
                                        f"{content_type or 'without a content type'}.")  # fmt: skip
    form: Message = message_from_bytes(b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    fields = {}
    for part in form.get_payload() if form.is_multipart() else []:
        if not isinstance(part, Message):
            continue
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            fields[name] = payload
    return fields


def _envelope_to(envelope: bytes | None) -> tuple[str, ...]:
    """The envelope's recipients, which a Bcc'd reply address is only found among."""
    try:
        to = json.loads(envelope or b"{}").get("to", [])
    except (ValueError, AttributeError):
        return ()
    return tuple(address.lower() for address in to if isinstance(address, str)) if isinstance(to, list) else ()


def _verified(public_key: str, payload: str, signature: str, timestamp: str) -> bool:
    try:
        return bool(EventWebhook(public_key).verify_signature(payload, signature, timestamp))
    except (ValueError, UnsupportedAlgorithm):  # a malformed signature or a misconfigured key
        return False
