"""SendGrid's two webhooks: the signed Event Webhook (what happened to the email after SendGrid took it) and
Inbound Parse (the customers' replies to the AI email's reply addresses).

Events: SendGrid signs `timestamp + body` with ECDSA; the SDK's helper verifies it with the key from SendGrid's
mail settings (`OUTREACH_SENDGRID_WEBHOOK_PUBLIC_KEY`). A request older than `FRESHNESS` is refused even with a
good signature, so a captured request cannot be replayed later; a replay within it finds its events applied.

Inbound Parse does not sign its posts; SendGrid's answer is HTTP Basic authentication in the URL it posts to
(`https://sendgrid:{secret}@host/webhooks/sendgrid/inbound`, over HTTPS) — in a header, never in the path that
access logs write down — and every reply must also carry a reply token signed by us, so a forged post can at
most add an unmatched mail for the team to look at. The raw MIME ("POST the raw, full MIME message") is read
with the standard library, in a thread: a stranger's bytes never hold up the event loop. A mail that cannot be
read, kept or routed is kept as `failed` and answered 200, so SendGrid does not post it again for days.
"""

import asyncio
import base64
import binascii
import hmac
import json
import logging
import re
import time
from email import message_from_bytes
from email.message import Message
from typing import Annotated

from cryptography.exceptions import UnsupportedAlgorithm
from fastapi import APIRouter, Header, HTTPException, Request, status
from sendgrid.helpers.eventwebhook import EventWebhook

from api.deps import ClientDep, RouterDep, SessionDep, SettingsDep
from api.schemas import InboundReceived
from inbound import delivery_events
from inbound.router import Arrival, receive_raw

router = APIRouter(prefix="/webhooks/sendgrid", tags=["webhooks"])
INBOUND_PATH = "/webhooks/sendgrid/inbound"
INBOUND_USER = "sendgrid"
# A Unix time in seconds, in ASCII digits: `str.isdigit` also takes "²", and `int` refuses 5,000 digits.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")

FRESHNESS_SECONDS = 600
NOT_CONFIGURED = (
    "The SendGrid Event Webhook is not configured: set OUTREACH_SENDGRID_WEBHOOK_PUBLIC_KEY to the verification "
    "key of SendGrid's mail settings."
)

INBOUND_NOT_CONFIGURED = (
    "SendGrid Inbound Parse is not configured: set OUTREACH_SENDGRID_INBOUND_SECRET and point the host's Inbound "
    f"Parse at https://{INBOUND_USER}:{{that secret}}@{{public host}}{INBOUND_PATH}."
)
INBOUND_REFUSED = (
    f"The inbound webhook takes HTTP Basic authentication: post to https://{INBOUND_USER}:{{the secret in "
    f"OUTREACH_SENDGRID_INBOUND_SECRET}}@{{public host}}{INBOUND_PATH}."
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
    if not _TIMESTAMP.fullmatch(timestamp) or abs(time.time() - int(timestamp)) > FRESHNESS_SECONDS:
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


@router.post("/inbound", response_model=InboundReceived)
async def inbound(request: Request, session: SessionDep, router: RouterDep, settings: SettingsDep) -> InboundReceived:
    """A reply from SendGrid Inbound Parse: kept, matched by its reply token, and routed to its conversation
    once however often SendGrid posts it. Mail that matches nothing is kept for the team (`/api/inbound`);
    mail that cannot be read or routed is kept as `failed`, with the reason."""
    if not settings.sendgrid_inbound_secret:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=INBOUND_NOT_CONFIGURED)
    expected = f"{INBOUND_USER}:{settings.sendgrid_inbound_secret}".encode()
    if not hmac.compare_digest(_basic_credentials(request.headers.get("authorization", "")), expected):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail=INBOUND_REFUSED,
                            headers={"WWW-Authenticate": 'Basic realm="inbound mail"'})  # fmt: skip
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise HTTPException(415, detail="Inbound Parse posts multipart/form-data; this request is "
                                        f"{content_type or 'without a content type'}.")  # fmt: skip
    fields = await asyncio.to_thread(_form_fields, content_type, await request.body())
    raw = fields.get("email")
    if raw is None:
        raise HTTPException(422, detail="There is no raw `email` field: turn on \"POST the raw, full MIME message\" "
                                        "in SendGrid's Inbound Parse settings for this host.")  # fmt: skip
    row = await receive_raw(session, router, raw, Arrival("sendgrid"), _envelope_to(fields.get("envelope")))
    return InboundReceived(id=row.id, status=row.status, proposed_action_id=row.proposed_action_id,
                           problem=row.problem)  # fmt: skip


@router.post("/inbound/{_old_secret}", status_code=status.HTTP_410_GONE, include_in_schema=False)
async def inbound_moved(_old_secret: str) -> None:
    """The former address, which had the secret in its path (access logs hide that segment: `OldSecretHidden`)."""
    raise HTTPException(status.HTTP_410_GONE, detail=f"This address is gone: the secret is no longer part of the path. "
                        f"{INBOUND_REFUSED} Choose a new secret: the old one was written in access logs.")  # fmt: skip


class OldSecretHidden(logging.Filter):
    """Hides what follows the inbound path in access-log lines: a host still posting to the former address (the
    secret in the path) does not write its secret in the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(
            isinstance(arg, str) and arg.startswith(f"{INBOUND_PATH}/") for arg in record.args
        ):
            record.args = tuple(
                f"{INBOUND_PATH}/…" if isinstance(arg, str) and arg.startswith(f"{INBOUND_PATH}/") else arg
                for arg in record.args
            )
        return True


def _basic_credentials(authorization: str) -> bytes:
    """The `user:password` of an HTTP Basic `Authorization` header, as bytes; empty when there is none."""
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return b""
    try:
        return base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return b""


def _form_fields(content_type: str, body: bytes) -> dict[str, bytes]:
    """The fields of a multipart/form-data body, as bytes: multipart/form-data is MIME, so the standard library
    reads it, and a raw message in a non-UTF-8 charset comes through byte for byte. CPU work on a stranger's
    bytes: run it in a thread."""
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
