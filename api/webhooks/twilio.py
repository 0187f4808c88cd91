"""Twilio's webhooks: the status callbacks of calls and text messages, each naming our delivery in its URL, and
the text messages customers send to our number.

Every request must carry a valid `X-Twilio-Signature`: Twilio signs the URL it called — our configured public
base URL with the path — and the form parameters with the account's auth token, so the check uses
`OUTREACH_PUBLIC_BASE_URL`, not the address this process happens to see behind a proxy. A forged request is a
403 and changes nothing; a repeated one (Twilio retrying, `I-Twilio-Idempotency-Token`) is applied once.
"""

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Header, HTTPException, Request, Response, status
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from api.deps import ClientDep, SessionDep, SettingsDep
from api.webhooks.relay import connection, relay_key
from domain.contacts import international_phone
from domain.content import html_to_text
from inbound import calls, delivery_events, texts
from models.messages import Channel
from models.tables import Delivery, Location
from providers.twilio import hang_up_twiml, relay_twiml, voicemail_twiml
from settings import Settings

router = APIRouter(prefix="/webhooks/twilio", tags=["webhooks"])

NOT_CONFIGURED = (
    "Twilio is not configured: set OUTREACH_TWILIO_ACCOUNT_SID, OUTREACH_TWILIO_AUTH_TOKEN and "
    "OUTREACH_TWILIO_FROM_NUMBER."
)


async def _signed_form(request: Request, settings: Settings, signature: str | None) -> dict[str, str]:
    if not settings.twilio:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=NOT_CONFIGURED)
    params = dict(parse_qsl((await request.body()).decode("utf-8", errors="replace"), keep_blank_values=True))
    url = settings.public_base_url.rstrip("/") + request.url.path
    if request.url.query:
        url += f"?{request.url.query}"
    if not signature or not RequestValidator(settings.twilio_auth_token).validate(url, params, signature):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="The Twilio signature does not match the request.")
    # Checked as signed, then read without the NUL characters no database stores (Twilio sends none).
    return {name.replace("\x00", ""): value.replace("\x00", "") for name, value in params.items()}


@router.post("/sms", response_class=Response)
async def incoming_text(
    request: Request,
    session: SessionDep,
    client: ClientDep,
    settings: SettingsDep,
    signature: Annotated[str | None, Header(alias="X-Twilio-Signature")] = None,
) -> Response:
    """A text message to our number (point the number's incoming-message webhook here): an opt-out opts the
    sender out; anything else goes on the timeline for the team. Answers TwiML."""
    params = await _signed_form(request, settings, signature)
    sender = international_phone(params.get("From")) or params.get("From", "")
    reply = await texts.receive_text(session, client, params.get("MessageSid", ""), sender, params.get("Body", ""),
                                     datetime.now(UTC))  # fmt: skip
    answer = MessagingResponse()
    if reply:
        answer.message(reply)
    return _twiml(str(answer))


@router.post("/calls/{delivery_id}", status_code=status.HTTP_204_NO_CONTENT)
@router.post("/messages/{delivery_id}", status_code=status.HTTP_204_NO_CONTENT)
async def status_callback(
    delivery_id: str,
    request: Request,
    session: SessionDep,
    client: ClientDep,
    settings: SettingsDep,
    signature: Annotated[str | None, Header(alias="X-Twilio-Signature")] = None,
    idempotency_token: Annotated[str | None, Header(alias="I-Twilio-Idempotency-Token")] = None,
) -> None:
    """A call's progress (initiated, ringing, answered, completed, busy, no-answer, failed, canceled) or a text
    message's (delivered, undelivered, failed), on the delivery and the timeline."""
    params = await _signed_form(request, settings, signature)
    sid = params.get("CallSid") or params.get("MessageSid", "")
    state = params.get("CallStatus") or params.get("MessageStatus", "")
    event = delivery_events.from_twilio(delivery_id, idempotency_token or f"{sid}:{state}", params)
    await delivery_events.apply(session, client, [event])


@router.post("/calls/{delivery_id}/twiml", response_class=Response)
async def answered_call(
    delivery_id: str,
    request: Request,
    session: SessionDep,
    client: ClientDep,
    settings: SettingsDep,
    signature: Annotated[str | None, Header(alias="X-Twilio-Signature")] = None,
) -> Response:
    """Twilio asks what the call does once it is answered (and whether by a person): a person gets the approved
    script as the greeting, then the AI on the line (ConversationRelay); an answering machine gets the script
    alone — its links went by text message when the call was placed — and the timeline says so."""
    params = await _signed_form(request, settings, signature)
    delivery = session.get(Delivery, delivery_id)
    location = session.get(Location, delivery.location_id) if delivery else None
    if delivery is None or location is None or delivery.channel is not Channel.voice or not delivery.proposed_action_id:
        return _twiml(hang_up_twiml())
    script = html_to_text(delivery.body_html)
    answered_by = params.get("AnsweredBy", "unknown")
    if answered_by.startswith("machine") or answered_by == "fax":
        note = "Reached voicemail: left the call's message (without links; those went by text message)."
        sid = params.get("CallSid", "")
        event = delivery_events.DeliveryEvent(provider="twilio", event_id=f"{sid}:voicemail", kind="voicemail",
                                              delivery_id=delivery.id, provider_message_id=sid or None, status=None,
                                              note=note)  # fmt: skip
        await delivery_events.apply(session, client, [event])
        return _twiml(voicemail_twiml(script, location.call_voice, location.call_language))
    key = relay_key(settings)
    assert key is not None, "a signed request came, so Twilio is configured"
    # The call's own session: only this call, only while it goes on, only for a few minutes.
    connect = connection(settings.public_base_url, key, delivery, params.get("CallSid", ""), datetime.now(UTC))
    ended = f"{settings.public_base_url.rstrip('/')}/webhooks/twilio/calls/{delivery.id}/ended"
    return _twiml(relay_twiml(connect.url, ended, script, location.call_voice, location.call_language,
                              connect.parameters))  # fmt: skip


@router.post("/calls/{delivery_id}/ended", response_class=Response)
async def live_call_ended(
    delivery_id: str,
    request: Request,
    session: SessionDep,
    client: ClientDep,
    settings: SettingsDep,
    signature: Annotated[str | None, Header(alias="X-Twilio-Signature")] = None,
) -> Response:
    """Twilio's action callback when the call's live session is over: the conversation ends, and so does the call."""
    params = await _signed_form(request, settings, signature)
    delivery = session.get(Delivery, delivery_id)
    if delivery is not None and delivery.proposed_action_id:
        how = params.get("SessionStatus") or params.get("CallStatus") or "completed"
        await calls.call_over(client, delivery.proposed_action_id, f"the call ended ({how})")
    return _twiml(hang_up_twiml())


def _twiml(twiml: str) -> Response:
    return Response(content=twiml, media_type="application/xml")
