"""SMTP: email from a connected email account (the team's own `billing@` mailbox) or from the location's default
sender through the configured relay, with the standard library's `smtplib` and `email` packages.

The message is built with the `email` package's SMTP policy, which refuses a line break in any header: no header
can be injected, whatever a subject or a name holds. Secrets are never stored: an account names where its
password is (`env:VARIABLE` or `file:/path`) and it is read when needed.

SMTP has no way to ask whether a message went out, so a connection that broke after the message was handed over
is reported as unconfirmed, for a person to check the account's Sent folder — never sent blindly again.
"""

import os
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate
from pathlib import Path

from models.messages import EmailPreset, SmtpSecurity
from models.tables import EmailAccount
from providers.email import OutgoingEmail
from providers.outcomes import Ambiguous, Attempt, Refused, Unavailable, Unconfirmed

TIMEOUT_SECONDS = 8.0  # per step (connect, log in, send): together under the send's heartbeat timeout
SECRET_REF = re.compile(r"^(env:[A-Za-z_][A-Za-z0-9_]*|file:/\S+)$")


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


class SecretMissing(Exception):
    """Where an account's secret should be, there is none."""


def read_secret(ref: str) -> str:
    kind, _, where = ref.partition(":")
    if kind == "env":
        value = os.environ.get(where)
        if not value:
            raise SecretMissing(f"The environment variable {where} holding the password is not set.")
        return value
    if kind == "file":
        try:
            return Path(where).read_text().strip()
        except OSError as error:
            raise SecretMissing(f"The secrets file {where} cannot be read ({error.strerror}).") from error
    raise SecretMissing(f"{ref!r} does not say where the password is (env:VARIABLE or file:/path).")


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    security: SmtpSecurity
    username: str  # empty: no login (a relay that trusts this host)
    secret_ref: str
    name: str  # how an operator knows it: the account's address, or the location default's relay


def account_server(account: EmailAccount) -> SmtpServer:
    return SmtpServer(host=account.smtp_host, port=account.smtp_port, security=account.smtp_security,
                      username=account.username, secret_ref=account.secret_ref, name=account.email)  # fmt: skip


class SmtpMailer:
    name = "smtp"

    def send(self, server: SmtpServer, email: OutgoingEmail) -> str:
        """Hand the email to the server; answers our Message-ID (SMTP servers give no id of their own)."""
        message = _message(email)
        with self._connected(server) as smtp:
            try:
                refused = smtp.send_message(message)
            except smtplib.SMTPRecipientsRefused as error:
                raise Refused(f"{server.name} refused the recipient {email.to_address}: {_words(error)}") from error
            except smtplib.SMTPResponseException as error:
                if 400 <= error.smtp_code < 500:
                    raise Unavailable(f"{server.name} deferred the email ({error.smtp_code}).") from error
                raise Refused(f"{server.name} refused the email ({error.smtp_code}): {_words(error)}") from error
            except (smtplib.SMTPServerDisconnected, OSError) as error:
                raise Ambiguous(f"The connection to {server.name} broke while the email was handed over.") from error
        if refused:
            raise Refused(f"{server.name} refused the recipient {email.to_address}.")
        return email.message_id

    def check(self, server: SmtpServer) -> None:
        """Connect and log in, as a send would; raise Refused or Unavailable with what went wrong."""
        with self._connected(server):
            pass

    def confirm(self, attempt: Attempt) -> str | None:
        raise Unconfirmed(
            f"The mail server did not confirm the email to {attempt.to_address} before the connection broke. "
            f"Look for Message-ID <{attempt.delivery_id}@…> in the account's Sent folder before sending it again.",
            final=True,
        )

    def _connected(self, server: SmtpServer) -> smtplib.SMTP:
        try:
            password = read_secret(server.secret_ref) if server.username else ""
        except SecretMissing as missing:
            raise Refused(f"{server.name}: {missing}") from missing
        try:
            if server.security is SmtpSecurity.ssl:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(server.host, server.port, timeout=TIMEOUT_SECONDS,
                                                      context=ssl.create_default_context())  # fmt: skip
            else:
                smtp = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT_SECONDS)
                if server.security is SmtpSecurity.starttls:
                    smtp.starttls(context=ssl.create_default_context())
            if server.username:
                smtp.login(server.username, password)
        except smtplib.SMTPAuthenticationError as error:
            raise Refused(f"{server.name} refused the login of {server.username}: {_words(error)}") from error
        except smtplib.SMTPNotSupportedError as error:
            raise Refused(f"{server.name} does not support {server.security.value}: {error}") from error
        except (TimeoutError, smtplib.SMTPException, OSError) as error:
            raise Unavailable(f"{server.name} ({server.host}:{server.port}) could not be reached: {error}") from error
        return smtp


def _message(email: OutgoingEmail) -> EmailMessage:
    message = EmailMessage(policy=SMTP)
    for name, value in email.headers.items():
        message[name] = value
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message.set_content(email.body_text)
    message.add_alternative(email.body_html, subtype="html")
    return message


def _words(error: smtplib.SMTPException) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(_words_of(code, text) for code, text in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return _words_of(error.smtp_code, error.smtp_error)
    return str(error)


def _words_of(code: int, text: bytes | str) -> str:
    return f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
