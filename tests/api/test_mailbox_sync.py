"""Replies coming home to a connected mailbox, read from a real IMAP server (dovecot) by the mailbox sync: the
customer's reply joins its conversation and is answered from that mailbox in the same thread; a stranger
answering a forwarded message does not join it; the team's own answer from their mail client (the Sent folder)
stays in the thread, and so does the customer's answer to it; the team's other mail is never read; a bounce fails
the delivery; and across a server restart and a renumbered folder each message is read once."""

import socketserver
import ssl
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select

from domain.ids import mailbox_sync_id
from inbound.router import WORKFLOW_BODY_MAX_CHARS
from models.messages import MailboxSyncInput, MailboxSyncResult
from models.tables import Delivery, InboundMessage, Location
from settings import Settings
from tests.api.test_email_channel import PASSWORD, Mailbox, connected_account, sent, smtp  # noqa: F401
from tests.conftest import Stack, poll
from tests.fakes import mail_clients
from tests.fakes.dovecot import Dovecot, running_dovecot
from tests.fakes.mail_clients import Reply
from tests.fakes.tls import Certificates
from workflows.mailbox_sync import MailboxSyncWorkflow

MAILBOX = "billing@ams.example"
MAX_MAIL = 5_000_000


@pytest.fixture
def imap(certificates: Certificates) -> Iterator[Dovecot]:
    with running_dovecot({MAILBOX: PASSWORD}, certificates) as server:
        yield server


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    # Syncs run when a test says so (after the first, when the account is connected), never by the clock. The
    # local servers are reached through the allow-list, as a deployment's in-house ones would be.
    return Settings(data_dir=tmp_path, DATABASE_URL=database_url, mailbox_sync_interval=timedelta(hours=1),
                    mail_host_allowlist=("127.0.0.1",), inbound_max_bytes=MAX_MAIL, development=True)  # fmt: skip


async def synced_account(stack: Stack, smtp: Mailbox, imap: Dovecot) -> dict[str, Any]:  # noqa: F811
    account = await connected_account(stack, smtp, imap_host="127.0.0.1", imap_port=imap.port, imap_security="ssl")

    async def first_sync() -> dict[str, Any] | None:
        found = (await stack.http.get(f"/api/email-accounts/{account['id']}")).json()
        return found if found["synced_at"] else None

    # Connecting it created its schedule, which read it once: what was there before is left alone.
    await stack.client.get_schedule_handle(mailbox_sync_id(account["id"])).describe()
    return await poll(first_sync, "the first sync of the new mailbox")


async def sync(stack: Stack, account_id: str) -> MailboxSyncResult:
    return await stack.client.execute_workflow(MailboxSyncWorkflow.run, MailboxSyncInput(email_account_id=account_id),
                                               id=f"test-sync-{uuid.uuid4()}", task_queue=stack.task_queue)  # fmt: skip


async def emailed_from(stack: Stack, account: dict[str, Any], smtp: Mailbox) -> tuple[dict[str, Any], Any]:  # noqa: F811
    """A proposal approved and sent from the mailbox; the mail as the SMTP server got it."""
    action = await stack.pending_email()
    approved = await stack.http.post(f"/api/inbox/{action['id']}/approve",
                                     json={"channel": "email", "send_from": account["id"]})  # fmt: skip
    assert approved.status_code == 200, approved.text
    await sent(stack, action["id"])
    return action, smtp.messages[-1]


async def timeline(stack: Stack, action_id: str, count: int) -> list[dict[str, Any]]:
    async def entries() -> list[dict[str, Any]] | None:
        found = [item for item in (await stack.http.get(f"/api/inbox/{action_id}")).json()["timeline"]
                 if item["channel"]]  # fmt: skip
        return found if len(found) >= count else None

    return await poll(entries, f"{count} messages on the timeline")


