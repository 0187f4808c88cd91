"""IMAP: reading a connected account's inbox and Sent folder for the mail of our threads, with imap-tools.

IMAP numbers a folder's messages with UIDs that only grow, for as long as the folder's UIDVALIDITY stays the
same; a new UIDVALIDITY means the server renumbered the folder (a restore, a migration) and every UID read before
means nothing. So the reader is told, per folder, the UIDVALIDITY and the last UID already read, and reads only
what is newer — or, after a renumbering, looks at every message again by its headers alone and fetches in full
only those whose Message-ID is not known yet. Nothing is ever marked read: the team's mailbox stays as they
left it.
"""

import contextlib
import imaplib
import re
import socket
import ssl
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from imap_tools import AND, BaseMailBox, MailboxLoginError, MailMessage

from models.messages import SmtpSecurity
from models.tables import EmailAccount
from providers.mail_servers import Failure, MailServer, MailServerProblem, MailServerRules, connect, failure_of, logged

TIMEOUT_SECONDS = 20.0
INBOX = "INBOX"
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_UID = re.compile(rb"\bUID (\d+)")
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")
# The names servers give the Sent folder when they do not mark it `\Sent` (RFC 6154).
_SENT_NAMES = ("Sent", "Sent Items", "Sent Messages", "Sent Mail", "[Gmail]/Sent Mail", "INBOX.Sent")


def account_imap(account: EmailAccount) -> MailServer:
    return MailServer(host=account.imap_host, port=account.imap_port, security=account.imap_security,
                      username=account.username, secret_ref=account.secret_ref, name=account.email)  # fmt: skip


@dataclass(frozen=True)
class Position:
    """How far a folder has been read."""

    uid_validity: int
    last_uid: int


@dataclass(frozen=True)
class Headers:
    """What decides whether a message is worth fetching."""

    message_id: str
    references: tuple[str, ...]  # References and In-Reply-To
    content_type: str


@dataclass(frozen=True)
class NewMail:
    uid: int
    raw: bytes | None  # None: larger than the reader takes (`size` says how large), not downloaded
    size: int
    headers: Headers | None = None  # of one too large, what is known of it


@dataclass(frozen=True)
class FolderRead:
    folder: str
    position: Position  # where the folder stands after these messages
    mail: list[NewMail]  # oldest first; may stop short of `position` when over the batch size (then it is
    # the position of the last one, and the rest comes next time)


class ImapReader:
    """Reads one account's folders; `wanted` says, from its headers, whether a message is fetched. It is asked
    in the order the messages came (Sent first), so it can count a message it wanted as part of the thread
    when a later one names it."""

    # Small enough that a batch is read well within the sync's heartbeat timeout on a slow server. A message
    # over `max_bytes` is never downloaded (its size is asked first); the others are fetched one at a time.
    def __init__(self, rules: MailServerRules, max_bytes: int, batch: int = 50) -> None:
        self._rules = rules
        self.max_bytes = max_bytes
        self._batch = batch

    def read(
        self, server: MailServer, positions: dict[str, Position], wanted: Callable[[Headers], bool]
    ) -> list[FolderRead]:
        with self._logged_in(server) as mailbox:
            return [self._folder(mailbox, folder, positions.get(folder), wanted) for folder in _folders(mailbox)]

    def check(self, server: MailServer) -> None:
        """Connect and log in, as a sync would; raise Refused or Unavailable saying what went wrong."""
        with self._logged_in(server):
            pass

    @contextmanager
    def _logged_in(self, server: MailServer) -> Iterator[BaseMailBox]:
        try:
            password = self._rules.password(server, "IMAP")
            addresses = self._rules.addresses(server, "IMAP")
        except MailServerProblem as problem:
            raise problem.outcome() from problem
        mailbox: _PinnedMailBox | None = None
        step = Failure.not_understood  # what a protocol error means depends on the step it came at
        try:
            mailbox = _PinnedMailBox(addresses, server)
            if server.security is SmtpSecurity.starttls:
                step = Failure.tls_failed
                mailbox.client.starttls(ssl.create_default_context())
            step = Failure.login_refused
            mailbox.login(server.username, password, initial_folder=None)
        except (MailboxLoginError, imaplib.IMAP4.error) as error:
            _logout(mailbox)
            raise logged(server, "IMAP", step, error).outcome() from error
        except OSError as error:  # refused, timed out, TLS failed
            _logout(mailbox)
            raise logged(server, "IMAP", failure_of(error), error).outcome() from error
        try:
            yield mailbox
        except (OSError, imaplib.IMAP4.error) as error:
            raise logged(server, "IMAP", failure_of(error), error).outcome() from error
        finally:
            _logout(mailbox)

    def _folder(
        self, mailbox: BaseMailBox, folder: str, position: Position | None, wanted: Callable[[Headers], bool]
    ) -> FolderRead:
        mailbox.folder.set(folder, readonly=True)
        status = mailbox.folder.status(folder, ["UIDVALIDITY", "UIDNEXT"])
        validity, highest = int(status["UIDVALIDITY"]), int(status["UIDNEXT"]) - 1
        if position is None:
            # A newly connected mailbox: what is already there predates our mail, so it answers none of it.
            return FolderRead(folder, Position(validity, highest), [])
        after = position.last_uid if position.uid_validity == validity else 0
        # "N:*" always includes the highest message, even below N: keep only the newer ones.
        uids = sorted(int(uid) for uid in mailbox.uids(AND(uid=f"{after + 1}:*")) if int(uid) > after)
        chosen = uids[: self._batch]
        if not chosen:
            return FolderRead(folder, Position(validity, max(after, highest)), [])
        sizes = _sizes(mailbox, chosen)
        small = [uid for uid in chosen if sizes.get(uid, 0) <= self.max_bytes]
        large = [uid for uid in chosen if sizes.get(uid, 0) > self.max_bytes]
        fetch = [str(uid) for uid, headers in _headers(mailbox, small) if wanted(headers)]
        fetched = mailbox.fetch(uid_list=fetch, mark_seen=False, bulk=False) if fetch else []
        mail = [NewMail(int(message.uid or 0), message.obj.as_bytes(), sizes.get(int(message.uid or 0), 0))
                for message in fetched]  # fmt: skip
        # One of ours too large to read: what its headers say is all that is known of it.
        mail += [
            NewMail(uid, None, sizes[uid], headers) for uid, headers in _headers(mailbox, large) if wanted(headers)
        ]
        return FolderRead(folder, Position(validity, chosen[-1]), sorted(mail, key=lambda new: new.uid))


