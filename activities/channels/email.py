"""Email delivery, exactly once:
- `ai_email` (and the AI's answers in a conversation): through the AI email provider, from the location's AI
  address, with a Reply-To that carries a signed reply token;
- `email`: the operator's takeover, over SMTP, from a connected email account (its replies come back to that
  mailbox) or from the location's default sender through the configured relay (replies are not tracked)."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape

from sqlalchemy import Engine
from sqlmodel import Session, col, select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.channels.deliveries import Prepared, deliver_once, new_delivery
from domain import reply_tokens, variables
from domain.content import html_to_text, sanitize_html
from models.messages import (
    LOCATION_DEFAULT,
    Channel,
    DeliveryResult,
    EmailMessage,
    InvitationRequest,
    InvitationSent,
    Sender,
)
from models.operators import invitation_link, invite, void_invitation
from models.tables import Customer, Delivery, EmailAccount, Location, Operator, ProposedAction, TicketComment
from providers.email import EmailProvider, OutgoingEmail, SandboxEmail
from providers.helpdesk import add_comment, ticket_of
from providers.mail_servers import MailServer
from providers.outcomes import Refused
from providers.smtp import SmtpMailer, account_server


@dataclass(frozen=True)
class ReplyAddresses:
    """How reply addresses are made: the token's secret and lifetime, and their domain (empty: the domain of
    the location's AI address)."""

    secret: str
    lifetime: timedelta
    domain: str = ""


@dataclass(frozen=True)
class Mailboxes:
    """How the `email` channel sends: SMTP, and the relay of the location default (None: the sandbox outbox)."""

    mailer: SmtpMailer
    relay: MailServer | None