async def test_replies_in_the_mailbox_join_their_thread_and_only_theirs(
    stack: Stack,
    smtp: Mailbox,  # noqa: F811
    imap: Dovecot,
) -> None:
    imap.append(MAILBOX, mail_clients.gmail(Reply(new="Old mail, before we were connected.", to=MAILBOX)))
    account = await synced_account(stack, smtp, imap)
    action, ours = await emailed_from(stack, account, smtp)
    our_id, customer = ours["Message-ID"], ours["To"]

    reply = Reply(new="Bonjour, could you send me the payment link again?", sender=customer, to=MAILBOX,
                  subject=f"Re: {ours['Subject']}", in_reply_to=our_id)  # fmt: skip
    imap.append(MAILBOX, mail_clients.apple_mail(reply, f"Le 30 nov. 2026 à 09:12, Billing <{MAILBOX}> a écrit :"))
    forwarded = Reply(new="Who are you? My colleague forwarded me this.", sender="stranger@else.example", to=MAILBOX,
                      in_reply_to=our_id, references=[our_id])  # fmt: skip
    imap.append(MAILBOX, mail_clients.gmail(forwarded))
    imap.append(MAILBOX, mail_clients.gmail(Reply(new="Lunch on Friday?", sender="colleague@ams.example", to=MAILBOX,
                                                  in_reply_to="<unrelated@ams.example>")))  # fmt: skip
    assert await sync(stack, account["id"]) == MailboxSyncResult(read=2, routed=1, unmatched=1)

    _, came_in, answer = await timeline(stack, action["id"], 3)
    assert (came_in["sender"], came_in["channel"], came_in["body"]) == ("customer", "email", reply.new)
    assert came_in["source"]["label"] == "Replied via email"
    assert (answer["sender"], answer["channel"]) == ("ai", "email")
    ai_mail = smtp.messages[-1]  # the AI answers from the mailbox the customer wrote to, in their thread
    assert ai_mail["From"].addresses[0].addr_spec == MAILBOX
    assert ai_mail["In-Reply-To"] == reply.message_id
    assert ai_mail["References"] == f"{our_id} {reply.message_id}"
    assert ai_mail["Subject"] == f"Re: {ours['Subject']}"

    [stranger] = (await stack.http.get("/api/inbound", params={"status": "unmatched"})).json()["items"]
    assert stranger["sender"] == "stranger@else.example"
    assert "not from" in stranger["problem"] and "stranger never joins" in stranger["problem"]
    with Session(stack.engine) as session:  # the team's other mail was never even downloaded
        senders = session.exec(select(InboundMessage.sender)).all()
    assert sorted(senders) == sorted([customer, "stranger@else.example"])

    # The team answers from their own mail client; the customer answers that, naming only it.
    team = Reply(new="Hi, we have resent it.", sender=MAILBOX, to=customer, in_reply_to=reply.message_id,
                 references=[our_id])  # fmt: skip
    imap.append(MAILBOX, mail_clients.gmail(team), folder="Sent")
    imap.append(MAILBOX, bytes(ai_mail), folder="Sent")  # the server's copy of what we sent: ours already
    again = Reply(new="I have just paid it by bank transfer.", sender=customer, to=MAILBOX, in_reply_to=team.message_id)
    imap.append(MAILBOX, mail_clients.gmail(again))
    assert await sync(stack, account["id"]) == MailboxSyncResult(read=2, routed=2)
    *_, by_team, customer_again, _ = await timeline(stack, action["id"], 6)
    assert (by_team["sender"], by_team["body"]) == ("operator", team.new)
    assert by_team["source"]["label"] == "Sent by the team from their own mail client"
    assert (customer_again["sender"], customer_again["body"]) == ("customer", again.new)

    # The customer's address stops working: the mail server's report fails our last answer.
    with Session(stack.engine) as session:
        last = session.exec(select(Delivery).where(col(Delivery.proposed_action_id) == action["id"])
                            .order_by(col(Delivery.created_at).desc())).first()  # fmt: skip
        assert last is not None
    imap.append(MAILBOX, mail_clients.bounce(last.message_id, customer, MAILBOX, "550 5.1.1 User unknown"))
    assert await sync(stack, account["id"]) == MailboxSyncResult(read=1, routed=1)
    with Session(stack.engine) as session:
        bounced = session.get(Delivery, last.id)
        assert bounced is not None and bounced.status == "bounced"
    bodies = [item["body"] for item in (await stack.http.get(f"/api/inbox/{action['id']}")).json()["timeline"]]
    assert f"The email to {customer} bounced ({customer}: 550 5.1.1 User unknown). Check the address, or reach " \
           "the customer another way." in bodies  # fmt: skip


