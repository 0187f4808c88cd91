"""Connected email accounts: the team's own mailboxes the `email` channel sends from (and, with sync on and an
IMAP server, reads replies from: each connected such account has a mailbox sync schedule, kept in step here).
Secrets are never stored or returned: an account names where its password is (`secret_ref`).

Reading them needs no permission, but where the password is and what went wrong are shown to those who manage
them (`emailAccount`) only; connecting, changing, testing and disconnecting need `emailAccount`, and naming the
servers and the password's place needs `mailServer` as well — they decide where the API and the worker connect
and what they send there. A changed connection disconnects the account (no sending, no sync) until its
connection is tested again."""

import uuid
from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, status
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from api.auth import can_access, location_filter, may
from api.deps import (
    ClientDep,
    CurrentOperator,
    MailboxManager,
    MailServerRulesDep,
    SessionDep,
    SettingsDep,
    forbidden,
)
from api.queries import visible_location
from api.schemas import EmailAccountCreate, EmailAccountManaged, EmailAccountPublic, EmailAccountUpdate
from models.db import release
from models.messages import EmailAccountStatus, SmtpSecurity
from models.operators import Permission, normalized_email
from models.tables import EmailAccount, Operator
from providers.imap import ImapReader, account_imap
from providers.mail_servers import MailServerRules
from providers.outcomes import Refused, Unavailable
from providers.smtp import PRESETS, SmtpMailer, account_server
from schedules import ensure_mailbox_sync

router = APIRouter(prefix="/api/email-accounts", tags=["email accounts"])

# Where the API and the worker connect, and what password they send there: `mailServer` decides these.
_SERVERS = {"smtp_host", "smtp_port", "smtp_security", "imap_host", "imap_port", "imap_security", "secret_ref"}
# What changes how the account connects: after a change to one of these, it must be tested again.
_CONNECTION = _SERVERS | {"username"}


def _saved(session: Session, account: EmailAccount) -> EmailAccount:
    session.add(account)
    session.commit()  # and the connection goes back to the pool: what follows awaits the workflow service
    return account


def _visible(session: Session, operator: Operator, account_id: str) -> EmailAccount:
    account = session.get(EmailAccount, account_id)
    if account is None or not can_access(operator, account.location_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"No email account with id {account_id!r}.")
    return account


def _shown(operator: Operator, account: EmailAccount) -> EmailAccountPublic:
    shape = EmailAccountManaged if may(operator, Permission.email_account) else EmailAccountPublic
    return shape.model_validate(account)


def _server_problem(account: EmailAccount, rules: MailServerRules) -> str | None:
    """Why the account may not connect as it says (its password's place, its servers), or None. Resolves the
    hosts: it blocks."""
    problem = rules.secret_ref_problem(account.secret_ref)
    if problem:
        return f"secret_ref: {problem}"
    servers = [("SMTP", account_server(account))] + ([("IMAP", account_imap(account))] if account.imap_host else [])
    for protocol, server in servers:
        problem = rules.server_problem(server)
        if problem:
            return f"The {protocol} server {server.host}:{server.port} may not be used: {problem}."
    return None


async def _check_servers(account: EmailAccount, rules: MailServerRules) -> None:
    problem = await run_in_threadpool(_server_problem, account, rules)
    if problem:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=problem)


@router.get("", response_model=list[EmailAccountManaged | EmailAccountPublic])
def list_accounts(session: SessionDep, operator: CurrentOperator,
                  location_id: str | None = None) -> list[EmailAccountPublic]:  # fmt: skip
    """The connected email accounts of the operator's locations."""
    query = select(EmailAccount).where(location_filter(operator, EmailAccount.location_id, location_id))
    accounts = session.exec(query.order_by(col(EmailAccount.location_id), col(EmailAccount.email))).all()
    return [_shown(operator, account) for account in accounts]


@router.get("/{account_id}", response_model=EmailAccountManaged | EmailAccountPublic)
def get_account(account_id: str, session: SessionDep, operator: CurrentOperator) -> EmailAccountPublic:
    return _shown(operator, _visible(session, operator, account_id))


