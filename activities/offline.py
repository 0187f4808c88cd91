"""The offline composer and conversation engine: deterministic, no model, no network.

They are the default when no LLM is configured, so they must write what an operator would send. What each
agent type says lives in its module in `agents/`; this is the shape every draft and answer shares. Every
value that comes from data is HTML-escaped; nothing here evaluates text as a template.
"""

import re
from html import escape

from agents.base import ComposeContext, Intent, Wording
from agents.registry import AGENTS
from domain.content import html_to_text
from models.messages import AgentType, Channel, Draft, ToolStep, Turn, TurnOutcome


def _paragraphs(*lines: str) -> str:
    """Each line a paragraph; a list stays a list."""
    return "".join(line if line.startswith("<ul>") else f"<p>{line}</p>" for line in lines if line)


def _signature_html(context: ComposeContext) -> str:
    lines = context.signature.splitlines() or [f"The {context.location_name} team"]
    return "<br>".join(escape(line) for line in lines)


def _link_html(agent_type: AgentType, context: ComposeContext, wording: Wording) -> str:
    return f'<a href="{context.fact(AGENTS[agent_type].link_fact)}">{wording.link_text}</a>'


def compose(agent_type: AgentType, context: ComposeContext, channel: Channel) -> Draft:
    """The draft in the location's voice: an email (with its link) and a call script (links go by SMS)."""
    wording = AGENTS[agent_type].wording(context)
    greeting = f"Hi {escape(context.first_name)}," if context.friendly else f"Dear {escape(context.customer_name)},"
    body_html = _paragraphs(
        greeting,
        *wording.paragraphs,
        _link_html(agent_type, context, wording),
        "Thanks, and see you at the space!" if context.friendly else "Kind regards,",
        _signature_html(context),
    )
    # The wording exists in English only; say so on the proposal rather than let it pass unnoticed.
    in_english = context.language.lower().split("-")[0] == "en"
    return Draft(
        channel=channel,
        subject=wording.subject,
        body_html=body_html,
        body_text=html_to_text(body_html),
        voice_script=wording.voice,
        risk_notes=[]
        if in_english
        else [
            f"Written in English although the location's language is {context.language!r}: the offline composer "
            "writes English only; configure a model (OUTREACH_LLM_MODEL) to write in the location's language."
        ],
    )


# --- conversation ----------------------------------------------------------------------------

# What any customer may say, whatever the outreach was about; an agent's own intents come between the
# request for a person (always first) and these.
_HUMAN = Intent(
    TurnOutcome.escalate,
    "human",
    r"\b(human|person|someone|manager|call me|speak to|talk to)\b",
    "Customer asked for a person; handed to the team.",
)
_COMMON = (
    Intent(
        TurnOutcome.reply,
        "link",
        r"\b(link|how (do|can) i (pay|book|renew)|where.*(pay|book|renew)|pay online)\b",
        "Sent the link again.",
    ),
    Intent(
        TurnOutcome.resolve,
        "thanks",
        r"\b(thanks|thank you|cheers|will do|on it)\b",
        "Customer acknowledged the outreach.",
    ),
)


def detect_intent(agent_type: AgentType, message: str) -> Intent | None:
    """The first intent whose words the message contains, or None for anything else."""
    for intent in (_HUMAN, *AGENTS[agent_type].intents, *_COMMON):
        if re.search(intent.words, message, re.I):
            return intent
    return None


def answer(
    agent_type: AgentType, context: ComposeContext, message: str, steps: list[ToolStep], answer_now: bool = False
) -> Turn:
    """Answer one customer message about the outreach and decide what happens next. An intent that uses tools
    asks for them (`tool_calls`), round after round, then answers from what they found (`steps`)."""
    intent = detect_intent(agent_type, message)
    if intent is not None and intent.uses is not None and intent.answered is not None:
        wanted = [] if answer_now else intent.uses(context, message, steps)
        if wanted:
            return Turn(reply_html="", outcome=intent.outcome, summary=intent.summary, tool_calls=wanted)
        found = intent.answered(context, steps)
        return Turn(reply_html=_paragraphs(*found, _signature_html(context)), outcome=intent.outcome,
                    summary=intent.summary)  # fmt: skip
    agent = AGENTS[agent_type]
    first, link = escape(context.first_name), _link_html(agent_type, context, agent.wording(context))
    lines: list[str]
    if intent is None:
        lines = [
            f"Thanks for your reply, {first}.",
            agent.recap(context),
            link,
            "If you'd rather talk it through with our team, just say so and I'll pass it on.",
        ]
        outcome, summary = TurnOutcome.reply, "Answered with what the outreach is about and its link."
    else:
        outcome, summary = intent.outcome, intent.summary
        if intent.lines is not None:
            lines = [*intent.lines(context), link] if outcome is TurnOutcome.reply else intent.lines(context)
        elif outcome is TurnOutcome.escalate:
            lines = [
                f"Thanks, {first}. I've passed this to our team at {escape(context.location_name)} "
                "together with our conversation, and someone will get back to you shortly.",
            ]
        elif intent.name == "link":
            lines = [f"Of course, {first}, here it is again:", link]
        else:
            lines = [f"You're welcome, {first}! Let us know if there's anything else we can help with."]
    return Turn(reply_html=_paragraphs(*lines, _signature_html(context)), outcome=outcome, summary=summary)
