"""The rules for connecting to a connected email account's mail servers, which an operator names and the API (its
connection test) and the worker (sending, the mailbox sync) connect to: where a password may be read from, which
hosts may be reached, and the words a failure is told in. SMTP and IMAP alike follow them.

- A password is read only from an environment variable named OUTREACH_MAILBOX_SECRET_<NAME> or a regular file in
  the one folder OUTREACH_MAILBOX_SECRETS_DIR, bounded in size: an account can never name another secret of the
  process (its settings, its files), nor a device that never ends.
- A host is resolved once and checked (`domain.mail_hosts`); the connection goes to the checked address, so a
  second answer of the name (DNS rebinding) cannot move it, while TLS still verifies the certificate against
  the name.
- A password is only ever sent over TLS with a verified certificate.
- A failure is told in our own short words (refused, timed out, TLS failed, login refused, …), never in the
  server's: an account must not be a way to read what answers at some address. The detail is logged here.
"""

import logging
import os
import re
import socket
import ssl
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from domain.mail_hosts import Allowlist, refusal
from models.messages import SmtpSecurity
from providers.outcomes import Refused, Unavailable
from settings import Settings

log = logging.getLogger(__name__)

SECRET_PREFIX = "OUTREACH_MAILBOX_SECRET_"
SECRETS_DIR_SETTING = "OUTREACH_MAILBOX_SECRETS_DIR"
SECRET_MAX_BYTES = 4096  # far beyond any password or token; a larger file is not one
ALLOWED_SECRETS = (
    f"name where the password is: env:{SECRET_PREFIX}<NAME> (a variable of the API's and the worker's environment) "
    f"or file:<name> (a file in the folder {SECRETS_DIR_SETTING}) — never the password itself"
)
_ENV_REF = re.compile(rf"^env:{SECRET_PREFIX}[A-Za-z0-9_]+$")
IN_CLEAR = "a password is only sent over TLS: use starttls or ssl, with a certificate valid for the host name"

Resolver = Callable[[str, int], list[str]]


def resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to for a TCP connection, in the resolver's order; raises OSError."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in found))


class Failure(StrEnum):
    """What went wrong, in the words stored on the account and shown to its managers."""

    refused = "refused the connection"
    timed_out = "did not answer in time"
    unreachable = "could not be reached"
    tls_failed = "failed TLS: it offers none, or its certificate is not valid for the host"
    login_refused = "refused the login"
    not_understood = "did not answer as a mail server does"
    not_allowed = "is not allowed"
    secret_missing = "has no usable password"

    @property
    def permanent(self) -> bool:
        """It needs a person (the account's settings, the server's certificate): trying again will not help."""
        return self not in (Failure.refused, Failure.timed_out, Failure.unreachable)


@dataclass(frozen=True)
class MailServer:
    """An SMTP or IMAP server to log in to: a connected account's, or the location default's relay."""

    host: str
    port: int
    security: SmtpSecurity
    username: str  # empty: no login (a relay that trusts this host)
    name: str  # how an operator knows it: the account's address, or the location default's relay
    secret_ref: str = ""  # an account's: where its password is
    # The relay is named by the deployment's own settings, with its password: the rules for the hosts operators
    # name are not for it.
    configured: bool = False
    password: str = field(default="", repr=False)


class MailServerProblem(Exception):
    """A connection that failed, or was not made, for a reason told in our words."""

    def __init__(self, server: MailServer, protocol: str, failure: Failure, why: str = "") -> None:
        super().__init__(f"{server.name}: the {protocol} server {server.host}:{server.port} {failure.value}"
                         + (f" ({why})" if why else "") + ".")  # fmt: skip
        self.failure = failure

    def outcome(self) -> Refused | Unavailable:
        """As a provider outcome: refused for good, or worth trying again."""
        return (Refused if self.failure.permanent else Unavailable)(str(self))


