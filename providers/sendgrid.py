"""SendGrid: the AI email through the v3 Mail Send API with the `sendgrid` SDK.

Every email carries our Message-ID (replies reference it), a Reply-To with a signed reply token, our ids as
`custom_args` (SendGrid returns them on every event of the Event Webhook) and a header that keeps out-of-office
robots quiet. SendGrid answers 202 with its own id in `X-Message-Id`.

SendGrid has no API to look a message up by our id, so after an ambiguous attempt the proof is its Event
Webhook: the `processed` event carries our delivery id (see `inbound/delivery_events.py`). Without one within
`CONFIRM_WINDOW` the delivery is marked unknown for a person to check, never sent blindly again.
"""

import http.client
import json
import urllib.error
from datetime import UTC, datetime, timedelta

from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import Content, CustomArg, From, Header, Mail, MimeType, ReplyTo, To

from providers.email import QUIET_AUTO_REPLIES, OutgoingEmail
from providers.outcomes import Ambiguous, Attempt, Refused, Unavailable, Unconfirmed

# SendGrid posts `processed` within seconds; a quarter of an hour covers its own retries of the webhook.
CONFIRM_WINDOW = timedelta(minutes=15)
REQUEST_TIMEOUT_SECONDS = 10.0


class SendGridEmail:
    name = "sendgrid"

    def __init__(self, api_key: str, api_url: str) -> None:
        self._client = SendGridAPIClient(api_key=api_key, host=api_url)

    def send(self, email: OutgoingEmail) -> str:
        try:
            response = self._client.client.mail.send.post(request_body=_mail(email).get(),
                                                          timeout=REQUEST_TIMEOUT_SECONDS)  # fmt: skip
        except HTTPError as error:
            if error.status_code == 429 or error.status_code >= 500:
                raise Unavailable(f"SendGrid answered {error.status_code}; the email will be sent again.") from error
            raise Refused(f"SendGrid refused the email ({error.status_code}): {_reasons(error)}") from error
        except urllib.error.URLError as error:  # no connection, or it broke while the request was written
            raise Unavailable(f"SendGrid could not be reached ({error.reason}).") from error
        except (http.client.HTTPException, ConnectionError, TimeoutError) as error:
            # The request was written: SendGrid may have taken it.
            raise Ambiguous(f"The connection to SendGrid broke before it answered ({error!r}).") from error
        message_id = response.headers.get("X-Message-Id")
        if not message_id:
            raise Ambiguous(f"SendGrid answered {response.status_code} without an X-Message-Id.")
        return str(message_id)

    def confirm(self, attempt: Attempt) -> str | None:
        if attempt.provider_message_id:
            return attempt.provider_message_id
        if datetime.now(UTC) - attempt.attempted_at < CONFIRM_WINDOW:
            raise Unconfirmed("Waiting for SendGrid's events to say whether the email went out.", final=False)
        raise Unconfirmed(
            f"SendGrid never confirmed the email to {attempt.to_address} (delivery {attempt.delivery_id}): check "
            "its activity feed before sending it again.",
            final=True,
        )


def _mail(email: OutgoingEmail) -> Mail:
    mail = Mail(from_email=From(email.from_email, email.from_name), to_emails=To(email.to_address),
                subject=email.subject)  # fmt: skip
    # Plain text first: clients show the last alternative they can render.
    mail.content = [Content(MimeType.text, email.body_text), Content(MimeType.html, email.body_html)]
    if email.reply_to:
        mail.reply_to = ReplyTo(email.reply_to)
    headers = {"Message-ID": email.message_id, **QUIET_AUTO_REPLIES, **email.thread_headers}
    mail.header = [Header(key, value) for key, value in headers.items()]
    mail.custom_arg = [CustomArg(key, value) for key, value in email.custom_args.items()]
    return mail


def _reasons(error: HTTPError) -> str:
    """SendGrid's own words: `{"errors": [{"message": …, "field": …}]}`."""
    try:
        errors = json.loads(error.body)["errors"]
        return "; ".join(f"{item['message']} ({item['field']})" if item.get("field") else item["message"]
                         for item in errors)  # fmt: skip
    except (ValueError, KeyError, TypeError):
        return str(error.body)[:300]
