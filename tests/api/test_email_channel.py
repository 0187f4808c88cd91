"""The `email` channel end to end against a real SMTP server (STARTTLS with the tests' own authority, reached
through the allow-list as a deployment's in-house server would be): an operator connects the team's mailbox, tests it,
and approves a proposal from it or from the location default; the mail that arrives has the right sender, our
Message-ID, the sanitised body and no injected header. Every reason an account cannot send is refused in the
product's words before anything reaches the workflow."""

import email
import email.policy
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlmodel import Session, select

from domain.channels import UNTRACKED_REPLIES
from models.messages import DeliveryStatus
from models.operators import Permission, create_operator
from models.tables import Delivery, TimelineEntry
from settings import Settings
from tests.conftest import PORTAL_SECRET, REPLY_SECRET, Stack, free_port, poll
from tests.fakes.tls import Certificates

# What it tests is SMTP, STARTTLS and the sending account's checks, not the database (see the marker).
pytestmark = pytest.mark.one_database

PASSWORD = "mailbox-password"
SECRET = "OUTREACH_MAILBOX_SECRET_BILLING"  # where the tests' accounts have their password


@dataclass
class Mailbox:
    """What the SMTP server received, and who logged in."""

    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == PASSWORD.encode()
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok)


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch, certificates: Certificates) -> Iterator[Mailbox]:
    """A real SMTP server on 127.0.0.1 offering STARTTLS, and logins only over it."""
    monkeypatch.setenv(SECRET, PASSWORD)
    certificates.trusted(monkeypatch)
    mailbox = Mailbox(port=free_port())
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port, authenticator=mailbox.authenticate,
                            tls_context=certificates.server_context(), auth_require_tls=True)  # fmt: skip
    controller.start()
    yield mailbox
    controller.stop()


@pytest.fixture
def settings(tmp_path: Path, database_url: str, smtp: Mailbox) -> Settings:
    """The location default goes through the test SMTP server as a relay that needs no login; accounts may reach
    the tests' local servers as an admin's allow-list lets them reach an in-house one."""
    return Settings(data_dir=tmp_path, DATABASE_URL=database_url, smtp_host="127.0.0.1", smtp_port=smtp.port,
                    smtp_security="none", mail_host_allowlist=("127.0.0.1",), reply_token_secret=REPLY_SECRET,
                    portal_link_secret=PORTAL_SECRET)  # fmt: skip


async def connected_account(stack: Stack, smtp: Mailbox, **overrides: Any) -> dict[str, Any]:
    body = {"location_id": "ams", "email": "billing@ams.example", "display_name": "Amsterdam Billing",
            "smtp_host": "127.0.0.1", "smtp_port": smtp.port, "smtp_security": "starttls",
            "secret_ref": f"env:{SECRET}", **overrides}  # fmt: skip
    created = await stack.http.post("/api/email-accounts", json=body)
    assert created.status_code == 201, created.text
    tested = await stack.http.post(f"/api/email-accounts/{created.json()['id']}/test")
    assert tested.status_code == 200
    return tested.json()


async def sent(stack: Stack, action_id: str) -> dict[str, Any]:
    async def done() -> dict[str, Any] | None:
        detail = (await stack.http.get(f"/api/inbox/{action_id}")).json()
        return detail if detail["status"] == "sent" else None

    return await poll(done, "the email to be sent")


async def test_from_a_connected_account_the_mail_arrives_as_the_team_wrote_it(stack: Stack, smtp: Mailbox) -> None:
    account = await connected_account(stack, smtp)
    assert (account["status"], account["last_error"], smtp.logins) == ("connected", None, ["billing@ams.example"])
    assert "mailbox-password" not in str(account)
    action = await stack.pending_email()
    detail = (await stack.http.get(f"/api/inbox/{action['id']}")).json()
    email_option = next(option for option in detail["channel_options"] if option["channel"] == "email")
    assert email_option == {"channel": "email", "available": True, "warning": None}
    assert {"send_from": account["id"], "email": "billing@ams.example", "available": True, "warning": None} in (
        detail["send_from_options"]
    )

    approved = await stack.http.post(f"/api/inbox/{action['id']}/approve", json={
        "channel": "email", "send_from": account["id"], "subject": "About your invoice",
        "body_html": "<p>Hello {{first_name}}, see <a href='https://pay.example'>the link</a>.</p><script>x</script>",
    })  # fmt: skip
    assert approved.status_code == 200, approved.text
    await sent(stack, action["id"])
    [mail] = smtp.messages
    with Session(stack.engine) as session:
        delivery = session.exec(select(Delivery).where(Delivery.proposed_action_id == action["id"])).one()
        entry = session.get(TimelineEntry, f"delivery:{delivery.id}")
    assert mail["From"] == "Amsterdam Billing <billing@ams.example>"
    assert mail["To"] == delivery.to_address
    assert mail["Subject"] == "About your invoice"
    assert mail["Message-ID"] == delivery.message_id and delivery.message_id.endswith("@ams.example>")
    assert mail["X-Auto-Response-Suppress"] == "OOF, AutoReply"
    html = mail.get_body(("html",))
    assert html is not None
    assert "<script>" not in html.get_content() and 'href="https://pay.example"' in html.get_content()
    assert (delivery.provider, delivery.status, delivery.channel) == ("smtp", DeliveryStatus.sent, "email")
    assert entry is not None and (entry.sender, entry.channel) == ("operator", "email")