async def test_each_message_is_read_once_across_restarts_and_renumbering(
    stack: Stack,
    smtp: Mailbox,  # noqa: F811
    imap: Dovecot,
) -> None:
    account = await synced_account(stack, smtp, imap)
    _, ours = await emailed_from(stack, account, smtp)

    def reply(new: str) -> bytes:
        return mail_clients.gmail(Reply(new=new, sender=ours["To"], to=MAILBOX, in_reply_to=ours["Message-ID"]))

    imap.append(MAILBOX, reply("First."))
    assert (await sync(stack, account["id"])).read == 1
    assert (await sync(stack, account["id"])).read == 0

    imap.restart()
    imap.append(MAILBOX, reply("Second, after the server restarted."))
    assert (await sync(stack, account["id"])).read == 1

    before = imap.uid_validity(MAILBOX)
    imap.renumber(MAILBOX)
    assert imap.uid_validity(MAILBOX) != before
    assert (await sync(stack, account["id"])).read == 0  # looked at again by headers; nothing fetched twice
    imap.append(MAILBOX, reply("Third, after the folder was renumbered."))
    assert (await sync(stack, account["id"])).read == 1
    with Session(stack.engine) as session:
        kept = session.exec(select(InboundMessage.reply).where(col(InboundMessage.email_account_id) == account["id"]))
        assert sorted(kept) == ["First.", "Second, after the server restarted.",
                                "Third, after the folder was renumbered."]  # fmt: skip


async def test_no_message_stops_the_mailbox(
    stack: Stack,
    smtp: Mailbox,  # noqa: F811
    imap: Dovecot,
) -> None:
    """A header the `email` package cannot parse, a reply larger than the workflow service takes, a mail larger
    than we download, a raw byte in a Message-ID: each is kept (as `failed` when it cannot be handled, with why)
    or passed over, and what comes after is read."""
    account = await synced_account(stack, smtp, imap)
    action, ours = await emailed_from(stack, account, smtp)

    def reply(new: str) -> Reply:
        return Reply(new=new, sender=ours["To"], to=MAILBOX, in_reply_to=ours["Message-ID"])

    group = reply("Can I pay on Friday?")  # a group address: `AttributeError` in the `email` package
    imap.append(
        MAILBOX, mail_clients.gmail(group).replace(f"To: {MAILBOX}".encode(), b"To: a:b:c;;, " + MAILBOX.encode())
    )
    huge = reply("Paid. " * 250_000)  # 3 MB with its HTML twin: over the 2 MB a workflow takes in one message
    imap.append(MAILBOX, mail_clients.gmail(huge))
    too_large = reply("x" * MAX_MAIL)
    imap.append(MAILBOX, mail_clients.gmail(too_large))
    # Spam with a raw 8-bit byte in its Message-ID: no database takes the text IMAP makes of it.
    imap.append(MAILBOX, b"From: seo@spam.example\r\nTo: billing@ams.example\r\nMessage-ID: <caf\xe9@spam.example>\r\n"
                         b"Subject: Offer\r\n\r\nBuy now\r\n")  # fmt: skip
    after = reply("Still there?")
    imap.append(MAILBOX, mail_clients.gmail(after))
    assert await sync(stack, account["id"]) == MailboxSyncResult(read=3, routed=3, failed=1)
    assert (await sync(stack, account["id"])).read == 0  # the position moved past each of them

    found = (await stack.http.get(f"/api/email-accounts/{account['id']}")).json()
    assert found["sync_error"] is None
    [failed] = (await stack.http.get("/api/inbound", params={"status": "failed"})).json()["items"]
    assert "larger than the 5,000,000" in failed["problem"] and "OUTREACH_INBOUND_MAX_BYTES" in failed["problem"]
    with Session(stack.engine) as session:
        kept = {row.message_id: row for row in session.exec(select(InboundMessage))}
    assert kept[group.message_id].reply == "Can I pay on Friday?"
    assert kept[huge.message_id].text.startswith(huge.new.strip())  # the whole of it stays in the database
    assert kept[failed_id := too_large.message_id].status == "failed" and kept[failed_id].raw is None

    async def customer_said() -> list[str] | None:
        entries = (await stack.http.get(f"/api/inbox/{action['id']}")).json()["timeline"]
        bodies = [entry["body"] for entry in entries if entry["sender"] == "customer"]
        return bodies if len(bodies) == 3 else None

    bodies = await poll(customer_said, "the three replies on the timeline")
    assert "Can I pay on Friday?" in bodies and "Still there?" in bodies
    assert max(len(body) for body in bodies) <= WORKFLOW_BODY_MAX_CHARS


