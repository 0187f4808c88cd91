"""Voice delivery: an outbound call that speaks the approved script in the location's voice, through the voice
provider this worker was given, exactly once."""

from html import escape

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.channels.deliveries import Prepared, deliver_once, new_delivery
from domain import variables
from domain.contacts import international_phone
from models.messages import CallRequest, Channel, DeliveryResult
from models.tables import Customer, Location, ProposedAction
from providers.voice import OutgoingCall, VoiceProvider


class VoiceActivities:
    def __init__(self, engine: Engine, provider: VoiceProvider) -> None:
        self._engine = engine
        self._provider = provider

    @activity.defn
    def place_call(self, call: CallRequest) -> DeliveryResult:
        """Call the customer's mobile number and speak the script; the call lands on the timeline."""

        def prepare(session: Session, action: ProposedAction, customer: Customer, location: Location) -> Prepared:
            number = international_phone(customer.mobile_phone)
            if number is None:
                raise ApplicationError(
                    f"{customer.name}'s phone number is not in a valid international format; "
                    "fix it or send an email instead.",
                    type="NoRecipient",
                    non_retryable=True,
                )
            filled = variables.values(customer.name, location.name, action.facts)
            outgoing = OutgoingCall(
                call_id=call.delivery_id,
                to_number=number,
                caller_name=location.name,
                script=variables.resolve(call.voice_script, filled, html=False),
                voice=location.call_voice,
                language=location.call_language,
            )
            delivery = new_delivery(
                delivery_id=call.delivery_id,
                action=action,
                conversation_id=None,
                channel=Channel.voice,
                provider=self._provider.name,
                to_address=outgoing.to_number,
                from_address=outgoing.caller_name,
                subject=f"Call to {customer.name}",
                body_html=f"<p>{escape(outgoing.script)}</p>",
                message_id=f"call-{call.delivery_id}",
            )
            return Prepared(delivery, outgoing.script, lambda: self._provider.call(outgoing))

        return deliver_once(self._engine, call.delivery_id, call.action_id, call.customer_id, prepare,
                            self._provider.confirm)  # fmt: skip
