"""Text messages to our number (Twilio's incoming-message webhook). A customer who texts an opt-out — a carrier
keyword alone ("STOP", "UNSUBSCRIBE", …) or a request in words — is opted out at once, exactly as through the API,
whichever locations know the number. Any other text lands on the timeline of the outreach that last called or
texted the number, for the team (the AI does not text back)."""

from datetime import datetime

from sqlmodel import Session, col, select
from temporalio.client import Client

from domain.opt_out import asks_to_opt_out, carrier_keyword
from inbound import consent
from models.messages import Channel, Sender, TimelineEvent
from models.tables import Customer, Delivery, Location
from models.timeline import add_timeline_entry


async def receive_text(session: Session, client: Client, sid: str, sender: str, body: str, at: datetime) -> str | None:
    """Apply a text from `sender` (E.164); answers what to text back, if anything (a carrier keyword is
    confirmed by the carrier itself)."""
    customers = session.exec(select(Customer).where(col(Customer.mobile_phone) == sender)).all()
    last = session.exec(
        select(Delivery)
        .where(col(Delivery.to_address) == sender, col(Delivery.channel).in_([Channel.sms, Channel.voice]))
        .order_by(col(Delivery.created_at).desc())
    ).first()
    opting_out = asks_to_opt_out(body) and bool(customers)
    if last is not None:
        add_timeline_entry(session, TimelineEvent(
            id=f"text:{sid}", action_id=last.proposed_action_id, conversation_id=last.conversation_id,
            sender=Sender.customer, channel=Channel.sms, at=at,
            body=f"{body}\n(Opted out by text message.)" if opting_out else body,
        ))  # fmt: skip
        session.commit()
    if not opting_out:
        return None
    for customer in customers:
        await consent.opt_out(session, client, customer)
    if carrier_keyword(body):
        return None
    location = session.get(Location, customers[0].location_id)
    name = location.name if location else "us"
    return f"You won't hear from {name} again. Sorry for the bother."