@router.post("", response_model=EmailAccountManaged, status_code=status.HTTP_201_CREATED)
async def create_account(body: EmailAccountCreate, session: SessionDep, operator: MailboxManager,
                         rules: MailServerRulesDep) -> EmailAccount:  # fmt: skip
    """Connect an account; it sends, and its mail is read for replies when sync is on and it has an IMAP
    server, once its connection test passes (`POST …/{id}/test`)."""
    if not may(operator, Permission.mail_server):
        raise forbidden(operator, Permission.mail_server)
    visible_location(session, operator, body.location_id)
    try:
        email = normalized_email(body.email)
    except ValueError as error:
        raise HTTPException(422, detail=f"email: {error}") from error
    preset = PRESETS.get(body.preset)
    smtp_host = body.smtp_host or (preset.smtp_host if preset else None)
    if not smtp_host:
        raise HTTPException(422, detail="smtp_host: a generic account needs its SMTP server (or choose a preset: "
                            "google_workspace, office365).")  # fmt: skip
    account = EmailAccount(
        id=f"acct-{uuid.uuid4().hex[:12]}",
        location_id=body.location_id,
        email=email,
        display_name=body.display_name,
        preset=body.preset,
        smtp_host=smtp_host,
        smtp_port=body.smtp_port or (preset.smtp_port if preset else 587),
        smtp_security=body.smtp_security or (preset.smtp_security if preset else SmtpSecurity.starttls),
        imap_host=body.imap_host or (preset.imap_host if preset else ""),
        imap_port=body.imap_port or (preset.imap_port if preset else 993),
        imap_security=body.imap_security or SmtpSecurity.ssl,
        username=body.username or email,
        secret_ref=body.secret_ref,
        syncing=body.syncing,
    )
    await _check_servers(account, rules)
    return _saved(session, account)  # disconnected until tested: no sync schedule yet


@router.patch("/{account_id}", response_model=EmailAccountManaged)
async def update_account(account_id: str, body: EmailAccountUpdate, session: SessionDep, operator: MailboxManager,
                         client: ClientDep, settings: SettingsDep,
                         rules: MailServerRulesDep) -> EmailAccount:  # fmt: skip
    account = _visible(session, operator, account_id)
    changes = {name: value for name, value in body.model_dump(exclude_unset=True, exclude_none=True).items()
               if getattr(account, name) != value}  # fmt: skip
    if _SERVERS & changes.keys() and not may(operator, Permission.mail_server):
        raise forbidden(operator, Permission.mail_server)
    for name, value in changes.items():
        setattr(account, name, value)
    if _CONNECTION & changes.keys():
        await _check_servers(account, rules)  # refused: nothing is saved
        account.status, account.last_error = EmailAccountStatus.disconnected, None
    _saved(session, account)
    await ensure_mailbox_sync(client, account, settings)
    return account


@router.post("/{account_id}/test", response_model=EmailAccountManaged)
async def test_connection(account_id: str, session: SessionDep, operator: MailboxManager, client: ClientDep,
                          settings: SettingsDep, rules: MailServerRulesDep) -> EmailAccount:  # fmt: skip
    """Connect and log in to the account's SMTP server as a send would, and to its IMAP server as the mailbox
    sync would when it syncs; connected (and synced) if both work, else what went wrong."""
    account = _visible(session, operator, account_id)
    release(session)  # the servers can take their time to answer
    try:
        await run_in_threadpool(SmtpMailer(rules).check, account_server(account))
        if account.reads_mail:
            await run_in_threadpool(ImapReader(rules, settings.inbound_max_bytes).check, account_imap(account))
    except (Refused, Unavailable) as problem:
        account.status, account.last_error = EmailAccountStatus.error, str(problem)
    else:
        account.status, account.last_error = EmailAccountStatus.connected, None
    account.tested_at = datetime.now(UTC)
    _saved(session, account)
    await ensure_mailbox_sync(client, account, settings)
    return account


@router.post("/{account_id}/disconnect", response_model=EmailAccountManaged)
async def disconnect(account_id: str, session: SessionDep, operator: MailboxManager, client: ClientDep,
                     settings: SettingsDep) -> EmailAccount:  # fmt: skip
    """Stop sending from the account, and reading it, until its connection is tested again."""
    account = _visible(session, operator, account_id)
    account.status, account.last_error = EmailAccountStatus.disconnected, None
    _saved(session, account)
    await ensure_mailbox_sync(client, account, settings)
    return account
