"""Process configuration: one pydantic-settings class, read from the environment only.

Temporal connection settings are deliberately absent: the client reads the standard `TEMPORAL_*`
variables and profiles through `temporalio.envconfig` (see `temporal_client.connect`).
"""

from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    # Larger request bodies are refused with 413 before they are read.
    max_request_bytes: int = 1_048_576
    # Where providers reach this API (webhooks and callbacks), e.g. https://outreach.example.com. Twilio signs
    # its callbacks over this exact URL, so it must be the address as the internet sees it.
    public_base_url: str = "http://127.0.0.1:8000"
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
    llm_timeout_seconds: float = 30.0
    # Ports of the Temporal dev server that `make run` starts (gRPC and Web UI).
    dev_temporal_port: int = 7233
    dev_ui_port: int = 8233

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'outreach.db'}"

    @property
    def sandbox(self) -> bool:
        """True when some deliveries go to the database outbox instead of a real provider."""
        return not (self.sendgrid_api_key and self.twilio)

    @property
    def twilio(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token and self.twilio_from_number)

    @property
    def reply_secret(self) -> str:
        """The reply tokens' secret. Sandbox email never leaves the machine and its replies are simulated, so
        without one configured its tokens are signed with a fixed secret that proves nothing."""
        return self.reply_token_secret or "sandbox-reply-tokens-prove-nothing"

    @property
    def portal_secret(self) -> str:
        """The portal links' secret; the demo's portal is not real, so without one its links prove nothing."""
        return self.portal_link_secret or "sandbox-portal-links-prove-nothing"

    @model_validator(mode="after")
    def _real_providers_need_their_secrets(self) -> "Settings":
        if self.sendgrid_api_key and not self.reply_token_secret:
            raise ValueError("OUTREACH_REPLY_TOKEN_SECRET must be set when the AI email goes through SendGrid.")
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
