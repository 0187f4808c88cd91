"""Every channel refusal and warning in the product's own words: what an operator reads in the inbox's channel
options is what an approval on that channel is refused with, and what the agent config says."""

import pytest

from domain import channels
from domain.channels import Reach
from models.messages import Channel

REACHABLE = Reach(email="ada@mail.example", mobile="+31612345678", mobile_valid=True, voice_enabled=True)


@pytest.mark.parametrize(
    ("reach", "sentence"),
    [
        (Reach(email=None, mobile=None, mobile_valid=False, voice_enabled=True),
         "The customer does not have a mobile phone number."),
        (Reach(email=None, mobile="06 1234", mobile_valid=False, voice_enabled=True),
         "The customer's phone number is not in a valid international format. Fix 06 1234 in the customer record, "
         "e.g. as +31612345678."),
        (Reach(email=None, mobile="+31612345678", mobile_valid=True, voice_enabled=False),
         "The Voice AI agent is not enabled for this location."),
    ],
)  # fmt: skip
def test_each_reason_voice_cannot_reach_a_customer(reach: Reach, sentence: str) -> None:
    assert channels.problem(Channel.voice, reach) == sentence
    # Refused at approve with the same sentence, and what to do instead.
    assert (
        channels.refusal("voice", reach) == f"{sentence} No channel reaches this customer yet: add an email "
        "address or a valid mobile number."
    )


def test_a_customer_without_email_is_offered_the_call() -> None:
    reach = Reach(email=None, mobile="+31612345678", mobile_valid=True, voice_enabled=True)
    assert channels.problem(Channel.ai_email, reach) == "The customer does not have an email address."
    assert channels.refusal("ai_email", reach) == "The customer does not have an email address. Approve with voice."
    assert channels.refusal("email", reach) == "The customer does not have an email address. Approve with voice."


def test_voice_warns_about_business_hours_without_refusing() -> None:
    assert channels.problem(Channel.voice, REACHABLE) is None
    assert channels.WARNINGS[Channel.voice] == (
        "Voice messages are only sent during business hours. This action will be automatically deferred until the "
        "next available business hours window."
    )


def test_an_unknown_channel_names_the_ones_that_reach_the_customer() -> None:
    assert (
        channels.refusal("pigeon", REACHABLE)
        == "There is no 'pigeon' channel. Approve with ai_email, voice, email or helpdesk."
    )
