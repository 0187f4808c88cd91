"""The mailbox sync of a connected email account: its new mail read over IMAP (inbox and Sent folder) and each
message routed like every mail that comes home (`inbound/`), exactly once.

A message is kept before the folder's position moves past it, so a sync that dies anywhere loses nothing: the
next run reads from the last position, finds what it already kept by Message-ID, and routes what an earlier run
kept but had not routed yet.
"""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, exists
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlmodel import Session, col, select
from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from activities.heartbeats import beating
from inbound.router import Arrival, Router, forget_unmatched, keep_failed, receive_raw, route_again
from models.messages import (
    InboundRetentionInput,
    InboundRetentionResult,
    InboundStatus,
    MailboxSyncInput,
    MailboxSyncResult,
)
from models.tables import Delivery, EmailAccount, InboundMessage, MailboxFolder
from providers.imap import Headers, ImapReader, Position, account_imap
from providers.outcomes import Refused, Unavailable


class MailboxActivities:
    def __init__(self, engine: Engine, reader: ImapReader, router: Router) -> None:
        self._engine = engine
        self._reader = reader
        self._router = router

    @activity.defn
    async def sync_mailbox(self, request: MailboxSyncInput) -> MailboxSyncResult:
        """Read the account's new mail and route each message to its conversation (or keep it unmatched, or
        failed with the reason). Whatever stops a sync is written to the account's `sync_error`."""
        with Session(self._engine) as session:
            account = session.get(EmailAccount, request.email_account_id)
            if account is None or not account.syncs:
                return MailboxSyncResult(note="Not synced: the account is gone, has sync off, has no IMAP server, "
                                         "or is not connected.")  # fmt: skip
            try:
                result = await self._sync(session, account)
            except Exception as problem:
                session.rollback()
                account.sync_error = _stopped(problem)
                session.add(account)
                session.commit()
                if isinstance(problem, Refused | Unavailable):
                    # A refused login needs a person; a server away is retried here, and the schedule runs again.
                    raise ApplicationError(str(problem), type=type(problem).__name__,
                                           non_retryable=isinstance(problem, Refused)) from problem  # fmt: skip
                raise
            account.synced_at, account.sync_error = datetime.now(UTC), None
            session.add(account)
            session.commit()
            return result

    @activity.defn
    def forget_unmatched_mail(self, request: InboundRetentionInput) -> InboundRetentionResult:
        """Delete the mail no conversation took (unmatched or failed) once its retention has passed."""
        with Session(self._engine) as session:
            deleted = forget_unmatched(session, datetime.now(UTC) - timedelta(days=request.days))
        return InboundRetentionResult(deleted=deleted)

    async def _sync(self, session: Session, account: EmailAccount) -> MailboxSyncResult:
        result = MailboxSyncResult()
        for left in session.exec(select(InboundMessage).where(
                col(InboundMessage.email_account_id) == account.id,
                col(InboundMessage.status) == InboundStatus.received)).all():  # fmt: skip
            await route_again(session, self._router, left)
            result.routed += left.status is InboundStatus.routed
        positions = {row.folder: Position(row.uid_validity, row.last_uid) for row in session.exec(
            select(MailboxFolder).where(col(MailboxFolder.email_account_id) == account.id))}  # fmt: skip
        taken: set[str] = set()  # messages wanted in this read: later ones may answer them

        def wanted(headers: Headers) -> bool:
            if self._wanted(headers, taken):
                taken.add(headers.message_id)
                return True
            return False

        # The read runs in a thread and cannot beat itself; a slow server must not look like a dead worker.
        async with beating():
            reads = await asyncio.to_thread(self._reader.read, account_imap(account), positions, wanted)
        arrival = Arrival("mailbox", account)
        for read in reads:
            for new in read.mail:
                activity.heartbeat(read.folder, new.uid)
                # Each message on its own: one that cannot be read, kept or routed is kept as failed, and the
                # folder's position moves past it all the same.
                if new.raw is None:
                    message_id = new.headers.message_id if new.headers else ""
                    row = keep_failed(session, None, arrival, message_id or f"<uid-{new.uid}@{account.id}.invalid>",
                                      f"It is {new.size:,} bytes, larger than the {self._reader.max_bytes:,} "
                                      "taken (OUTREACH_INBOUND_MAX_BYTES): it was not downloaded; read it in "
                                      "the mailbox itself.")  # fmt: skip
                else:
                    row = await receive_raw(session, self._router, new.raw, arrival)
                    result.read += 1
                result.routed += row.status is InboundStatus.routed
                result.unmatched += row.status is InboundStatus.unmatched
                result.failed += row.status is InboundStatus.failed
                _move(session, account.id, read.folder, Position(read.position.uid_validity, new.uid))
            _move(session, account.id, read.folder, read.position)
        return result

    def _wanted(self, headers: Headers, taken: set[str]) -> bool:
        """A message of one of our threads (or a delivery report, which names ours only inside) that is not
        ours already — kept before, or sent by us (the server's copy of our SMTP submission in the Sent folder).
        The team's other mail is none of our business: it is never downloaded."""
        with Session(self._engine) as session:
            if _exists(session, col(InboundMessage.message_id) == headers.message_id) or _exists(
                session, col(Delivery.message_id) == headers.message_id
            ):
                return False
            if headers.content_type.startswith("multipart/report"):
                return True
            return bool(headers.references) and (
                bool(taken.intersection(headers.references))
                or _exists(session, col(Delivery.message_id).in_(headers.references))
                or _exists(session, col(InboundMessage.message_id).in_(headers.references),
                           col(InboundMessage.delivery_id).is_not(None))
            )  # fmt: skip


def _stopped(problem: Exception) -> str:
    """What stopped a sync, in words for the operator who looks at the account."""
    if isinstance(problem, Refused | Unavailable):
        return str(problem)
    if isinstance(problem, RPCError | RuntimeError):
        return "The workflow service could not be reached; the mail read so far is kept, and the next run goes on."
    if isinstance(problem, OperationalError | InterfaceError):
        return "The database could not be reached; the next run reads the mail again from where it stopped."
    return f"The sync stopped on an unexpected error ({type(problem).__name__}); the next run tries again."


def _exists(session: Session, *conditions: Any) -> bool:
    return bool(session.exec(select(exists().where(*conditions))).one())


def _move(session: Session, account_id: str, folder: str, position: Position) -> None:
    row = session.get(MailboxFolder, (account_id, folder))
    if row is None:
        row = MailboxFolder(email_account_id=account_id, folder=folder, uid_validity=position.uid_validity,
                            last_uid=position.last_uid, synced_at=datetime.now(UTC))  # fmt: skip
    row.uid_validity, row.last_uid, row.synced_at = position.uid_validity, position.last_uid, datetime.now(UTC)
    session.add(row)
    session.commit()
