"""Email delivery (the `ai_email` channel, and the AI's answers in a conversation), through the email provider
this worker was given: from the location's AI address, with a Reply-To that carries a signed reply token."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.channels.deliveries import Prepared, deliver_once, new_delivery
from domain import reply_tokens, variables
from domain.content import html_to_text, sanitize_html
from models.messages import DeliveryResult, EmailMessage
from models.tables import Customer, Location, ProposedAction
from providers.email import EmailProvider, OutgoingEmail


@dataclass(frozen=True)
class ReplyAddresses:
    """How reply addresses are made: the token's secret and lifetime, and their domain (empty: the domain of
    the location's AI address)."""

    secret: str
    lifetime: timedelta
    domain: str = ""


class EmailActivities:
    def __init__(self, engine: Engine, provider: EmailProvider, replies: ReplyAddresses) -> None:
        self._engine = engine
        self._provider = provider
        self._replies = replies

    @activity.defn
    def send_email(self, message: EmailMessage) -> DeliveryResult:
        """Send one email to the customer and put it on the conversation timeline, exactly once."""

        def prepare(session: Session, action: ProposedAction, customer: Customer, location: Location) -> Prepared:
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
            sender = location.ai_sender_email or location.default_sender_email
            domain = sender.rpartition("@")[2]
            token = reply_tokens.issue(self._replies.secret, message.delivery_id, location.id,
                                       datetime.now(UTC) + self._replies.lifetime)  # fmt: skip
            email = OutgoingEmail(
                delivery_id=message.delivery_id,
                message_id=f"<{message.delivery_id}@{domain}>",
                from_email=sender,
                from_name=location.default_sender_name,
                to_address=customer.email,
                reply_to=reply_tokens.address(token, self._replies.domain or domain),
                subject=variables.resolve(message.subject, filled, html=False),
                body_html=body_html,
                body_text=html_to_text(body_html),
                in_reply_to=message.in_reply_to,
                custom_args={"delivery_id": message.delivery_id, "action_id": action.id, "location_id": location.id},
            )
            delivery = new_delivery(
                delivery_id=message.delivery_id,
                action=action,
                conversation_id=message.conversation_id,
                channel=message.channel,
                provider=self._provider.name,
                to_address=email.to_address,
                from_address=f"{email.from_name} <{email.from_email}>",
                subject=email.subject,
                body_html=email.body_html,
                message_id=email.message_id,
                in_reply_to=email.in_reply_to,
            )
            return Prepared(delivery, email.body_text, lambda: self._provider.send(email))

        return deliver_once(self._engine, message.delivery_id, message.action_id, message.customer_id, prepare,
                            self._provider.confirm)  # fmt: skip
