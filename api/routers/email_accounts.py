"""Connected email accounts: the team's own mailboxes the `email` channel sends from (and, with sync on and an
IMAP server, reads replies from: each such account has a mailbox sync schedule, kept in step here). Secrets are
never stored or returned: an account names where its password is (`secret_ref`). Reading them needs no
permission; connecting, changing, testing and disconnecting need `emailAccount`."""

import uuid
from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, status
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from api.auth import can_access, location_filter
from api.deps import ClientDep, CurrentOperator, MailboxManager, SessionDep, SettingsDep
from api.queries import visible_location
from api.schemas import EmailAccountCreate, EmailAccountPublic, EmailAccountUpdate
from models.messages import EmailAccountStatus, SmtpSecurity
from models.operators import normalized_email
from models.tables import EmailAccount, Operator
from providers.outcomes import Refused, Unavailable
from providers.smtp import PRESETS, SmtpMailer, account_server
from schedules import ensure_mailbox_sync

router = APIRouter(prefix="/api/email-accounts", tags=["email accounts"])

# What changes how the account connects: after a change to one of these, it must be tested again.
_CONNECTION = {"smtp_host", "smtp_port", "smtp_security", "username", "secret_ref"}


def _saved(session: Session, account: EmailAccount) -> EmailAccount:
    session.add(account)
    session.commit()
    session.refresh(account)
    return account


def _visible(session: Session, operator: Operator, account_id: str) -> EmailAccount:
    account = session.get(EmailAccount, account_id)
    if account is None or not can_access(operator, account.location_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"No email account with id {account_id!r}.")
    return account


@router.get("", response_model=list[EmailAccountPublic])
def list_accounts(session: SessionDep, operator: CurrentOperator, location_id: str | None = None) -> list[EmailAccount]:
    """The connected email accounts of the operator's locations."""
    query = select(EmailAccount).where(location_filter(operator, EmailAccount.location_id, location_id))
    return list(session.exec(query.order_by(col(EmailAccount.location_id), col(EmailAccount.email))).all())


@router.get("/{account_id}", response_model=EmailAccountPublic)
def get_account(account_id: str, session: SessionDep, operator: CurrentOperator) -> EmailAccount:
    return _visible(session, operator, account_id)


@router.post("", response_model=EmailAccountPublic, status_code=status.HTTP_201_CREATED)
async def create_account(body: EmailAccountCreate, session: SessionDep, operator: MailboxManager, client: ClientDep,
                         settings: SettingsDep) -> EmailAccount:  # fmt: skip
    """Connect an account; it sends once its connection test passes (`POST …/{id}/test`), and its mail is read
    for replies from now on when sync is on and it has an IMAP server."""
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
    _saved(session, account)
    await ensure_mailbox_sync(client, account, settings)
    return account


@router.patch("/{account_id}", response_model=EmailAccountPublic)
async def update_account(account_id: str, body: EmailAccountUpdate, session: SessionDep, operator: MailboxManager,
                         client: ClientDep, settings: SettingsDep) -> EmailAccount:  # fmt: skip
    account = _visible(session, operator, account_id)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    for name, value in changes.items():
        setattr(account, name, value)
    if _CONNECTION & changes.keys():
        account.status, account.last_error = EmailAccountStatus.disconnected, None
    _saved(session, account)
    await ensure_mailbox_sync(client, account, settings)
    return account


@router.post("/{account_id}/test", response_model=EmailAccountPublic)
async def test_connection(account_id: str, session: SessionDep, operator: MailboxManager) -> EmailAccount:
    """Connect and log in to the account's SMTP server as a send would; connected if it works, else the error."""
    account = _visible(session, operator, account_id)
    try:
        await run_in_threadpool(SmtpMailer().check, account_server(account))
    except (Refused, Unavailable) as problem:
        account.status, account.last_error = EmailAccountStatus.error, str(problem)
    else:
        account.status, account.last_error = EmailAccountStatus.connected, None
    account.tested_at = datetime.now(UTC)
    return _saved(session, account)


@router.post("/{account_id}/disconnect", response_model=EmailAccountPublic)
def disconnect(account_id: str, session: SessionDep, operator: MailboxManager) -> EmailAccount:
    """Stop sending from the account until its connection is tested again."""
    account = _visible(session, operator, account_id)
    account.status, account.last_error = EmailAccountStatus.disconnected, None
    return _saved(session, account)
