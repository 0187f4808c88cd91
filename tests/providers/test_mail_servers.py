"""The connection rules below the API, against real servers (aiosmtpd, dovecot) over TLS: a host is resolved once
and the connection goes to the address that was checked — a second answer of the name (DNS rebinding) is never
asked for — while TLS still verifies the certificate against the name; the location default's relay, named in
the deployment's settings, is not held to the rules for operators' servers; and no setting of the process can be
named as a mailbox secret."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from domain.mail_hosts import Allowlist
from models.messages import SmtpSecurity
from providers.imap import ImapReader
from providers.mail_servers import SECRET_PREFIX, MailServer, MailServerRules
from providers.outcomes import Refused
from providers.smtp import SmtpMailer
from settings import Settings
from tests.api.test_email_channel import PASSWORD, Mailbox
from tests.conftest import free_port
from tests.fakes.dovecot import running_dovecot
from tests.fakes.tls import Certificates, issue

USER = "billing@ams.example"
# A name no resolver knows: only the tests' own resolver answers for it.
NAME = "mail.rebinding.test"
MAX_BYTES = 1_000_000  # what the reader downloads of one message; these tests only log in


class Rebinding:
    """A resolver that answers the server's address once, and an address of someone else after that."""

    def __init__(self) -> None:
        self.asked = 0

    def __call__(self, host: str, port: int) -> list[str]:
        self.asked += 1
        return ["127.0.0.1"] if self.asked == 1 else ["127.0.0.2"]


@pytest.fixture
def named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Certificates:
    """A certificate for NAME only, from an authority the product trusts."""
    certificates = issue(tmp_path / "tls", names=(NAME,))
    certificates.trusted(monkeypatch)
    monkeypatch.setenv(f"{SECRET_PREFIX}BILLING", PASSWORD)
    return certificates


@pytest.fixture
def smtp(named: Certificates) -> Iterator[Mailbox]:
    mailbox = Mailbox(port=free_port())
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port, authenticator=mailbox.authenticate,
                            tls_context=named.server_context())  # fmt: skip
    controller.start()
    yield mailbox
    controller.stop()


def server(host: str, port: int, security: SmtpSecurity) -> MailServer:
    return MailServer(host=host, port=port, security=security, username=USER, name=USER,
                      secret_ref=f"env:{SECRET_PREFIX}BILLING")  # fmt: skip


def rules(resolver: Rebinding) -> MailServerRules:
    return MailServerRules(Allowlist.parse(["127.0.0.1"]), None, resolver)


def test_smtp_connects_to_the_address_it_checked_and_verifies_the_name(smtp: Mailbox) -> None:
    resolver = Rebinding()
    SmtpMailer(rules(resolver)).check(server(NAME, smtp.port, SmtpSecurity.starttls))
    assert (resolver.asked, smtp.logins) == (1, [USER])

    with pytest.raises(Refused, match="failed TLS: it offers none, or its certificate is not valid for the host"):
        SmtpMailer(rules(Rebinding())).check(server("impostor.rebinding.test", smtp.port, SmtpSecurity.starttls))
    assert smtp.logins == [USER]


def test_imap_connects_to_the_address_it_checked_and_verifies_the_name(named: Certificates) -> None:
    with running_dovecot({USER: PASSWORD}, named) as dovecot:
        resolver = Rebinding()
        ImapReader(rules(resolver), MAX_BYTES).check(server(NAME, dovecot.port, SmtpSecurity.ssl))
        assert resolver.asked == 1
        with pytest.raises(Refused, match="failed TLS"):
            ImapReader(rules(Rebinding()), MAX_BYTES).check(
                server("impostor.rebinding.test", dovecot.port, SmtpSecurity.ssl)
            )


def test_the_relay_named_in_the_settings_is_not_held_to_the_rules_for_accounts(smtp: Mailbox) -> None:
    relay = MailServer(host=NAME, port=smtp.port, security=SmtpSecurity.starttls, username="relay-user",
                       name=f"the relay {NAME}", configured=True, password=PASSWORD)  # fmt: skip
    # Nothing allow-listed, no secrets folder: what the deployment configured is still reached.
    SmtpMailer(MailServerRules(Allowlist(), None, Rebinding())).check(relay)
    assert smtp.logins == ["relay-user"]
    with pytest.raises(ValueError, match="OUTREACH_SMTP_SECURITY=none would send the relay's password unencrypted"):
        Settings(smtp_host="relay.example.com", smtp_security="none", smtp_username="relay-user")


def test_no_setting_can_be_named_as_a_mailbox_secret() -> None:
    prefix = Settings.model_config.get("env_prefix", "")
    names = [f"{prefix}{name}".upper() for name in Settings.model_fields]
    assert names and not [name for name in names if name.startswith(SECRET_PREFIX)]
    listed = Settings(mail_host_allowlist=" mail.internal , 10.1.2.0/24,").mail_host_allowlist
    assert listed == ("mail.internal", "10.1.2.0/24")
