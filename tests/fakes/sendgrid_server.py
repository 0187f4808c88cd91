"""A local server speaking SendGrid's v3 Mail Send API, so the real `sendgrid` SDK runs end to end, and the
signed Event Webhook posts SendGrid would make about the mail it took.

Each request takes the next scripted answer: 202 with an `X-Message-Id`, an error status with SendGrid's error
body, or a drop (the mail is taken, then the connection closes before any answer: the ambiguous case)."""

import base64
import contextlib
import json
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.fakes.serving import serving

API_KEY = "SG.test-key"


@dataclass
class Answer:
    status: int = 202
    drop: bool = False
    # Take the mail, then hold the answer until `release` is set: the sender can be killed meanwhile.
    hold: bool = False


@dataclass
class FakeSendGrid:
    base_url: str = ""
    script: list[Answer] = field(default_factory=list)
    # Mail SendGrid took (202 or dropped), each with the X-Message-Id it was given.
    accepted: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    # Where to post the signed `processed` event of every mail taken, as SendGrid's Event Webhook does.
    events_to: str | None = None
    taken: threading.Event = field(default_factory=threading.Event)  # a held mail was taken
    release: threading.Event = field(default_factory=threading.Event)
    _key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))

    @property
    def public_key(self) -> str:
        """The verification key as SendGrid's settings page shows it: base64 DER."""
        der = self._key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(der).decode()

    def event(self, mail: dict[str, Any], kind: str, **extra: Any) -> dict[str, Any]:
        """One Event Webhook event about `mail`, with its custom arguments at the top level as SendGrid sends them."""
        return {
            "email": mail["personalizations"][0]["to"][0]["email"],
            "timestamp": int(time.time()),
            "event": kind,
            "sg_event_id": base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="),
            "sg_message_id": f"{mail['x_message_id']}.recvd-5f8c9d-1-0",
            **mail.get("custom_args", {}),
            **extra,
        }

    def signed(self, events: list[dict[str, Any]], timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
        """The body and headers of an Event Webhook post, signed as SendGrid signs them."""
        body = json.dumps(events).encode()
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        return body, {
            "Content-Type": "application/json",
            "X-Twilio-Email-Event-Webhook-Signature": self.signature(stamp, body),
            "X-Twilio-Email-Event-Webhook-Timestamp": stamp,
        }

    def signature(self, timestamp: str, body: bytes) -> str:
        return base64.b64encode(self._key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))).decode()


def _handler(fake: FakeSendGrid) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

        def _answer(self, status: int, body: dict[str, Any] | None, headers: dict[str, str] | None = None) -> None:
            with contextlib.suppress(OSError):  # a sender killed while its answer was held
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        def do_POST(self) -> None:
            mail = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            fake.requests += 1
            if self.path != "/v3/mail/send":
                return self._answer(404, {"errors": [{"message": "Not found", "field": None}]})
            if self.headers.get("Authorization") != f"Bearer {API_KEY}":
                return self._answer(401, {"errors": [{"message": "The provided authorization grant is invalid"}]})
            answer = fake.script.pop(0) if fake.script else Answer()
            if answer.status == 202:
                mail["x_message_id"] = uuid.uuid4().hex[:22]
                fake.accepted.append(mail)
                if fake.events_to:
                    body, headers = fake.signed([fake.event(mail, "processed")])
                    threading.Thread(target=_post, args=(fake.events_to, body, headers), daemon=True).start()
                if answer.hold:
                    fake.taken.set()
                    fake.release.wait(120)
                if answer.drop:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return None
                return self._answer(202, None, {"X-Message-Id": mail["x_message_id"]})
            if answer.status == 400:
                error = {"message": "Does not contain a valid address.", "field": "personalizations.0.to.0.email"}
                return self._answer(400, {"errors": [error]})
            return self._answer(answer.status, {"errors": [{"message": f"scripted {answer.status}", "field": None}]})

    return Handler


def _post(url: str, body: bytes, headers: dict[str, str]) -> None:
    with contextlib.suppress(OSError):
        urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers, method="POST"), timeout=30)


@contextmanager
def fake_sendgrid() -> Iterator[FakeSendGrid]:
    fake = FakeSendGrid()
    with serving(_handler(fake)) as fake.base_url:
        yield fake


def inbound_parse(raw: bytes, recipients: list[str]) -> tuple[bytes, dict[str, str]]:
    """The post SendGrid Inbound Parse makes for one mail in raw mode: multipart/form-data with the whole MIME
    message in `email`, the envelope as JSON, and the other fields it adds."""
    boundary = f"xYzZY{uuid.uuid4().hex}"
    fields = {
        "dkim": b"{@mail.example : pass}",
        "email": raw,
        "to": ", ".join(recipients).encode(),
        "from": b"Ada Lovelace <ada@mail.example>",
        "sender_ip": b"192.0.2.10",
        "envelope": json.dumps({"to": recipients, "from": "ada@mail.example"}).encode(),
        "charsets": json.dumps({"to": "UTF-8", "from": "UTF-8", "subject": "UTF-8"}).encode(),
        "SPF": b"pass",
    }
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value + b"\r\n"
        for name, value in fields.items()
    )
    return body + f"--{boundary}--\r\n".encode(), {"Content-Type": f"multipart/form-data; boundary={boundary}"}
