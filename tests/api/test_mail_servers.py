"""Connected email accounts, attacked as an operator of one location would: an account cannot name a secret of the
API or the worker, nor a device or a pipe; only a `mailServer` manager chooses servers and secrets; a changed
server disconnects the account and stops its sync until it is tested again; no password goes out without TLS and
a verified certificate; a server must be public and on a mail port unless an admin allow-lists it, at the API and
again when connecting; what a server says never reaches the account's errors (no port scanner with banner
grabbing); and only the account's managers see its secret's place and its errors. Against real servers: aiosmtpd
and dovecot, over TLS from the tests' own authority."""

import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import Session
from temporalio.client import WorkflowFailureError
from temporalio.service import RPCError

from domain.ids import mailbox_sync_id
from models.messages import EmailAccountStatus, MailboxSyncInput, MailboxSyncResult, SmtpSecurity
from models.operators import Permission, create_operator, grant
from models.tables import EmailAccount
from settings import Settings
from tests.api.test_email_channel import PASSWORD, SECRET, Mailbox, smtp  # noqa: F401
from tests.conftest import PORTAL_SECRET, REPLY_SECRET, Stack, free_port, poll
from tests.fakes.dovecot import Dovecot, running_dovecot
from tests.fakes.tls import Certificates, issue
from workflows.mailbox_sync import MailboxSyncWorkflow

# What it tests is SMTP and IMAP servers, not the database: SQLite in `make test` (see the marker).
pytestmark = pytest.mark.one_database

MAILBOX = "billing@ams.example"
BANNER = b"SSH-2.0-OpenSSH_9.6 internal-build-host-7"  # what a port scanner would love to read back
# The allow-list names the local servers by name: their address, 127.0.0.1, stays a loopback address like any.
ALLOWED = "localhost"


@pytest.fixture
def imap(certificates: Certificates) -> Iterator[Dovecot]:
    with running_dovecot({MAILBOX: PASSWORD}, certificates) as server:
        yield server


@pytest.fixture
def secrets_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "mailbox-secrets"
    folder.mkdir()
    return folder


@pytest.fixture
def settings(tmp_path: Path, database_url: str, secrets_dir: Path) -> Settings:
    return Settings(data_dir=tmp_path, DATABASE_URL=database_url, mailbox_sync_interval=timedelta(hours=1),
                    mail_host_allowlist=(ALLOWED,), mailbox_secrets_dir=secrets_dir, reply_token_secret=REPLY_SECRET,
                    portal_link_secret=PORTAL_SECRET)  # fmt: skip


@dataclass
class Listener:
    """A TCP server that is not a mail server: it says its banner to whoever connects, and counts them."""

    port: int
    accepted: list[str] = field(default_factory=list)


@contextmanager
def listening(banner: bytes, certificates: Certificates | None = None) -> Iterator[Listener]:
    """Over TLS when given certificates (as an IMAP server on port 993 would speak), else in the clear."""
    server = socket.create_server(("127.0.0.1", 0))
    listener = Listener(port=server.getsockname()[1])
    context = certificates.server_context() if certificates else None

    def serve() -> None:
        while True:
            try:
                connection, peer = server.accept()
            except OSError:
                return  # closed: the test is over
            listener.accepted.append(peer[0])
            try:
                with context.wrap_socket(connection, server_side=True) if context else connection as speaking:
                    speaking.sendall(banner + b"\r\n")
                    speaking.recv(1024)
            except OSError:
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener
    finally:
        server.shutdown(socket.SHUT_RDWR)  # wakes the accept() the thread waits in (closing alone does not)
        server.close()
        thread.join(timeout=5)


def account_body(smtp: Mailbox, **overrides: Any) -> dict[str, Any]:  # noqa: F811
    return {"location_id": "ams", "email": MAILBOX, "smtp_host": ALLOWED, "smtp_port": smtp.port,
            "smtp_security": "starttls", "secret_ref": f"env:{SECRET}", "syncing": False, **overrides}  # fmt: skip


def left_by_an_earlier_version(stack: Stack, **fields: Any) -> str:
    """An account row as an earlier version let an operator save it; answers its id."""
    defaults = {"smtp_host": ALLOWED, "smtp_port": 587, "smtp_security": SmtpSecurity.starttls,
                "secret_ref": f"env:{SECRET}", "syncing": False}  # fmt: skip
    account = EmailAccount(id=f"acct-{uuid.uuid4().hex[:12]}", location_id="ams", email=MAILBOX, username=MAILBOX,
                           **{**defaults, **fields})  # fmt: skip
    with Session(stack.engine) as session:
        session.add(account)
        session.commit()
        return account.id


