"""Channel rules, once: which channels exist for delivery, which can reach a customer, and the sentence that
says why not. The workflow's approval validator, the inbox's `channel_options` and the agent config check all
ask here, so an operator reads the same words wherever a channel is refused."""

from collections.abc import Iterable
from dataclasses import dataclass

from models.messages import LOCATION_DEFAULT, Channel, EmailAccountStatus

# What this version delivers, in the order an operator is offered them; the others come with their providers.
DELIVERABLE = (Channel.ai_email, Channel.voice, Channel.email, Channel.helpdesk)
# What an agent may propose on by itself; the others are an operator's takeover.
PROPOSABLE = (Channel.ai_email, Channel.voice)
# What an operator reads for each channel; a conversation's may also be a text message or the members' chat.
LABELS = {Channel.ai_email: "AI assisted email", Channel.voice: "Voice", Channel.email: "Email message",
          Channel.helpdesk: "Help desk", Channel.sms: "Text message", Channel.chat: "Members' chat",
          Channel.team: "For the team"}  # fmt: skip

# The product's own words, the same in the inbox's channel options, an approval's refusal and the agent config.
NO_EMAIL = "The customer does not have an email address"
NO_MOBILE = "The customer does not have a mobile phone number"
INVALID_MOBILE = "The customer's phone number is not in a valid international format"
VOICE_DISABLED = "The Voice AI agent is not enabled for this location"
# Warnings: the channel works, and this is what to expect.
VOICE_HOURS = (
    "Voice messages are only sent during business hours. This action will be automatically deferred until the "
    "next available business hours window."
)
WARNINGS = {Channel.voice: VOICE_HOURS}
UNTRACKED_REPLIES = (
    "Replies cannot be automatically tracked without a connected email account. Customer replies will land in "
    "your normal inbox and will not appear in the AI conversation timeline."
)
NO_SEND_FROM = (
    "Choose where the email is sent from: send_from is the id of one of the location's connected email accounts, "
    "or location_default."
)


@dataclass(frozen=True)
class Mailbox:
    """A connected email account as the channel rules see it."""

    id: str
    email: str
    location_id: str
    status: EmailAccountStatus
    syncing: bool
    last_error: str | None


def send_from_problem(mailbox: Mailbox | None, send_from: str, location_id: str, may_send: bool) -> str | None:
    """Why an email cannot go out from `send_from` (an account, found or not, or the location default), or None."""
    if send_from == LOCATION_DEFAULT:
        return None
    if mailbox is None:
        return f"There is no email account {send_from!r} at your locations. {NO_SEND_FROM}"
    if mailbox.location_id != location_id:
        return (f"The email account {mailbox.email} belongs to another location; send from one of this location's "
                "accounts or from location_default.")  # fmt: skip
    if not may_send:
        return ("Sending from a connected email account needs the emailAccount permission; ask an admin for it, "
                "or send from location_default.")  # fmt: skip
    if mailbox.status is EmailAccountStatus.error:
        return (f"The email account {mailbox.email} failed its last connection test ({mailbox.last_error}); fix it "
                "and test it again, or send from location_default.")  # fmt: skip
    if mailbox.status is not EmailAccountStatus.connected:
        return (f"The email account {mailbox.email} is not connected; test its connection to connect it, or send "
                "from location_default.")  # fmt: skip
    if not mailbox.syncing:
        return (f"The email account {mailbox.email} is not syncing, so the customer's reply would not be tracked; "
                "turn its sync on, or send from location_default.")  # fmt: skip
    return None


@dataclass(frozen=True)
class Reach:
    """How one customer can be reached from one location."""

    email: str | None
    mobile: str | None
    mobile_valid: bool
    voice_enabled: bool


def problem(channel: Channel, reach: Reach) -> str | None:
    """Why `channel` cannot deliver to this customer now, or None when it can."""
    if channel not in DELIVERABLE:
        return f"The {channel.value} channel is not available yet."
    if channel is Channel.voice:
        if not reach.voice_enabled:
            return f"{VOICE_DISABLED}."
        if not reach.mobile:
            return f"{NO_MOBILE}."
        if not reach.mobile_valid:
            return f"{INVALID_MOBILE}. Fix {reach.mobile} in the customer record, e.g. as +31612345678."
    elif not reach.email:  # email, and the help desk's ticket notification
        return f"{NO_EMAIL}."
    return None


def usable(reach: Reach) -> list[Channel]:
    """The channels an approval can use for this customer."""
    return [channel for channel in DELIVERABLE if problem(channel, reach) is None]


def alternatives(reach: Reach) -> str:
    """What the operator can do instead, naming the channels that do reach the customer."""
    channels = usable(reach)
    if not channels:
        return "No channel reaches this customer yet: add an email address or a valid mobile number."
    return f"Approve with {_either(channel.value for channel in channels)}."


def _either(names: Iterable[str]) -> str:
    """ "a", "a or b", "a, b or c"."""
    *first, last = names
    return f"{', '.join(first)} or {last}" if first else last


def refusal(channel: str, reach: Reach) -> str | None:
    """The sentence refusing an approval on `channel` (a name as the operator typed it), or None."""
    try:
        known = Channel(channel)
    except ValueError:
        return f"There is no {channel!r} channel. {alternatives(reach)}"
    reason = problem(known, reach)
    return None if reason is None else f"{reason} {alternatives(reach)}"


def team_refusal(proposed: Channel) -> str:
    """Why a proposal cannot change between the team and a customer: `proposed` is the channel it was made for."""
    if proposed is Channel.team:
        return "This proposal is work for the team, created when approved: it goes to no customer, on no channel."
    return "Only a team agent's proposal is created for the team; approve this one on a channel to the customer."


def proposal_refusal(channel: Channel, voice_enabled: bool, team: bool = False) -> str | None:
    """Why an agent (a team agent: `team`) may not propose on `channel` by default at a location, or None."""
    if team:
        return None if channel is Channel.team else "A team agent's work is created for the team: its channel is team."
    if channel not in PROPOSABLE:
        names = _either(option.value for option in PROPOSABLE)
        return f"Agents can propose {names}, not {channel.value}."
    if channel is Channel.voice and not voice_enabled:
        return f"{VOICE_DISABLED}; keep ai_email."
    return None
