"""Voice delivery: an outbound call that speaks the approved script in the location's voice, and a text message
with the links the script holds (they are never read aloud), through the voice provider this worker was given;
each exactly once."""

import uuid
from html import escape

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.channels.deliveries import Prepared, deliver_once, new_delivery
from domain import variables
from domain.contacts import international_phone
from domain.content import spoken_and_links
from models.messages import CallRequest, Channel, DeliveryResult, LinksByText
from models.tables import Customer, Location, ProposedAction
from providers.voice import OutgoingCall, OutgoingText, VoiceProvider


class VoiceActivities:
    def __init__(self, engine: Engine, provider: VoiceProvider) -> None:
        self._engine = engine
        self._provider = provider

    @activity.defn
    def place_call(self, call: CallRequest) -> DeliveryResult:
        """Call the customer's mobile number and speak the script, and text them its links; both land on the
        timeline. A retry finds what was already done (each is a delivery of its own)."""
        links: list[str] = []

        def prepare(
            session: Session, action: ProposedAction | None, customer: Customer, location: Location
        ) -> Prepared:
            assert action is not None, "a call follows its proposal"
            number = international_phone(customer.mobile_phone)
            if number is None:
                raise ApplicationError(
                    f"{customer.name}'s phone number is not in a valid international format; "
                    "fix it or send an email instead.",
                    type="NoRecipient",
                    non_retryable=True,
                )
            filled = variables.values(customer.name, location.name, action.facts)
            spoken, found = spoken_and_links(variables.resolve(call.voice_script, filled, html=False))
            links.extend(found)
            outgoing = OutgoingCall(
                call_id=call.delivery_id,
                to_number=number,
                caller_name=location.name,
                script=spoken,
                voice=location.call_voice,
                language=location.call_language,
            )
            delivery = new_delivery(
                delivery_id=call.delivery_id,
                action=action,
                customer=customer,
                conversation_id=None,
                channel=Channel.voice,
                provider=self._provider.name,
                to_address=outgoing.to_number,
                from_address=outgoing.caller_name,
                subject=f"Call to {customer.name}",
                body_html=f"<p>{escape(outgoing.script)}</p>",
                message_id=f"call-{call.delivery_id}",
            )
            return Prepared(
                delivery, outgoing.script, lambda: self._provider.call(outgoing), self._provider.confirm_call
            )

        placed = deliver_once(self._engine, call.delivery_id, call.action_id, call.customer_id, prepare)
        if links:
            text_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"links-of:{call.delivery_id}"))
            self._text(LinksByText(text_id=text_id, action_id=call.action_id, customer_id=call.customer_id,
                                   links=links))  # fmt: skip
        return placed

    @activity.defn
    def text_links(self, links: LinksByText) -> DeliveryResult:
        """Text the customer the links the AI gave during a call (it says it did), once: on the timeline too."""
        return self._text(links)

    def _text(self, links: LinksByText) -> DeliveryResult:
        def prepare(
            session: Session, action: ProposedAction | None, customer: Customer, location: Location
        ) -> Prepared:
            number = international_phone(customer.mobile_phone)
            if number is None:
                raise ApplicationError(f"{customer.name} has no mobile number to text the links to.",
                                       type="NoRecipient", non_retryable=True)  # fmt: skip
            found = links.links
            body = f"{location.name}: the link{'s' if len(found) > 1 else ''} from our call: {' '.join(found)}"
            outgoing = OutgoingText(text_id=links.text_id, to_number=number, body=body)
            delivery = new_delivery(
                delivery_id=links.text_id,
                action=action,
                customer=customer,
                conversation_id=links.conversation_id,
                channel=Channel.sms,
                provider=self._provider.name,
                to_address=number,
                from_address=location.name,
                subject=f"Links of the call to {customer.name}",
                body_html=f"<p>{escape(body)}</p>",
                message_id=f"sms-{links.text_id}",
            )
            return Prepared(delivery, body, lambda: self._provider.text(outgoing), self._provider.confirm_text)

        return deliver_once(self._engine, links.text_id, links.action_id, links.customer_id, prepare)
