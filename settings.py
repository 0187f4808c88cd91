"""Process configuration: one pydantic-settings class, read from the environment only.

Temporal connection settings are deliberately absent: the client reads the standard `TEMPORAL_*`
variables and profiles through `temporalio.envconfig` (see `temporal_client.connect`).
"""

from datetime import timedelta
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OUTREACH_", extra="ignore")

    data_dir: Path = PROJECT_ROOT / ".data"
    # DATABASE_URL is the name every hosting platform uses, so it is read without our prefix.
    database_url: str = Field(default="", validation_alias="DATABASE_URL")
    task_queue: str = "outreach"
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # How long an API process trusts an operator it has looked up: a revoked token or a changed permission takes
    # effect within this time; 0 looks the operator up on every request.
    operator_cache_seconds: float = 5.0
    # A web app session ends after this long unused, and this long after sign-in however used.
    web_session_idle_minutes: int = Field(default=60, ge=1)
    web_session_hours: int = Field(default=12, ge=1)
    # Larger request bodies are refused with 413 before they are read.
    max_request_bytes: int = 1_048_576
    # Where providers reach this API (webhooks and callbacks), e.g. https://outreach.example.com. Twilio signs
    # its callbacks over this exact URL, so it must be the address as the internet sees it.
    public_base_url: str = "http://127.0.0.1:8000"
    # Operators may sign in with the organisation's OpenID Connect provider: its issuer (as its discovery document
    # names it), this app's client at it (the redirect URI to register: {public_base_url}/app/sign-in/oidc/callback),
    # and the name the sign-in page shows. Empty issuer: only passwords (and API tokens).
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_name: str = "your organisation"
    # Replies to the AI email go to reply+{token}@{reply_domain} (the domain SendGrid Inbound Parse receives
    # for); empty: the domain of the location's AI address. Tokens are signed with the secret and expire.
    reply_domain: str = ""
    reply_token_secret: str = ""
    reply_token_days: int = 90
    # Signs the member-portal links the AI hands out (pay an invoice, book, profile); they expire after the days.
    # It also signs the members' chat links, which sign a customer in to the chat: without it the chat is off.
    portal_link_secret: str = ""
    portal_link_days: int = 14
    chat_link_hours: int = 12
    # A billing dispute over at least this amount (in cents of the location's currency) escalates as Critical.
    critical_dispute_cents: int = 100_000
    # The AI email goes through SendGrid when its API key is set, else to the sandbox outbox.
    sendgrid_api_key: str = ""
    sendgrid_api_url: str = "https://api.sendgrid.com"
    # The Event Webhook's verification key, as SendGrid's mail settings show it (base64).
    sendgrid_webhook_public_key: str = ""
    # Inbound Parse posts replies to /webhooks/sendgrid/inbound with this as its Basic-authentication password (user
    # `sendgrid`, in the URL SendGrid is given); empty: the webhook is off.
    sendgrid_inbound_secret: str = ""
    # An inbound mail (SendGrid's limit is 30 MB) is refused above this; an attachment above the second is
    # listed on the timeline but its bytes are not kept.
    inbound_max_bytes: int = 31_457_280
    inbound_attachment_max_bytes: int = 10_485_760
    # Mail that matched no conversation (or failed) is deleted this many days after it came, unless an operator
    # attached it; its attachments' bytes are never kept, only what each file was.
    unmatched_mail_retention_days: int = Field(default=30, ge=1)
    # How often each connected mailbox is read for replies.
    mailbox_sync_interval: timedelta = timedelta(minutes=1)
    # The relay the `email` channel's location default sends through (its password in OUTREACH_SMTP_PASSWORD);
    # without a host that mail goes to the sandbox outbox. Connected accounts use their own servers.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"
    smtp_username: str = ""
    smtp_password: str = ""
    # Connected email accounts name where their password is (`secret_ref`): an environment variable named
    # OUTREACH_MAILBOX_SECRET_<NAME>, or a file in this folder (none: files are not used). Nothing else is read.
    mailbox_secrets_dir: Path | None = None
    # Mail servers accounts may reach besides public ones on mail ports (comma-separated host names, addresses or
    # networks such as 10.1.2.0/24): an in-house server, on any port.
    mail_host_allowlist: Annotated[tuple[str, ...], NoDecode] = ()
    # Calls and their text messages go through Twilio when all three are set, else to the sandbox outbox.
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_from_number: str = ""
    twilio_api_url: str = "https://api.twilio.com"
    # Workflows a worker keeps in memory. A waiting outreach evicted from it is replayed from its history on
    # the next decision, so this should hold every waiting outreach (see the README's performance section).
    worker_cached_workflows: int = 10_000
    detection_interval: timedelta = timedelta(minutes=15)
    # Any litellm model string ("openai/gpt-4o-mini", "anthropic/…", "ollama/…"); empty: the offline
    # composer. Provider API keys come from their usual variables (OPENAI_API_KEY, …).
    llm_model: str = ""
    llm_api_base: str = ""
    # How a model is made to call a function: "required" (hosted providers) or "auto" (what self-hosted servers
    # support; a plain-text answer is then taken as the reply). Empty: "auto" with an api_base, else "required".
    llm_tool_choice: Literal["", "auto", "required"] = ""
    llm_timeout_seconds: float = 30.0
    # The most a model may write in one answer: a draft or a reply is at most 8,000 characters (about 2,000 tokens),
    # and a model that runs on past it costs time and money (a self-hosted server goes on writing after a timeout).
    llm_max_tokens: int = Field(default=2_048, ge=256)
    # Ports of the Temporal dev server that `make run` starts (gRPC and Web UI).
    dev_temporal_port: int = 7233
    dev_ui_port: int = 8233

    # The database connections each API or worker process may hold (PostgreSQL), and how long a request waits for
    # one before it is answered 503: processes x (size + overflow) must stay under the server's max_connections.
    db_pool_size: int = Field(default=5, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)
    db_pool_timeout_seconds: float = Field(default=10.0, gt=0)
    # --- limits: what a customer in the members' chat, or a script, can spend of our money and our space ---
    # Messages to the members' chat: per customer a minute and a (UTC) day, per client address a minute;
    # generous for a person typing, tight for a script. Counted in the database, so they hold across API processes.
    chat_messages_per_minute: int = Field(default=10, ge=1)
    chat_messages_per_day: int = Field(default=100, ge=1)
    chat_messages_per_address_minute: int = Field(default=30, ge=1)
    # Proxies (addresses or networks, comma-separated) whose X-Forwarded-For is believed: the client address is
    # then the last one the list names that is not itself a trusted proxy. Empty: the direct peer, always.
    trusted_proxies: Annotated[list[IPv4Network | IPv6Network], NoDecode] = Field(default_factory=list)
    # Bookings and day passes the AI may make: per conversation, and per customer on a day of their location.
    ai_bookings_per_conversation: int = Field(default=3, ge=0)
    ai_bookings_per_customer_day: int = Field(default=5, ge=0)
    # What model calls may cost per location in its local calendar month (USD, litellm's estimate); a location's
    # own `llm_monthly_budget_usd` overrides it. 0: no ceiling. Reached: drafts come from the offline composer
    # and conversations go to the team.
    llm_monthly_budget_usd: float = Field(default=50.0, ge=0)

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'outreach.db'}"

    @property
    def twilio(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token and self.twilio_from_number)

    # Development (`make run` sets it): the sandbox's helpers are served — /api/dev, where an operator plays the
    # customer and the space's systems, and the web app's "Reply as the customer" — and the signing secrets may be
    # left unset (fixed ones that prove nothing stand in). Never together with a provider that reaches customers.
    development: bool = False

    @property
    def real_providers(self) -> list[str]:
        """The configured providers that reach real customers, named by the settings that configure them."""
        configured = {
            "SendGrid (OUTREACH_SENDGRID_API_KEY)": bool(self.sendgrid_api_key),
            "Twilio (OUTREACH_TWILIO_*)": self.twilio,
            "an SMTP relay (OUTREACH_SMTP_HOST)": bool(self.smtp_host),
        }
        return [provider for provider, on in configured.items() if on]

    @property
    def reply_secret(self) -> str:
        """The reply tokens' secret; in development, without one, a fixed secret that proves nothing."""
        return self.reply_token_secret or (DEVELOPMENT_REPLY_SECRET if self.development else "")

    @property
    def portal_secret(self) -> str:
        """The portal links' secret; in development, without one, a fixed secret that proves nothing."""
        return self.portal_link_secret or (DEVELOPMENT_PORTAL_SECRET if self.development else "")

    @field_validator("mail_host_allowlist", "trusted_proxies", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        return [entry.strip() for entry in value.split(",") if entry.strip()] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _no_relay_password_in_the_clear(self) -> "Settings":
        if self.smtp_username and self.smtp_security == "none":
            raise ValueError("OUTREACH_SMTP_SECURITY=none would send the relay's password unencrypted: use starttls "
                             "or ssl, or no OUTREACH_SMTP_USERNAME for a relay that needs no login.")  # fmt: skip
        return self

    @model_validator(mode="after")
    def _oidc_complete_and_private(self) -> "Settings":
        if not self.oidc_issuer:
            return self
        if not (self.oidc_client_id and self.oidc_client_secret):
            raise ValueError("OUTREACH_OIDC_ISSUER is set: set OUTREACH_OIDC_CLIENT_ID and "
                             "OUTREACH_OIDC_CLIENT_SECRET (this app's client at the provider) too.")  # fmt: skip
        issuer = urlsplit(self.oidc_issuer)
        if issuer.scheme != "https" and issuer.hostname not in ("127.0.0.1", "::1", "localhost"):
            raise ValueError("OUTREACH_OIDC_ISSUER must be an https:// address (plain http only for a provider on "
                             "this machine): the client secret and the sign-in go to it.")  # fmt: skip
        return self

    @model_validator(mode="after")
    def _development_never_reaches_customers(self) -> "Settings":
        if self.development and self.real_providers:
            raise ValueError(
                f"OUTREACH_DEVELOPMENT is on while {' and '.join(self.real_providers)} reaches real customers. "
                "Development lets an operator play the customer and signs with secrets anyone can read: unset "
                "OUTREACH_DEVELOPMENT in production, or unset the provider to try things out."
            )
        return self

    def refuse_unsigned(self) -> None:
        """What the API and a worker check as they start: outside development, and wherever mail comes in, every
        signing secret is set and long enough. A connected mailbox reaches real customers too, and these settings
        cannot see one, so outside development no provider is no excuse."""
        if self.development and not self.sendgrid_inbound_secret:
            return
        secrets = {
            "OUTREACH_REPLY_TOKEN_SECRET": self.reply_token_secret,
            "OUTREACH_PORTAL_LINK_SECRET": self.portal_link_secret,
        }
        if self.sendgrid_inbound_secret:  # optional; but a short one is a webhook anyone can post to
            secrets["OUTREACH_SENDGRID_INBOUND_SECRET"] = self.sendgrid_inbound_secret
        weak = [
            f"{name} is {f'only {len(value.encode())} bytes' if value else 'unset'}"
            for name, value in secrets.items()
            if len(value.encode()) < MIN_SECRET_BYTES
        ]
        if weak:
            raise InsecureSettings(
                f"{'; '.join(weak)}. Outside development, and whenever inbound mail is on, what reaches customers "
                f"is signed (reply addresses, portal and chat links): each secret needs {MIN_SECRET_BYTES} "
                "bytes or more. Make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'. "
                "On a laptop, with no provider configured, OUTREACH_DEVELOPMENT=1 (make run sets it) needs none."
            )


# Development's stand-in secrets: public, so what they sign proves nothing (see `Settings.development`).
DEVELOPMENT_REPLY_SECRET = "sandbox-reply-tokens-prove-nothing"
DEVELOPMENT_PORTAL_SECRET = "sandbox-portal-links-prove-nothing"
MIN_SECRET_BYTES = 32


class InsecureSettings(Exception):
    """A process that would reach customers is configured without the secrets that keep it safe."""


@lru_cache
def get_settings() -> Settings:
    return Settings()