def _headers(mailbox: BaseMailBox, uids: list[int]) -> list[tuple[int, Headers]]:
    def first(message: MailMessage, name: str) -> str:
        # Raw 8-bit bytes in a header come as lone surrogates, which no database takes: they are read as the
        # `email` package reads them (U+FFFD), so the ids agree; a NUL has no place in a header either.
        value = message.headers.get(name, ("",))[0].encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        return " ".join(value.replace("\x00", "").split())

    found: list[tuple[int, Headers]] = []
    if not uids:
        return found
    for message in mailbox.fetch(uid_list=[str(uid) for uid in uids], headers_only=True, mark_seen=False, bulk=True):
        thread = f"{first(message, 'references')} {first(message, 'in-reply-to')}"
        headers = Headers(message_id=first(message, "message-id"), references=tuple(_MESSAGE_ID.findall(thread)),
                          content_type=first(message, "content-type").lower())  # fmt: skip
        found.append((int(message.uid or 0), headers))
    return found


def _sizes(mailbox: BaseMailBox, uids: list[int]) -> dict[int, int]:
    """Each message's size in bytes, as the server counts it, before anything of it is downloaded."""
    answer = mailbox.client.uid("FETCH", ",".join(str(uid) for uid in uids), "(UID RFC822.SIZE)")
    sizes = {}
    for line in answer[1] if answer[0] == "OK" else []:
        if isinstance(line, bytes) and (uid := _UID.search(line)) and (size := _SIZE.search(line)):
            sizes[int(uid[1])] = int(size[1])
    return sizes


def _folders(mailbox: BaseMailBox) -> list[str]:
    """The Sent folder (where the team's own answers from their mail client are), and the inbox."""
    listed = mailbox.folder.list()
    sent = next((folder.name for folder in listed if "\\Sent" in folder.flags), None)
    names = {folder.name for folder in listed}
    sent = sent or next((name for name in _SENT_NAMES if name in names), None)
    # Sent first: the customer's answer to a team member's own reply names that reply, which must be known first.
    return [sent, INBOX] if sent else [INBOX]


class _PinnedMailBox(BaseMailBox):
    """A mailbox connected to the checked addresses, not to a new lookup of the host; TLS (implicit, or by
    STARTTLS) verifies the certificate against the host name."""

    def __init__(self, addresses: Sequence[str], server: MailServer) -> None:
        self._addresses = addresses
        self._server = server
        super().__init__()

    def _get_mailbox_client(self) -> imaplib.IMAP4:
        if self._server.security is SmtpSecurity.ssl:
            return _PinnedIMAP4SSL(self._addresses, self._server.host, self._server.port, ssl.create_default_context())
        return _PinnedIMAP4(self._addresses, self._server.host, self._server.port)  # STARTTLS comes next


class _PinnedIMAP4(imaplib.IMAP4):
    def __init__(self, addresses: Sequence[str], host: str, port: int) -> None:
        self._addresses = addresses
        super().__init__(host, port, timeout=TIMEOUT_SECONDS)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        return connect(self._addresses, self.port, timeout)


class _PinnedIMAP4SSL(imaplib.IMAP4_SSL):
    def __init__(self, addresses: Sequence[str], host: str, port: int, context: ssl.SSLContext) -> None:
        self._addresses = addresses
        super().__init__(host, port, ssl_context=context, timeout=TIMEOUT_SECONDS)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        sock = connect(self._addresses, self.port, timeout)
        return self.ssl_context.wrap_socket(sock, server_hostname=self.host)


def _logout(mailbox: BaseMailBox | None) -> None:
    if mailbox is not None:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):  # the connection is gone either way
            mailbox.logout()