async def test_from_the_location_default_with_the_warning_that_replies_go_untracked(
    stack: Stack, smtp: Mailbox
) -> None:
    action = await stack.pending_email()
    detail = (await stack.http.get(f"/api/inbox/{action['id']}")).json()
    email_option = next(option for option in detail["channel_options"] if option["channel"] == "email")
    assert email_option["warning"] == UNTRACKED_REPLIES
    assert detail["send_from_options"][0]["warning"] == UNTRACKED_REPLIES
    answer = await stack.http.post(f"/api/inbox/{action['id']}/approve",
                                   json={"channel": "email", "send_from": "location_default"})  # fmt: skip
    assert answer.status_code == 200, answer.text
    await sent(stack, action["id"])
    [mail] = smtp.messages
    assert mail["From"].addresses[0].addr_spec == detail["send_from_options"][0]["email"]


async def test_every_reason_an_account_cannot_send_is_refused_in_words(stack: Stack, smtp: Mailbox) -> None:
    action = await stack.pending_email()
    good = await connected_account(stack, smtp)
    elsewhere = await connected_account(stack, smtp, location_id="atx", email="billing@atx.example")
    wrong_password = await connected_account(stack, smtp, email="sales@ams.example",
                                             secret_ref="env:OUTREACH_MAILBOX_SECRET_NOT_SET")  # fmt: skip
    not_syncing = await connected_account(stack, smtp, email="team@ams.example", syncing=False)
    untested = (await stack.http.post("/api/email-accounts", json={
        "location_id": "ams", "email": "new@ams.example", "smtp_host": "127.0.0.1", "secret_ref": f"env:{SECRET}"}
    )).json()  # fmt: skip
    disconnected = await stack.http.post(f"/api/email-accounts/{good['id']}/disconnect")
    assert disconnected.json()["status"] == "disconnected"
    assert wrong_password["status"] == "error"
    cases = {
        elsewhere["id"]: "The email account billing@atx.example belongs to another location",
        wrong_password["id"]: "The email account sales@ams.example failed its last connection test (sales@ams.example: "
        f"the SMTP server 127.0.0.1:{smtp.port} has no usable password (the environment variable "
        "OUTREACH_MAILBOX_SECRET_NOT_SET is not set).)",
        not_syncing["id"]: "The email account team@ams.example is not syncing, so the customer's reply would not be "
        "tracked",
        untested["id"]: "The email account new@ams.example is not connected; test its connection",
        good["id"]: "The email account billing@ams.example is not connected",
    }
    for send_from, words in cases.items():
        answer = await stack.http.post(f"/api/inbox/{action['id']}/approve",
                                       json={"channel": "email", "send_from": send_from})  # fmt: skip
        assert answer.status_code == 422, answer.text
        assert words in answer.json()["detail"]
    # An operator who reviews proposals but may not send from accounts.
    await stack.http.post(f"/api/email-accounts/{good['id']}/test")
    reviewer = create_operator(stack.engine, name="Desk", email="desk@ams.example", location_ids=["ams"],
                               is_admin=False, permissions=[Permission.proposed_action])  # fmt: skip
    answer = await stack.http.post(f"/api/inbox/{action['id']}/approve", headers=stack.as_operator(reviewer),
                                   json={"channel": "email", "send_from": good["id"]})  # fmt: skip
    assert answer.status_code == 422
    assert "needs the emailAccount permission" in answer.json()["detail"]
    assert (await stack.http.get(f"/api/inbox/{action['id']}")).json()["status"] == "pending"
    assert smtp.messages == []


async def test_accounts_refuse_secrets_and_line_breaks_and_need_the_permission(stack: Stack, smtp: Mailbox) -> None:
    base = {"location_id": "ams", "email": "ops@ams.example", "smtp_host": "127.0.0.1", "secret_ref": f"env:{SECRET}"}
    for change, words in (
        ({"secret_ref": "hunter2"}, "never the password itself"),
        ({"display_name": "Ops\r\nBcc: everyone@example.com"}, "cannot contain line breaks"),
        ({"email": "ops@ams.example\r\nBcc: x@example.com"}, "email:"),
        ({"smtp_host": None}, "a generic account needs its SMTP server"),
    ):
        answer = await stack.http.post("/api/email-accounts", json={**base, **change})
        assert answer.status_code == 422, (change, answer.text)
        assert words in answer.json()["detail"]
    reviewer = create_operator(stack.engine, name="Desk", email="desk2@ams.example", location_ids=["ams"],
                               is_admin=False, permissions=[Permission.proposed_action])  # fmt: skip
    answer = await stack.http.post("/api/email-accounts", json=base, headers=stack.as_operator(reviewer))
    assert answer.status_code == 403 and "emailAccount" in answer.json()["detail"]
    preset = await stack.http.post("/api/email-accounts", json={**base, "smtp_host": None, "preset": "office365"})
    assert (preset.json()["smtp_host"], preset.json()["imap_host"]) == ("smtp.office365.com", "outlook.office365.com")
