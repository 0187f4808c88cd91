"""Signing in with the organisation's OpenID Connect provider (when one is configured): the authorization code flow
with PKCE. The browser is sent to the provider with a fresh `state`, `nonce` and code challenge, kept in a cookie of
this flow only; the provider sends it back with a code, which this server exchanges — with the client secret and the
code verifier — for an ID token, whose signature (the provider's published keys), issuer, audience, expiry and nonce
are checked before its verified email address is read. That address must be an operator's: the provider says who
someone is, an admin's invitation says they may come in."""

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import jwt

from settings import Settings

COOKIE = "outreach_oidc"
CALLBACK = "/app/sign-in/oidc/callback"
FLOW_SECONDS = 600  # the provider's sign-in must come back within this
DISCOVERY_SECONDS = 3600  # how long the provider's configuration and keys are trusted before they are read again
LEEWAY_SECONDS = 60  # clocks of two machines differ
TIMEOUT = httpx.Timeout(10.0)
# Signatures an ID token may carry: the provider's keys, never "none" nor a shared secret an attacker could guess.
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"]


class OidcRefused(Exception):
    """Why signing in with the provider did not work, in words a person can act on."""


@dataclass
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    keys: jwt.PyJWKSet | None = None
    read_at: float = field(default_factory=time.monotonic)


_known: dict[str, Provider] = {}


def redirect_uri(settings: Settings) -> str:
    return f"{settings.public_base_url.rstrip('/')}{CALLBACK}"


async def provider(settings: Settings) -> Provider:
    """The provider's endpoints, from its discovery document (read again after `DISCOVERY_SECONDS`)."""
    known = _known.get(settings.oidc_issuer)
    if known is not None and time.monotonic() - known.read_at < DISCOVERY_SECONDS:
        return known
    document = await _get(f"{settings.oidc_issuer.rstrip('/')}/.well-known/openid-configuration")
    if document.get("issuer") != settings.oidc_issuer:
        raise OidcRefused("The sign-in provider names another issuer than OUTREACH_OIDC_ISSUER: an admin checks the "
                          "setting (it must be the provider's issuer exactly).")  # fmt: skip
    try:
        found = Provider(issuer=document["issuer"], authorization_endpoint=document["authorization_endpoint"],
                         token_endpoint=document["token_endpoint"], jwks_uri=document["jwks_uri"])  # fmt: skip
    except KeyError as missing:
        raise OidcRefused(f"The sign-in provider's configuration lacks {missing}; it is no OpenID provider.") from None
    _known[settings.oidc_issuer] = found
    return found


@dataclass(frozen=True)
class Flow:
    """One browser's way to the provider and back: kept in its cookie, compared when it comes back."""

    state: str
    nonce: str
    verifier: str
    next_page: str

    @classmethod
    def start(cls, next_page: str) -> "Flow":
        return cls(secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48), next_page)

    def cookie(self) -> str:
        # Dots part them: no token has one, and the page is encoded (a cookie holds no spaces, quotes or commas).
        page = base64.urlsafe_b64encode(self.next_page.encode()).decode().rstrip("=")
        return ".".join((self.state, self.nonce, self.verifier, page))

    @classmethod
    def from_cookie(cls, value: str | None) -> "Flow | None":
        parts = (value or "").split(".")
        if len(parts) != 4:
            return None
        try:
            page = base64.urlsafe_b64decode(parts[3] + "=" * (-len(parts[3]) % 4)).decode()
        except ValueError:
            return None
        return cls(parts[0], parts[1], parts[2], page)

    def authorization_url(self, found: Provider, settings: Settings) -> str:
        challenge = base64.urlsafe_b64encode(hashlib.sha256(self.verifier.encode()).digest()).rstrip(b"=").decode()
        query = {"response_type": "code", "client_id": settings.oidc_client_id, "redirect_uri": redirect_uri(settings),
                 "scope": "openid email profile", "state": self.state, "nonce": self.nonce,
                 "code_challenge": challenge, "code_challenge_method": "S256"}  # fmt: skip
        separator = "&" if urlsplit(found.authorization_endpoint).query else "?"
        return f"{found.authorization_endpoint}{separator}{urlencode(query)}"


async def signed_in_email(settings: Settings, flow: Flow, code: str) -> str:
    """The verified email address the provider vouches for, once the code is exchanged and its ID token checked."""
    found = await provider(settings)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri(settings),
            "code_verifier": flow.verifier}  # fmt: skip
    answer = await _call("POST", found.token_endpoint, data=form,
                         auth=(settings.oidc_client_id, settings.oidc_client_secret))  # fmt: skip
    if answer.status_code != 200:
        said = _json(answer).get("error_description") or _json(answer).get("error") or f"HTTP {answer.status_code}"
        raise OidcRefused(f"The sign-in provider would not confirm the sign-in ({said}); start again.")
    token = _json(answer).get("id_token")
    if not isinstance(token, str):
        raise OidcRefused("The sign-in provider gave no ID token; an admin checks that the client may use OpenID.")
    claims = await _checked(found, settings, token)
    if claims.get("nonce") != flow.nonce:
        raise OidcRefused("The sign-in provider's answer belongs to another sign-in; start again.")
    email = claims.get("email")
    if not isinstance(email, str) or claims.get("email_verified") is not True:
        raise OidcRefused("The sign-in provider did not vouch for an email address of yours (a verified one); ask "
                          "an admin, or sign in with your password.")  # fmt: skip
    return email


async def _checked(found: Provider, settings: Settings, token: str) -> dict[str, Any]:
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError as bad:
        raise OidcRefused(f"The sign-in provider's ID token cannot be read ({bad}); start again.") from None
    key = await _key(found, kid)
    try:
        claims: dict[str, Any] = jwt.decode(
            token, key, algorithms=ALGORITHMS, audience=settings.oidc_client_id, issuer=found.issuer,
            leeway=LEEWAY_SECONDS, options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )  # fmt: skip
    except jwt.PyJWTError as bad:
        raise OidcRefused(f"The sign-in provider's ID token does not hold ({bad}); start again.") from None
    return claims


async def _key(found: Provider, kid: str | None) -> jwt.PyJWK:
    """The provider's signing key the token names; its keys read again once if it names one not known yet (a key
    the provider rotated in)."""
    for fresh in (False, True):
        if found.keys is None or fresh:
            try:
                found.keys = jwt.PyJWKSet.from_dict(await _get(found.jwks_uri))
            except jwt.PyJWTError as bad:
                raise OidcRefused(f"The sign-in provider's keys cannot be read ({bad}).") from None
        match = [key for key in found.keys.keys if kid is None or key.key_id == kid]
        if match:
            return match[0]
    raise OidcRefused("The ID token is signed with a key the sign-in provider does not publish; start again.")


async def _get(url: str) -> dict[str, Any]:
    answer = await _call("GET", url)
    if answer.status_code != 200:
        raise OidcRefused(f"The sign-in provider answered HTTP {answer.status_code} at {url}; try again later.")
    return _json(answer)


async def _call(method: str, url: str, **options: Any) -> httpx.Response:
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False) as http:
            return await http.request(method, url, **options)
    except httpx.HTTPError as failed:
        raise OidcRefused(
            f"The sign-in provider cannot be reached ({type(failed).__name__}); try again later, or "
            "sign in with your password."
        ) from None


def _json(answer: httpx.Response) -> dict[str, Any]:
    try:
        found = answer.json()
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}