async def test_a_bounce_fails_only_a_delivery_of_the_mailbox_location(
    stack: Stack,
    smtp: Mailbox,  # noqa: F811
    imap: Dovecot,
) -> None:
    account = await synced_account(stack, smtp, imap)
    await emailed_from(stack, account, smtp)
    with Session(stack.engine) as session:
        ours = session.exec(select(Delivery)).one()
        other = session.exec(select(Location.id).where(col(Location.id) != ours.location_id)).first()
        assert other is not None
        elsewhere = Delivery(**{**ours.model_dump(), "id": "elsewhere", "location_id": other,
                                "message_id": "<elsewhere@other.example>"})  # fmt: skip
        session.add(elsewhere)
        session.commit()
        status, customer = ours.status, ours.to_address
    # A report naming another location's Message-ID (anyone who saw it can copy it) reaches this mailbox.
    imap.append(MAILBOX, mail_clients.bounce("<elsewhere@other.example>", customer, MAILBOX, "550 User unknown"))
    assert await sync(stack, account["id"]) == MailboxSyncResult(read=1, unmatched=1)
    with Session(stack.engine) as session:
        kept = session.get(Delivery, "elsewhere")
        assert kept is not None and kept.status == status  # not bounced


class _Garbled(socketserver.StreamRequestHandler):
    """An IMAP server that logs in and lists its folders, then answers STATUS with numbers that are not."""

    def handle(self) -> None:
        self.wfile.write(b"* OK IMAP4rev1 ready\r\n")
        while line := self.rfile.readline():
            tag, _, command = line.decode().strip().partition(" ")
            verb = command.split(" ")[0].upper()
            if verb == "CAPABILITY":
                self.wfile.write(b"* CAPABILITY IMAP4rev1\r\n")
            elif verb == "LIST":
                self.wfile.write(b'* LIST (\\HasNoChildren) "/" INBOX\r\n')
            elif verb == "STATUS":
                self.wfile.write(b"* STATUS INBOX (UIDVALIDITY one UIDNEXT two)\r\n")
            elif verb == "LOGOUT":
                self.wfile.write(b"* BYE\r\n" + f"{tag} OK bye\r\n".encode())
                return
            self.wfile.write(f"{tag} OK done\r\n".encode())


class _OverTls(socketserver.ThreadingTCPServer):
    """The garbled server behind implicit TLS, as every mail server an account may use is."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self.context = context
        super().__init__(("127.0.0.1", 0), _Garbled)

    def get_request(self) -> tuple[ssl.SSLSocket, Any]:
        connection, address = super().get_request()
        return self.context.wrap_socket(connection, server_side=True), address


async def test_whatever_stops_a_sync_is_written_to_the_account(
    stack: Stack,
    smtp: Mailbox,  # noqa: F811
    certificates: Certificates,
) -> None:
    server = _OverTls(certificates.server_context())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        account = await connected_account(stack, smtp, imap_host="127.0.0.1", imap_port=server.server_address[1],
                                          imap_security="ssl")  # fmt: skip

        async def stopped() -> str | None:
            found = (await stack.http.get(f"/api/email-accounts/{account['id']}")).json()
            return found["sync_error"]

        # Was empty: the account looked healthy while no sync ever finished.
        assert "The sync stopped on an unexpected error" in await poll(stopped, "the sync's error on the account")
    finally:
        server.shutdown()
        server.server_close()
