"""The offline composer: a draft in the location's voice, deterministic, no model, no network.

It is the default when no LLM is configured, so it must write what an operator would send. What each agent type
says lives in its module in `agents/`; this is the shape every draft shares. Every value that comes from data is
HTML-escaped; nothing here evaluates text as a template. (The offline answers in a conversation are
`conversation/offline.py`.)
"""

from html import escape

from agents.base import ComposeContext, paragraphs, signature_html
from agents.registry import AGENTS
from domain.content import html_to_text
from models.messages import AgentType, Channel, Draft


def compose(agent_type: AgentType, context: ComposeContext, channel: Channel) -> Draft:
    """The draft in the location's voice: an email (with its link) and a call script (links go by SMS)."""
    wording = AGENTS[agent_type].wording(context)
    greeting = f"Hi {escape(context.first_name)}," if context.friendly else f"Dear {escape(context.customer_name)},"
    body_html = paragraphs(
        greeting,
        *wording.paragraphs,
        AGENTS[agent_type].link_html(context, wording),
        "Thanks, and see you at the space!" if context.friendly else "Kind regards,",
        signature_html(context),
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
