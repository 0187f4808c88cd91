"""SMTP: email from a connected email account (the team's own `billing@` mailbox) or from the location's default
sender through the configured relay, with the standard library's `smtplib` and `email` packages.

The message is built with the `email` package's SMTP policy, which refuses a line break in any header: no header
can be injected, whatever a subject or a name holds. Secrets are never stored: an account names where its
password is, and it is read when needed; where that may be, which hosts may be reached, and the words a failure
is told in are the rules of `providers.mail_servers`.

SMTP has no way to ask whether a message went out, so a connection that broke after the message was handed over
is reported as unconfirmed, for a person to check the account's Sent folder — never sent blindly again.
"""

import logging
import smtplib
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate

from models.messages import EmailPreset, SmtpSecurity
from models.tables import EmailAccount
from providers.email import OutgoingEmail
from providers.mail_servers import Failure, MailServer, MailServerProblem, MailServerRules, connect, failure_of, logged
from providers.outcomes import Ambiguous, Attempt, Refused, Unavailable, Unconfirmed

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 8.0  # per step (connect, log in, send): together under the send's heartbeat timeout


@dataclass(frozen=True)
class Preset:
    smtp_host: str
    smtp_port: int
    smtp_security: SmtpSecurity
    imap_host: str
    imap_port: int


# The servers of the providers most teams use; `generic` accounts name their own.
PRESETS = {
    EmailPreset.google_workspace: Preset("smtp.gmail.com", 587, SmtpSecurity.starttls, "imap.gmail.com", 993),
    EmailPreset.office365: Preset("smtp.office365.com", 587, SmtpSecurity.starttls, "outlook.office365.com", 993),
}


def account_server(account: EmailAccount) -> MailServer:
    return MailServer(host=account.smtp_host, port=account.smtp_port, security=account.smtp_security,
                      username=account.username, secret_ref=account.secret_ref, name=account.email)  # fmt: skip


class SmtpMailer:
    name = "smtp"

    def __init__(self, rules: MailServerRules) -> None:
        self._rules = rules

    def send(self, server: MailServer, email: OutgoingEmail) -> str:
        """Hand the email to the server; answers our Message-ID (SMTP servers give no id of their own)."""
        message = _message(email)
        with self._connected(server) as smtp:
            try:
                refused = smtp.send_message(message)
            except smtplib.SMTPRecipientsRefused as error:
                log.warning("%s refused %s: %r", server.name, email.to_address, error.recipients)
                codes = ", ".join(str(code) for code, _ in error.recipients.values())
                raise Refused(f"{server.name} refused the recipient {email.to_address} ({codes}).") from error
            except smtplib.SMTPResponseException as error:
                log.warning("%s refused the email to %s: %r", server.name, email.to_address, error)
                if 400 <= error.smtp_code < 500:
                    raise Unavailable(f"{server.name} deferred the email ({error.smtp_code}).") from error
                raise Refused(f"{server.name} refused the email ({error.smtp_code}).") from error
            except (smtplib.SMTPServerDisconnected, OSError) as error:
                raise Ambiguous(f"The connection to {server.name} broke while the email was handed over.") from error
        if refused:
            raise Refused(f"{server.name} refused the recipient {email.to_address}.")
        return email.message_id

    def check(self, server: MailServer) -> None:
        """Connect and log in, as a send would; raise Refused or Unavailable saying what went wrong."""
        with self._connected(server):
            pass

    def confirm(self, attempt: Attempt) -> str | None:
        raise Unconfirmed(
            f"The mail server did not confirm the email to {attempt.to_address} before the connection broke. "
            f"Look for Message-ID <{attempt.delivery_id}@…> in the account's Sent folder before sending it again.",
            final=True,
        )

    def _connected(self, server: MailServer) -> smtplib.SMTP:
        try:
            password = self._rules.password(server, "SMTP") if server.username else ""
            addresses = self._rules.addresses(server, "SMTP")
        except MailServerProblem as problem:
            raise problem.outcome() from problem
        smtp: smtplib.SMTP | None = None
        step = Failure.not_understood  # what a protocol error means depends on the step it came at
        try:
            if server.security is SmtpSecurity.ssl:
                smtp = _PinnedSMTPSSL(addresses, server.host, server.port, ssl.create_default_context())
            else:
                smtp = _PinnedSMTP(addresses, server.host, server.port)
                if server.security is SmtpSecurity.starttls:
                    step = Failure.tls_failed
                    smtp.starttls(context=ssl.create_default_context())
            if server.username:
                step = Failure.login_refused
                smtp.login(server.username, password)
        except smtplib.SMTPException as error:
            _close(smtp)
            raise logged(server, "SMTP", step, error).outcome() from error
        except OSError as error:
            _close(smtp)
            raise logged(server, "SMTP", failure_of(error), error).outcome() from error
        return smtp


class _PinnedSMTP(smtplib.SMTP):
    """Connects to the checked addresses, not to a new lookup of the host; STARTTLS verifies the host name."""

    def __init__(self, addresses: Sequence[str], host: str, port: int) -> None:
        self._addresses = addresses
        super().__init__(host, port, timeout=TIMEOUT_SECONDS)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return connect(self._addresses, port, timeout)


class _PinnedSMTPSSL(smtplib.SMTP_SSL):
    """The same over implicit TLS, its certificate verified against the host name."""

    def __init__(self, addresses: Sequence[str], host: str, port: int, context: ssl.SSLContext) -> None:
        self._addresses = addresses
        self._server_name = host
        super().__init__(host, port, timeout=TIMEOUT_SECONDS, context=context)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return self.context.wrap_socket(connect(self._addresses, port, timeout), server_hostname=self._server_name)


def _close(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        smtp.close()


def _message(email: OutgoingEmail) -> EmailMessage:
    message = EmailMessage(policy=SMTP)
    for name, value in email.headers.items():
        message[name] = value
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message.set_content(email.body_text)
    message.add_alternative(email.body_html, subtype="html")
    return message