class MailServerRules:
    """The deployment's rules for the servers of connected accounts: its allow-list and its secrets folder."""

    def __init__(self, allowlist: Allowlist, secrets_dir: Path | None, resolver: Resolver = resolve) -> None:
        self._allowlist = allowlist
        self._secrets_dir = secrets_dir
        self._resolve = resolver

    @classmethod
    def from_settings(cls, settings: Settings) -> "MailServerRules":
        return cls(Allowlist.parse(settings.mail_host_allowlist), settings.mailbox_secrets_dir)

    def secret_ref_problem(self, ref: str) -> str | None:
        """Why `ref` may not name an account's password, or None."""
        kind, _, where = ref.partition(":")
        if kind == "env" and _ENV_REF.match(ref):
            return None
        if kind == "file" and where:
            if self._secrets_dir is None:
                return f"file: references are off until an admin sets {SECRETS_DIR_SETTING}; {ALLOWED_SECRETS}"
            if self._secret_file(where) is None:
                return f"{ref!r} is not a file in the folder {SECRETS_DIR_SETTING}; {ALLOWED_SECRETS}"
            return None
        return f"{ref[:100]!r} is not allowed; {ALLOWED_SECRETS}"

    def server_problem(self, server: MailServer) -> str | None:
        """Why an account may not name `server`, or None. Resolves the host (it blocks): a name that does not
        resolve yet is let through, as every connection checks it again."""
        if _in_clear(server):
            return IN_CLEAR
        try:
            addresses: list[str] | None = self._resolve(server.host, server.port)
        except (OSError, UnicodeError):
            addresses = None
        return refusal(server.host, server.port, addresses, self._allowlist)

    def password(self, server: MailServer, protocol: str) -> str:
        """The server's password, read where the account says it is, if the rules allow it; raises
        MailServerProblem when it cannot be had or cannot be sent."""
        if server.configured:
            return server.password
        problem = self.secret_ref_problem(server.secret_ref)
        if problem:
            raise MailServerProblem(server, protocol, Failure.secret_missing, problem)
        kind, _, where = server.secret_ref.partition(":")
        if kind == "env":
            value = os.environ.get(where, "")
            missing = f"the environment variable {where} is not set"
        else:
            value, missing = self._read(where)
        value = value.strip()
        if not value:
            raise MailServerProblem(server, protocol, Failure.secret_missing, missing)
        if not (value.isascii() and value.isprintable()):
            raise MailServerProblem(server, protocol, Failure.secret_missing, "the password holds characters other "
                                    "than printable ASCII, which SMTP and IMAP logins cannot carry")  # fmt: skip
        return value

    def addresses(self, server: MailServer, protocol: str) -> list[str]:
        """Where to connect for `server`: its host resolved once and checked; raises MailServerProblem."""
        if _in_clear(server):
            raise MailServerProblem(server, protocol, Failure.not_allowed, IN_CLEAR)
        try:
            addresses = self._resolve(server.host, server.port)
        except (OSError, UnicodeError) as error:
            log.warning("%s: %s:%s does not resolve: %s", server.name, server.host, server.port, error)
            raise MailServerProblem(server, protocol, Failure.unreachable, "the host name does not resolve") from error
        problem = None if server.configured else refusal(server.host, server.port, addresses, self._allowlist)
        if problem:
            raise MailServerProblem(server, protocol, Failure.not_allowed, problem)
        return addresses

    def _secret_file(self, where: str) -> Path | None:
        """The file `where` names, relative to the secrets folder or inside it, links resolved; None outside."""
        assert self._secrets_dir is not None
        root = Path(os.path.realpath(self._secrets_dir))
        target = Path(os.path.realpath(root / where))
        return target if target != root and target.is_relative_to(root) else None

    def _read(self, where: str) -> tuple[str, str]:
        """The file's text, or "" and why there is none. Only a regular file, read at most to the size cap: a
        device or a pipe never answers or never ends."""
        path = self._secret_file(where)
        assert path is not None  # checked by secret_ref_problem
        try:
            # Non-blocking: opening a pipe would otherwise wait for a writer.
            descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
        except OSError:
            return "", f"the file {where} does not exist or cannot be read"
        with os.fdopen(descriptor, "rb") as file:
            if not stat.S_ISREG(os.fstat(descriptor).st_mode):
                return "", f"{where} is not a regular file"
            content = file.read(SECRET_MAX_BYTES + 1)
        if len(content) > SECRET_MAX_BYTES:
            return "", f"the file {where} is larger than {SECRET_MAX_BYTES} bytes: not a password"
        try:
            return content.decode(), f"the file {where} is empty"
        except UnicodeDecodeError:
            return "", f"the file {where} is not UTF-8 text"


def _in_clear(server: MailServer) -> bool:
    return bool(server.username) and server.security is SmtpSecurity.none


def connect(addresses: Sequence[str], port: int, timeout: float | None) -> socket.socket:
    """A TCP connection to the first checked address that answers — never to a new lookup of the name."""
    failed: OSError = OSError("no address")
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout)
        except OSError as error:
            failed = error
    raise failed


def failure_of(error: BaseException) -> Failure:
    """Our word for a failure of the connection itself (TLS, the network); the protocols tell their own first."""
    if isinstance(error, ssl.SSLError):  # certificate errors among them
        return Failure.tls_failed
    if isinstance(error, TimeoutError):
        return Failure.timed_out
    if isinstance(error, ConnectionRefusedError):
        return Failure.refused
    if isinstance(error, OSError):
        return Failure.unreachable
    return Failure.not_understood


def logged(server: MailServer, protocol: str, failure: Failure, error: BaseException) -> MailServerProblem:
    """The problem in our words; what the server or the network said goes to the log only."""
    log.warning("%s server %s:%s of %s: %s: %r", protocol, server.host, server.port, server.name, failure.name, error)
    return MailServerProblem(server, protocol, failure)
