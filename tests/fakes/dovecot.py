"""Not a fake: Debian's dovecot, the IMAP server most mail hosts run, started for the tests unprivileged on a free
high port with a mail store in a temporary folder (`make test` installs it when it is missing). It speaks IMAP
over TLS only, with the certificate of the tests' own authority (tests/fakes/tls.py), as the product sends a
password nowhere else. Mail is put in with IMAP APPEND, as a mail server delivering it would leave it; the server
can be restarted, and a folder can be renumbered (a new UIDVALIDITY, as after a restore) the way dovecot itself
would do it."""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from imap_tools import MailBox

from tests.fakes.tls import Certificates

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def _service_user() -> tuple[str, str, int, int]:
    """Who dovecot's processes run as: its own unprivileged users when started as root (its login processes
    refuse root), else whoever runs the tests."""
    if os.geteuid() == 0:
        internal = pwd.getpwnam("dovecot")
        return "dovecot", "dovenull", internal.pw_uid, internal.pw_gid
    me = pwd.getpwuid(os.geteuid())
    return me.pw_name, me.pw_name, me.pw_uid, me.pw_gid


@dataclass
class Dovecot:
    root: Path
    port: int
    certificates: Certificates
    users: dict[str, str] = field(default_factory=dict)  # login → password
    process: subprocess.Popen[bytes] | None = None

    @property
    def config(self) -> Path:
        return self.root / "dovecot.conf"

    def write_config(self) -> None:
        internal, login, uid, gid = _service_user()
        for folder in ("run", "state", "mail", "home"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
            os.chown(self.root / folder, uid, gid)
        shutil.copy(self.certificates.cert_file, self.root / "cert.pem")
        shutil.copy(self.certificates.key_file, self.root / "key.pem")
        (self.root / "users").write_text(
            "".join(f"{name}:{{PLAIN}}{password}\n" for name, password in self.users.items())
        )
        self.config.write_text(f"""
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{self.root}/cert.pem
ssl_key = <{self.root}/key.pem
auth_mechanisms = plain login
default_internal_user = {internal}
default_internal_group = {internal}
default_login_user = {login}
mail_location = maildir:{self.root}/mail/%u
first_valid_uid = {uid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={self.root}/home/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    port = {self.port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
""")

    def start(self) -> None:
        for stale in (self.root / "run").iterdir():  # sockets of a stopped run
            if stale.is_dir():
                shutil.rmtree(stale)
            else:
                stale.unlink()
        # A session of its own: stopping ends its master and every process it started at once.
        self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(self.config)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            try:
                # Whether it answers, whatever names its certificate is for.
                context = self.certificates.client_context()
                context.check_hostname = False
                with (
                    socket.create_connection(("127.0.0.1", self.port), timeout=1) as plain,
                    context.wrap_socket(plain) as connection,
                ):
                    if connection.recv(64).startswith(b"* OK"):
                        return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = (self.root / "dovecot.log").read_text() if (self.root / "dovecot.log").exists() else ""
                pytest.fail(f"dovecot did not start: {log[-2000:]}")
            time.sleep(0.1)  # poll

    def stop(self) -> None:
        """Killed, not asked to stop: a test server has nothing to save (its mail is on disk as it arrives), and its
        graceful stop waits a second on its clients, once a test."""
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def _mailbox(self, user: str) -> MailBox:
        mailbox = MailBox("127.0.0.1", self.port, ssl_context=self.certificates.client_context())
        return mailbox.login(user, self.users[user], initial_folder=None)

    def append(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        with self._mailbox(user) as box:
            box.append(raw, folder)

    def uid_validity(self, user: str, folder: str = "INBOX") -> int:
        with self._mailbox(user) as box:
            return int(box.folder.status(folder, ["UIDVALIDITY"])["UIDVALIDITY"])

    def renumber(self, user: str, folder: str = "INBOX") -> None:
        """Give the folder a new UIDVALIDITY, as dovecot does when its index and UID list are rebuilt."""
        self.stop()
        maildir = self.root / "mail" / user / ("" if folder == "INBOX" else f".{folder}")
        uidlist = maildir / "dovecot-uidlist"
        header, _, rest = uidlist.read_text().partition("\n")
        fields = [f"V{int(part[1:]) + 1000}" if part.startswith("V") else part for part in header.split(" ")]
        uidlist.write_text(" ".join(fields) + "\n" + rest)
        for index in maildir.glob("dovecot*index*"):
            index.unlink()
        self.start()


@contextmanager
def running_dovecot(users: dict[str, str], certificates: Certificates) -> Iterator[Dovecot]:
    """A dovecot of its own on a free port, its mail store in a folder its unprivileged users can reach (the
    tests' own temporary folders are private to the user running them)."""
    if not Path(DOVECOT).exists():
        pytest.fail("dovecot is not installed: `make test` installs it (Debian's dovecot-imapd).")
    root = Path(tempfile.mkdtemp(prefix="outreach-dovecot-"))
    root.chmod(0o755)
    server = Dovecot(root=root, port=_free_port(), certificates=certificates, users=users)
    try:
        server.write_config()
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