async def sync(stack: Stack, account_id: str) -> MailboxSyncResult:
    return await stack.client.execute_workflow(MailboxSyncWorkflow.run, MailboxSyncInput(email_account_id=account_id),
                                               id=f"sync-{uuid.uuid4()}", task_queue=stack.task_queue)  # fmt: skip


async def connection_tested(stack: Stack, account_id: str) -> dict[str, Any]:
    answer = await stack.http.post(f"/api/email-accounts/{account_id}/test")
    assert answer.status_code == 200, answer.text
    return answer.json()


def operator(stack: Stack, *permissions: Permission) -> dict[str, str]:
    token = create_operator(stack.engine, name="Ams ops", email="ops@ams.example", location_ids=["ams"],
                            is_admin=False, permissions=list(permissions))  # fmt: skip
    return stack.as_operator(token)


async def test_a_secret_ref_names_only_a_mailbox_secret(
    stack: Stack,
    smtp: Mailbox,  # noqa: F811
    secrets_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OUTREACH_PORTAL_LINK_SECRET", "the-portal-secret")
    (secrets_dir / "escape").symlink_to("/proc/self/environ")
    refused = [
        "file:/proc/self/environ",
        "env:PATH",
        "env:OUTREACH_PORTAL_LINK_SECRET",
        "file:../dev-admin-token",
        f"file:{secrets_dir}/../dev-admin-token",
        "file:escape",
        "file:/dev/zero",
        "hunter2",
        "env:",
    ]
    for ref in refused:
        answer = await stack.http.post("/api/email-accounts", json=account_body(smtp, secret_ref=ref))
        assert answer.status_code == 422, (ref, answer.text)
        detail = answer.json()["detail"]
        assert detail.startswith("secret_ref: "), detail
        assert "env:OUTREACH_MAILBOX_SECRET_<NAME>" in detail and "OUTREACH_MAILBOX_SECRETS_DIR" in detail, detail
        assert "never the password itself" in detail
    assert (await stack.http.get("/api/email-accounts")).json() == []

    (secrets_dir / "billing").write_text(PASSWORD + "\n")
    for ref in (f"env:{SECRET}", "file:billing", f"file:{secrets_dir}/billing"):
        created = await stack.http.post("/api/email-accounts", json=account_body(smtp, secret_ref=ref))
        assert created.status_code == 201, (ref, created.text)
        assert (await connection_tested(stack, created.json()["id"]))["status"] == "connected"
    assert smtp.logins == [MAILBOX] * 3


async def test_a_secret_ref_is_checked_again_when_the_password_is_read(
    stack: Stack,
    smtp: Mailbox,  # noqa: F811
    imap: Dovecot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OUTREACH_PORTAL_LINK_SECRET", "the-portal-secret")
    # Saved before the rules existed: the connection test and the worker's sync both refuse to read it.
    stale = left_by_an_earlier_version(stack, smtp_port=smtp.port, secret_ref="env:OUTREACH_PORTAL_LINK_SECRET",
                                       imap_host=ALLOWED, imap_port=imap.port, syncing=True,
                                       status=EmailAccountStatus.connected)  # fmt: skip
    refused = (
        f"{MAILBOX}: the SMTP server {ALLOWED}:{smtp.port} has no usable password ('env:OUTREACH_PORTAL_LINK_SECRET' "
        "is not allowed; name where the password is: env:OUTREACH_MAILBOX_SECRET_<NAME>"
    )
    with pytest.raises(WorkflowFailureError):
        await sync(stack, stale)
    with Session(stack.engine) as session:
        account = session.get(EmailAccount, stale)
        assert account is not None and account.sync_error is not None
        assert account.sync_error.startswith(refused.replace("SMTP", "IMAP").replace(str(smtp.port), str(imap.port)))
    after = await connection_tested(stack, stale)
    assert after["status"] == "error" and after["last_error"].startswith(refused), after["last_error"]
    assert "the-portal-secret" not in str(after)
    assert smtp.logins == []


async def test_a_secret_file_is_a_small_regular_text_file(
    stack: Stack,
    smtp: Mailbox,  # noqa: F811
    secrets_dir: Path,
) -> None:
    os.mkfifo(secrets_dir / "pipe")  # opening it would wait for a writer for ever
    (secrets_dir / "big").write_text("x" * 100_000)
    (secrets_dir / "binary").write_bytes(b"\xff\xfe\x00binary")
    (secrets_dir / "accented").write_text("pässwörd")
    (secrets_dir / "zero").symlink_to("/dev/zero")  # reading it would never end
    cases = {
        "pipe": "pipe is not a regular file",
        "big": "the file big is larger than 4096 bytes: not a password",
        "binary": "the file binary is not UTF-8 text",
        "accented": "the password holds characters other than printable ASCII, which SMTP and IMAP logins cannot carry",
        "missing": "the file missing does not exist or cannot be read",
    }
    for name, words in cases.items():
        created = await stack.http.post("/api/email-accounts", json=account_body(smtp, secret_ref=f"file:{name}"))
        assert created.status_code == 201, created.text
        after = await connection_tested(stack, created.json()["id"])
        assert after["status"] == "error"
        assert after["last_error"] == f"{MAILBOX}: the SMTP server {ALLOWED}:{smtp.port} has no usable password " \
                                      f"({words}).", after["last_error"]  # fmt: skip
    zero = left_by_an_earlier_version(stack, smtp_port=smtp.port, secret_ref="file:zero")
    assert (
        "is not a file in the folder OUTREACH_MAILBOX_SECRETS_DIR"
        in (await connection_tested(stack, zero))["last_error"]
    )
    assert smtp.logins == []


async def test_only_a_mail_server_manager_chooses_servers_and_secrets(
    stack: Stack,
    smtp: Mailbox,  # noqa: F811
) -> None:
    created = await stack.http.post("/api/email-accounts", json=account_body(smtp))
    account = created.json()
    ops = operator(stack, Permission.email_account)
    answer = await stack.http.post("/api/email-accounts", json=account_body(smtp, email="x@ams.example"), headers=ops)
    assert answer.status_code == 403
    assert answer.json()["detail"] == (
        "Ams ops may not choose the mail servers of email accounts (hosts, ports, security) and where their "
        "passwords are: that needs the mailServer permission. An admin can grant it: outreach operators grant "
        "ops@ams.example --permission mailServer"
    )
    for change in ({"smtp_host": "smtp.gmail.com"}, {"smtp_port": 465}, {"smtp_security": "ssl"},
                   {"imap_host": ALLOWED}, {"imap_port": 143}, {"imap_security": "starttls"},
                   {"secret_ref": "env:OUTREACH_MAILBOX_SECRET_OTHER"}):  # fmt: skip
        answer = await stack.http.patch(f"/api/email-accounts/{account['id']}", json=change, headers=ops)
        assert answer.status_code == 403, change
        assert "needs the mailServer permission" in answer.json()["detail"]
    assert (await stack.http.get(f"/api/email-accounts/{account['id']}")).json() == account
    # What decides no connection stays theirs, and so does naming the server it already has.
    same = {"display_name": "Billing", "smtp_host": ALLOWED, "secret_ref": f"env:{SECRET}"}
    answer = await stack.http.patch(f"/api/email-accounts/{account['id']}", json=same, headers=ops)
    assert answer.status_code == 200 and answer.json()["display_name"] == "Billing"
    grant(stack.engine, "ops@ams.example", [Permission.mail_server])
    await poll(lambda: _patched(stack, account["id"], {"smtp_port": 587}, ops), "the granted permission to count")


async def _patched(stack: Stack, account_id: str, change: dict[str, Any], headers: dict[str, str]) -> bool:
    return (await stack.http.patch(f"/api/email-accounts/{account_id}", json=change, headers=headers)).is_success


async def test_a_changed_server_disconnects_the_account_and_stops_its_sync(
    stack: Stack,
    smtp: Mailbox,  # noqa: F811
    imap: Dovecot,
) -> None:
    created = await stack.http.post("/api/email-accounts", json=account_body(
        smtp, syncing=True, imap_host=ALLOWED, imap_port=imap.port))  # fmt: skip
    account = created.json()
    schedule = stack.client.get_schedule_handle(mailbox_sync_id(account["id"]))
    with pytest.raises(RPCError):  # never tested: never read
        await schedule.describe()
    assert (await connection_tested(stack, account["id"]))["status"] == "connected"
    await schedule.describe()

    # Where the mail is read from changes (here to the same server, by its absolute name): no more reading, nor
    # sending, with the password until someone who may tests the new server.
    changed = await stack.http.patch(f"/api/email-accounts/{account['id']}", json={"imap_host": f"{ALLOWED}."})
    assert changed.status_code == 200, changed.text
    assert changed.json()["status"] == "disconnected"
    with pytest.raises(RPCError):
        await schedule.describe()
    result = await sync(stack, account["id"])
    assert result.note and "not connected" in result.note
    assert (await stack.http.get(f"/api/email-accounts/{account['id']}")).json()["status"] == "disconnected"

    # Tested, the new server is tried as the sync would: here none answers, and the test says so in its words.
    moved = {"imap_host": ALLOWED, "imap_port": imap.port + 1}
    assert (await stack.http.patch(f"/api/email-accounts/{account['id']}", json=moved)).status_code == 200
    failed = await connection_tested(stack, account["id"])
    assert failed["status"] == "error"
    assert failed["last_error"] == f"{MAILBOX}: the IMAP server {ALLOWED}:{imap.port + 1} refused the connection."
    with pytest.raises(RPCError):
        await schedule.describe()
    await stack.http.patch(f"/api/email-accounts/{account['id']}", json={"imap_port": imap.port})
    assert (await connection_tested(stack, account["id"]))["status"] == "connected"
    await schedule.describe()


async def test_no_password_without_tls_and_a_verified_certificate(
    stack: Stack,
    smtp: Mailbox,  # noqa: F811
    tmp_path: Path,
) -> None:
    for change in ({"smtp_security": "none"}, {"imap_host": ALLOWED, "imap_port": 143, "imap_security": "none"}):
        answer = await stack.http.post("/api/email-accounts", json=account_body(smtp, **change))
        assert answer.status_code == 422, change
        assert "may not be used: a password is only sent over TLS: use starttls or ssl" in answer.json()["detail"]
    plain = left_by_an_earlier_version(stack, smtp_port=smtp.port, smtp_security=SmtpSecurity.none)
    assert (await connection_tested(stack, plain))["last_error"] == (
        f"{MAILBOX}: the SMTP server {ALLOWED}:{smtp.port} is not allowed (a password is only sent over TLS: use "
        "starttls or ssl, with a certificate valid for the host name)."
    )
    # A server whose certificate no trusted authority issued: as good as a stranger in the middle.
    stranger = issue(tmp_path / "stranger")
    impostor = Mailbox(port=free_port())
    controller = Controller(impostor, hostname="127.0.0.1", port=impostor.port, authenticator=impostor.authenticate,
                            tls_context=stranger.server_context())  # fmt: skip
    controller.start()
    try:
        unverified = left_by_an_earlier_version(stack, smtp_port=impostor.port)
        after = await connection_tested(stack, unverified)
    finally:
        controller.stop()
    assert after["last_error"] == (
        f"{MAILBOX}: the SMTP server {ALLOWED}:{impostor.port} failed TLS: it offers none, or its certificate is "
        "not valid for the host."
    )
    assert smtp.logins == [] and impostor.logins == []


async def test_mail_hosts_are_public_and_on_mail_ports(stack: Stack, smtp: Mailbox) -> None:  # noqa: F811
    cases = {
        ("127.0.0.1", 25): "127.0.0.1 is a loopback address (this machine)",
        ("169.254.169.254", 25): "169.254.169.254 is a link-local address (where cloud metadata services live)",
        ("10.0.0.8", 587): "10.0.0.8 is a private address",
        ("100.64.1.1", 587): "100.64.1.1 is in the shared address space of carrier-grade NAT",
        ("::ffff:127.0.0.1", 587): "::ffff:127.0.0.1 carries 127.0.0.1, a loopback address (this machine)",
        ("0.0.0.0", 587): "0.0.0.0 is unspecified",
        ("224.0.0.1", 587): "224.0.0.1 is a multicast address",
        ("8.8.8.8", 22): "port 22 is not a mail port (use one of 25, 465, 587, 2525, 143, 993)",
        ("mail server", 587): "'mail server' is not a host name or an IP address",
    }
    for (host, port), words in cases.items():
        for servers in ({"smtp_host": host, "smtp_port": port}, {"imap_host": host, "imap_port": port}):
            answer = await stack.http.post("/api/email-accounts", json=account_body(smtp, **servers))
            assert answer.status_code == 422, (servers, answer.text)
            assert words in answer.json()["detail"], answer.json()["detail"]
    answer = await stack.http.post("/api/email-accounts", json=account_body(smtp, smtp_host="127.0.0.1"))
    assert answer.json()["detail"] == (
        f"The SMTP server 127.0.0.1:{smtp.port} may not be used: 127.0.0.1 is not a public mail server: "
        "127.0.0.1 is a loopback address (this machine). Only an admin can allow-list a host in "
        "OUTREACH_MAIL_HOST_ALLOWLIST."
    )


async def test_a_server_is_checked_again_when_connecting_and_its_words_are_never_shown(
    stack: Stack,
    smtp: Mailbox,  # noqa: F811
    imap: Dovecot,
    certificates: Certificates,
) -> None:
    with listening(BANNER) as scanned:
        # Saved before the rules (or resolving elsewhere since): never connected to.
        internal = left_by_an_earlier_version(stack, smtp_host="127.0.0.1", smtp_port=scanned.port)
        after = await connection_tested(stack, internal)
        assert after["last_error"] == (
            f"{MAILBOX}: the SMTP server 127.0.0.1:{scanned.port} is not allowed (127.0.0.1 is not a public mail "
            "server: 127.0.0.1 is a loopback address (this machine). Only an admin can allow-list a host in "
            "OUTREACH_MAIL_HOST_ALLOWLIST)."
        )
        assert scanned.accepted == []
        # An allowed host that is no mail server: what it said stays out of the error.
        allowed = left_by_an_earlier_version(stack, smtp_port=scanned.port)
        after = await connection_tested(stack, allowed)
        assert scanned.accepted
        assert after["last_error"] == f"{MAILBOX}: the SMTP server {ALLOWED}:{scanned.port} did not answer as a " \
                                      "mail server does."  # fmt: skip

    with listening(b"* BYE " + BANNER, certificates) as scanned:
        reading = left_by_an_earlier_version(stack, smtp_port=smtp.port, imap_host=ALLOWED, imap_port=scanned.port,
                                             syncing=True, status=EmailAccountStatus.connected)  # fmt: skip
        with pytest.raises(WorkflowFailureError):
            await sync(stack, reading)
        after = (await stack.http.get(f"/api/email-accounts/{reading}")).json()
        assert after["sync_error"] == f"{MAILBOX}: the IMAP server {ALLOWED}:{scanned.port} did not answer as a " \
                                      "mail server does."  # fmt: skip
        tested_again = await connection_tested(stack, reading)
        assert tested_again["last_error"] == after["sync_error"]
    for shown in (after, tested_again):
        assert "SSH" not in str(shown) and "internal-build-host" not in str(shown)


async def test_only_the_accounts_managers_see_where_the_password_is_and_what_went_wrong(
    stack: Stack,
    smtp: Mailbox,  # noqa: F811
) -> None:
    created = await stack.http.post("/api/email-accounts", json=account_body(
        smtp, secret_ref="env:OUTREACH_MAILBOX_SECRET_MISSING", syncing=True))  # fmt: skip
    failed = await connection_tested(stack, created.json()["id"])
    assert failed["status"] == "error" and "OUTREACH_MAILBOX_SECRET_MISSING" in failed["last_error"]
    private = {"secret_ref", "last_error", "sync_error"}
    reader = operator(stack, Permission.proposed_action)
    [seen] = (await stack.http.get("/api/email-accounts", headers=reader)).json()
    assert private.isdisjoint(seen) and seen["status"] == "error" and seen["email"] == MAILBOX
    assert (await stack.http.get(f"/api/email-accounts/{seen['id']}", headers=reader)).json() == seen
    assert private <= (await stack.http.get(f"/api/email-accounts/{seen['id']}")).json().keys()

    action = await stack.pending_email()
    detail = (await stack.http.get(f"/api/inbox/{action['id']}", headers=reader)).json()
    [option] = [option for option in detail["send_from_options"] if option["send_from"] == seen["id"]]
    assert "OUTREACH_MAILBOX_SECRET" not in str(option) and "needs the emailAccount permission" in option["warning"]