class EmailActivities:
    def __init__(self, engine: Engine, provider: EmailProvider, replies: ReplyAddresses, mailboxes: Mailboxes,
                 public_base_url: str) -> None:  # fmt: skip
        self._engine = engine
        self._provider = provider
        self._replies = replies
        self._mailboxes = mailboxes
        self._public_base_url = public_base_url  # where the web app's invitation page is

    @activity.defn
    def email_invitation(self, request: InvitationRequest) -> InvitationSent:
        """A new invitation for the operator, emailed to them (any earlier link stops working): its token is made
        here, so no workflow history holds it. Sent again after a failed attempt, the new link voids the one before,
        so at most the latest email's link works."""
        with Session(self._engine) as session:
            operator = session.get(Operator, request.operator_id)
            if operator is None:
                raise ApplicationError(f"No operator {request.operator_id}.", type="NoOperator", non_retryable=True)
            # From the first of their locations (an admin's: the first of all), as its default sender.
            first = operator.location_ids[0] if operator.location_ids else None
            location = session.get(Location, first) if first else session.exec(select(Location).order_by(
                col(Location.id))).first()  # fmt: skip
            if location is None:
                raise ApplicationError("There is no location to send the invitation from.", non_retryable=True)
            to_address, name = operator.email, operator.name
            sender, sender_name = location.default_sender_email, location.default_sender_name
        token, expires_at = invite(self._engine, request.operator_id, request.invited_by, datetime.now(UTC))
        link = invitation_link(self._public_base_url, token)
        until = expires_at.strftime("%d %B %Y, %H:%M UTC")
        body_html = (
            f"<p>Hello {escape(name)},</p><p>You are invited to review {escape(location.name)}'s proposals "
            f"and conversations. Choose your password here (the link works once, until {until}):</p>"
            f'<p><a href="{escape(link)}">{escape(link)}</a></p>'
            "<p>If you did not expect this, ignore this email: nothing happens without the link.</p>"
        )
        delivery_id = str(uuid.uuid4())
        email = OutgoingEmail(delivery_id=delivery_id, message_id=f"<{delivery_id}@{sender.rpartition('@')[2]}>",
                              from_email=sender, from_name=sender_name, to_address=to_address,
                              subject=f"Your invitation to {location.name}'s outreach inbox", body_html=body_html,
                              body_text=html_to_text(body_html))  # fmt: skip
        try:
            self._provider.send(email)
        except Refused as refused:  # never sent: its link opens nothing
            void_invitation(self._engine, request.operator_id)
            raise ApplicationError(str(refused), type="InvitationRefused", non_retryable=True) from refused
        return InvitationSent(emailed_to=to_address, expires_at=expires_at)

    @activity.defn
    def send_email(self, message: EmailMessage) -> DeliveryResult:
        """Send one email to the customer and put it on the conversation timeline, exactly once."""

        def prepare(
            session: Session, action: ProposedAction | None, customer: Customer, location: Location
        ) -> Prepared:
            if not customer.email:
                raise ApplicationError(
                    f"Customer {customer.name} has no email address to send to; "
                    "add one or take the action over on another channel.",
                    type="NoRecipient",
                    non_retryable=True,
                )
            # Operator edits may hold {{variables}}; fill them from the allow-list, escaped for HTML.
            filled = variables.values(customer.name, location.name, action.facts if action else {})
            body_html = sanitize_html(variables.resolve(message.body_html, filled, html=True))
            # The operator's takeover names its sender; the AI's answers in any conversation come from the AI.
            if message.channel is Channel.email and message.send_from:
                return self._from_mailbox(session, message, action, customer, location, filled, body_html)
            subject = variables.resolve(message.subject, filled, html=False)
            if message.channel is Channel.helpdesk and message.in_reply_to:
                subject = _in_ticket_thread(session, message, location, body_html) or subject
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
                subject=subject,
                body_html=body_html,
                body_text=html_to_text(body_html),
                in_reply_to=message.in_reply_to,
                references=tuple(message.references),
                custom_args={
                    "delivery_id": message.delivery_id,
                    "location_id": location.id,
                    **({"action_id": action.id} if action else {}),
                },
            )
            row = _row(message, action, customer, email, self._provider.name)
            return Prepared(row, email.body_text, lambda: self._provider.send(email), self._provider.confirm,
                            message.author)  # fmt: skip

        return deliver_once(self._engine, message.delivery_id, message.action_id, message.customer_id, prepare)

    def _from_mailbox(self, session: Session, message: EmailMessage, action: ProposedAction | None, customer: Customer,
                      location: Location, filled: dict[str, str], body_html: str) -> Prepared:  # fmt: skip
        """The operator's takeover by email, from a connected account or the location default."""
        server: MailServer | None
        if message.send_from == LOCATION_DEFAULT:
            from_email, from_name = location.default_sender_email, location.default_sender_name
            server = self._mailboxes.relay
        else:
            account = session.get(EmailAccount, message.send_from)
            if account is None or account.location_id != location.id:
                raise ApplicationError(
                    f"The email account {message.send_from!r} no longer exists at {location.name}; "
                    "approve again from another account or the location default.",
                    type="NoSender",
                    non_retryable=True,
                )
            from_email, from_name = account.email, account.display_name or location.default_sender_name
            server = account_server(account)
        email = OutgoingEmail(
            delivery_id=message.delivery_id,
            message_id=f"<{message.delivery_id}@{from_email.rpartition('@')[2]}>",
            from_email=from_email,
            from_name=from_name,
            to_address=customer.email or "",
            subject=variables.resolve(message.subject, filled, html=False),
            body_html=body_html,
            body_text=html_to_text(body_html),
            in_reply_to=message.in_reply_to,
            references=tuple(message.references),
        )
        author = message.author
        if server is None:  # no relay configured: the location default goes to the sandbox outbox
            sandbox = SandboxEmail()
            return Prepared(_row(message, action, customer, email, sandbox.name), email.body_text,
                            lambda: sandbox.send(email), sandbox.confirm, author)  # fmt: skip
        mailer, through = self._mailboxes.mailer, server
        return Prepared(_row(message, action, customer, email, mailer.name), email.body_text,
                        lambda: mailer.send(through, email), mailer.confirm, author)  # fmt: skip


def _in_ticket_thread(session: Session, message: EmailMessage, location: Location, body_html: str) -> str | None:
    """A reply in a ticket's email thread: its subject names the ticket, and the AI's answer is a public comment
    on the ticket as well (the team's replies are comments already). None when the conversation has no ticket."""
    ticket = ticket_of(session, message.action_id, message.conversation_id)
    if ticket is None:
        return None
    if message.author is Sender.ai and session.get(TicketComment, message.delivery_id) is None:
        add_comment(session, ticket.id, message.delivery_id, Sender.ai, f"{location.name} assistant", body_html,
                    public=True, at=datetime.now(UTC))  # fmt: skip
    return f"Re: [{ticket.number}] {ticket.subject}"


def _row(message: EmailMessage, action: ProposedAction | None, customer: Customer, email: OutgoingEmail,
         provider: str) -> Delivery:  # fmt: skip
    return new_delivery(
        delivery_id=message.delivery_id,
        action=action,
        customer=customer,
        conversation_id=message.conversation_id,
        channel=message.channel,
        provider=provider,
        to_address=email.to_address,
        from_address=f"{email.from_name} <{email.from_email}>",
        subject=email.subject,
        body_html=email.body_html,
        message_id=email.message_id,
        in_reply_to=email.in_reply_to,
        headers=email.headers,
    )
