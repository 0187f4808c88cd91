"""Email delivery (the `ai_email` channel), through the email provider this worker was given."""

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.channels.deliveries import deliver_once, record_delivery
from domain import variables
from domain.content import html_to_text, sanitize_html
from models.messages import DeliveryResult, EmailMessage
from models.tables import Customer, Delivery, Location, ProposedAction
from providers.email import EmailProvider, OutgoingEmail


class EmailActivities:
    def __init__(self, engine: Engine, provider: EmailProvider) -> None:
        self._engine = engine
        self._provider = provider

    @activity.defn
    def send_email(self, message: EmailMessage) -> DeliveryResult:
        """Send one email to the customer and put it on the conversation timeline."""

        def send(session: Session, action: ProposedAction, customer: Customer, location: Location) -> Delivery:
            if not customer.email:
                raise ApplicationError(
                    f"Customer {customer.name} has no email address to send to; "
                    "add one or take the action over on another channel.",
                    type="NoRecipient",
                    non_retryable=True,
                )
            # Operator edits may hold {{variables}}; fill them from the allow-list, escaped for HTML.
            filled = variables.values(customer.name, location.name, action.facts)
            body_html = sanitize_html(variables.resolve(message.body_html, filled, html=True))
            domain = location.default_sender_email.rpartition("@")[2]
            email = OutgoingEmail(
                message_id=f"<{message.delivery_id}@{domain}>",
                from_address=f"{location.default_sender_name} <{location.default_sender_email}>",
                to_address=customer.email,
                subject=variables.resolve(message.subject, filled, html=False),
                body_html=body_html,
                body_text=html_to_text(body_html),
                in_reply_to=message.in_reply_to,
            )
            self._provider.send(email)
            return record_delivery(
                session,
                delivery_id=message.delivery_id,
                action=action,
                conversation_id=message.conversation_id,
                channel=message.channel,
                provider=self._provider.name,
                to_address=email.to_address,
                from_address=email.from_address,
                subject=email.subject,
                body_html=email.body_html,
                timeline_body=email.body_text,
                message_id=email.message_id,
                in_reply_to=email.in_reply_to,
            )

        return deliver_once(self._engine, message.delivery_id, message.action_id, message.customer_id, send)
