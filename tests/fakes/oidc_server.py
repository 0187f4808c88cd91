"""A fake OpenID Connect provider speaking the protocol's wire: discovery, the authorization endpoint (it signs in
`user` at once and sends the browser back with a code), the token endpoint (client secret, code verifier, one use
per code) and its signing keys. `forge` makes the next ID token wrong in one way, as an attacker or a misconfigured
provider would."""

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fakes.serving import answer_json, serving

CLIENT_ID = "outreach-app"
CLIENT_SECRET = "client-secret-of-the-outreach-app"


@dataclass
class FakeOidc:
    issuer: str = ""
    user: dict[str, Any] = field(default_factory=lambda: {"sub": "u-1", "email": "", "email_verified": True})
    # What the next ID token gets wrong: "audience", "expired", "nonce", "foreign_key", "none".
    forge: str = ""
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    _key: rsa.RSAPrivateKey = field(default_factory=lambda: rsa.generate_private_key(public_exponent=65537,
                                                                                      key_size=2048))  # fmt: skip

    def jwks(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key()))
        return {"keys": [{**public, "kid": "key-1", "use": "sig", "alg": "RS256"}]}

    def id_token(self, nonce: str) -> str:
        now = int(time.time())
        claims = {**self.user, "iss": self.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 300, "nonce": nonce}
        key: Any = self._key
        headers = {"kid": "key-1"}
        forged, self.forge = self.forge, ""
        if forged == "audience":
            claims["aud"] = "another-app"
        elif forged == "expired":
            claims |= {"iat": now - 3600, "exp": now - 1800}
        elif forged == "nonce":
            claims["nonce"] = "a-nonce-of-another-sign-in"
        elif forged == "foreign_key":
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        elif forged == "none":  # unsigned: header and claims, and an empty signature
            parts = ({"alg": "none", "typ": "JWT", **headers}, claims)
            return ".".join(base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()
                            for part in parts) + "."  # fmt: skip
        return jwt.encode(claims, key, algorithm="RS256", headers=headers)


def _handler(fake: FakeOidc) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

        def _json(self, status: int, body: dict[str, Any]) -> None:
            answer_json(self, status, body)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {name: values[0] for name, values in parse_qs(url.query).items()}
            if url.path == "/.well-known/openid-configuration":
                return self._json(200, {"issuer": fake.issuer, "authorization_endpoint": f"{fake.issuer}/authorize",
                                        "token_endpoint": f"{fake.issuer}/token", "jwks_uri": f"{fake.issuer}/jwks",
                                        "response_types_supported": ["code"],
                                        "code_challenge_methods_supported": ["S256"]})  # fmt: skip
            if url.path == "/jwks":
                return self._json(200, fake.jwks())
            if url.path == "/authorize":
                if query.get("client_id") != CLIENT_ID or query.get("code_challenge_method") != "S256":
                    return self._json(400, {"error": "invalid_request"})
                code = secrets.token_urlsafe(16)
                fake.codes[code] = {"nonce": query["nonce"], "challenge": query["code_challenge"],
                                    "redirect_uri": query["redirect_uri"]}  # fmt: skip
                back = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"
                self.send_response(302)
                self.send_header("Location", back)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            return self._json(404, {"error": "not_found"})

        def do_POST(self) -> None:
            if urlsplit(self.path).path != "/token":
                return self._json(404, {"error": "not_found"})
            form = {name: values[0] for name, values in
                    parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()).items()}  # fmt: skip
            client = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            if self.headers.get("Authorization") != f"Basic {client}":
                return self._json(401, {"error": "invalid_client"})
            issued = fake.codes.pop(form.get("code", ""), None)  # a code is good once
            verifier = form.get("code_verifier", "")
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if issued is None or issued["challenge"] != challenge or issued["redirect_uri"] != form.get("redirect_uri"):
                return self._json(400, {"error": "invalid_grant", "error_description": "The code is not valid."})
            return self._json(200, {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                                    "id_token": fake.id_token(issued["nonce"])})  # fmt: skip

    return Handler


@contextmanager
def fake_oidc() -> Iterator[FakeOidc]:
    fake = FakeOidc()
    with serving(_handler(fake)) as base_url:
        fake.issuer = base_url
        yield fake
