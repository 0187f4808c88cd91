"""A local server speaking Twilio's REST API for calls and messages (`Calls.json`, `Messages.json`: create and
list), so the real `twilio` SDK runs end to end, and the signed status callbacks Twilio would post about them.

Each create takes the next scripted answer: 201, an error status with Twilio's error body, or a drop (the call
or message is created, then the connection closes before any answer: the ambiguous case)."""

import base64
import contextlib
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from twilio.request_validator import RequestValidator

from tests.fakes.serving import answer_json, serving

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "test-auth-token"
FROM_NUMBER = "+3197010000000"


@dataclass
class Answer:
    status: int = 201
    drop: bool = False


@dataclass
class FakeTwilio:
    base_url: str = ""
    script: list[Answer] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    creates: int = 0
    # Create the first call or message to these numbers, then hold the answer until `release` is set.
    hold_calls_to: set[str] = field(default_factory=set)
    hold_texts_to: set[str] = field(default_factory=set)
    held: list[str] = field(default_factory=list)  # "calls:+31…", "messages:+31…" as each is taken
    release: threading.Event = field(default_factory=threading.Event)

    def callback(
        self, resource: dict[str, Any], state: str, **extra: str
    ) -> tuple[str, dict[str, str], dict[str, str]]:
        """The status callback Twilio posts about `resource`: its URL, form and signed headers."""
        is_call = resource["sid"].startswith("CA")
        return self.signed(resource["status_callback"], resource, **{
            ("CallStatus" if is_call else "MessageStatus"): state, **extra})  # fmt: skip

    def answered(self, call: dict[str, Any], answered_by: str) -> tuple[str, dict[str, str], dict[str, str]]:
        """What Twilio posts to the call's URL once it is answered, with its answering-machine verdict."""
        return self.signed(call["url"], call, CallStatus="in-progress", AnsweredBy=answered_by)

    def signed(self, url: str, resource: dict[str, Any], **extra: str) -> tuple[str, dict[str, str], dict[str, str]]:
        """A request Twilio makes about `resource` to `url`: the URL, the form and the signed headers."""
        is_call = resource["sid"].startswith("CA")
        params = {"AccountSid": ACCOUNT_SID, "To": resource["to"], "From": resource["from"],
                  ("CallSid" if is_call else "MessageSid"): resource["sid"], **extra}  # fmt: skip
        headers = {
            "X-Twilio-Signature": RequestValidator(AUTH_TOKEN).compute_signature(url, params),
            "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
            "Content-Type": "application/x-www-form-urlencoded",
        }
        return url, params, headers


def _handler(fake: FakeTwilio) -> type[BaseHTTPRequestHandler]:
    base = f"/2010-04-01/Accounts/{ACCOUNT_SID}"

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            with contextlib.suppress(OSError):  # a sender killed while its answer was held
                answer_json(self, status, body)

        def _authorized(self) -> bool:
            expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
            if self.headers.get("Authorization") == expected:
                return True
            self._answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
            return False

        def _kind(self, path: str) -> str | None:
            return {f"{base}/Calls.json": "calls", f"{base}/Messages.json": "messages"}.get(path)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            kind = self._kind(url.path)
            if kind is None:
                return self._answer(404, {"message": "Not found"})
            if not self._authorized():
                return None
            query = dict(parse_qsl(url.query))
            found = [r for r in reversed(getattr(fake, kind))
                     if r["to"] == query.get("To", r["to"]) and r["from"] == query.get("From", r["from"])]  # fmt: skip
            return self._answer(200, {kind: found, "page": 0, "page_size": 50, "uri": self.path,
                                      "first_page_uri": self.path, "next_page_uri": None,
                                      "previous_page_uri": None})  # fmt: skip

        def do_POST(self) -> None:
            pairs = parse_qsl(self.rfile.read(int(self.headers["Content-Length"])).decode())
            form = dict(pairs)
            kind = self._kind(self.path)
            if kind is None:
                return self._answer(404, {"message": "Not found"})
            if not self._authorized():
                return None
            fake.creates += 1
            answer = fake.script.pop(0) if fake.script else Answer()
            if answer.status == 400:
                return self._answer(400, {"code": 21211, "message": f"The 'To' number {form.get('To')} is not a "
                                          "valid phone number.", "status": 400})  # fmt: skip
            if answer.status != 201:
                return self._answer(answer.status, {"code": 20500, "message": "scripted", "status": answer.status})
            resource = {
                "sid": ("CA" if kind == "calls" else "SM") + uuid.uuid4().hex,
                "account_sid": ACCOUNT_SID,
                "to": form["To"],
                "from": form["From"],
                "status": "queued",
                "date_created": format_datetime(datetime.now(UTC), usegmt=True),
                "status_callback": form.get("StatusCallback"),
                "url": form.get("Url"),
                "machine_detection": form.get("MachineDetection"),
                "body": form.get("Body"),
                "status_callback_event": [value for key, value in pairs if key == "StatusCallbackEvent"],
            }
            getattr(fake, kind).append(resource)
            holding = fake.hold_calls_to if kind == "calls" else fake.hold_texts_to
            if resource["to"] in holding:
                holding.discard(resource["to"])
                fake.held.append(f"{kind}:{resource['to']}")
                fake.release.wait(120)
            if answer.drop:
                self.close_connection = True
                self.connection.shutdown(2)
                return None
            return self._answer(201, resource)

    return Handler


@contextmanager
def fake_twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio()
    with serving(_handler(fake)) as fake.base_url:
        yield fake
