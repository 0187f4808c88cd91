"""Automatic checks of one draft. Each returns None when it passes, or what is wrong."""

import re
from collections.abc import Callable

from activities.prompts import MAX_SCRIPT_WORDS
from agents.registry import AGENTS
from domain.content import html_to_text
from domain.facts import URL, invented_facts
from evaluation.scenarios import KEY_FACTS, Scenario
from models.messages import AgentType, Channel, Draft

MAX_SUBJECT = 90
MAX_EMAIL_CHARS = 1_400
FIRM = ("action needed", "promptly", "this week", "as soon as possible", "settle", "within the next")
SOFT = ("slipped through", "no worries", "no rush", "whenever")
PLACEHOLDER = re.compile(r"\{\{|\}\}|\[[A-Z][A-Za-z ]+\]|\bTODO\b|\bXXX\b|<[A-Z_]+>")


def _message(draft: Draft, channel: Channel) -> str:
    return draft.voice_script if channel is Channel.voice else f"{draft.subject}\n{html_to_text(draft.body_html)}"


def facts_exact(scenario: Scenario, draft: Draft) -> str | None:
    text = _message(draft, scenario.channel)
    invented = invented_facts(text if scenario.channel is Channel.voice else f"{text}\n{draft.body_html}",
                              scenario.context.facts)  # fmt: skip
    if invented:
        return f"invented: {', '.join(invented)}"
    missing = [key for key in KEY_FACTS[scenario.agent_type] if str(scenario.context.facts[key]) not in text]
    return f"missing: {', '.join(missing)}" if missing else None


def customer_name(scenario: Scenario, draft: Draft) -> str | None:
    first = scenario.context.first_name
    return None if first in _message(draft, scenario.channel) else f"does not name {first}"


def link(scenario: Scenario, draft: Draft) -> str | None:
    if scenario.channel is Channel.voice:
        return "a call script reads a URL aloud" if URL.search(draft.voice_script) else None
    url = str(scenario.context.facts[AGENTS[scenario.agent_type].link_fact])
    return None if f'href="{url}"' in draft.body_html else f"the email lacks the link {url}"


def length(scenario: Scenario, draft: Draft) -> str | None:
    if scenario.channel is Channel.voice:
        words = len(draft.voice_script.split())
        return f"script has {words} words" if words > MAX_SCRIPT_WORDS else None
    if len(draft.subject) > MAX_SUBJECT:
        return f"subject has {len(draft.subject)} characters"
    chars = len(html_to_text(draft.body_html))
    return f"email has {chars} characters" if chars > MAX_EMAIL_CHARS else None


def tone(scenario: Scenario, draft: Draft) -> str | None:
    text = _message(draft, scenario.channel).lower()
    if scenario.agent_type is AgentType.due_invoice:
        later = int(scenario.context.facts.get("reminder", 1)) > 1
        habitual = scenario.context.earlier_late_payments > 0
        if (habitual or later) and (any(soft in text for soft in SOFT) or not any(firm in text for firm in FIRM)):
            return "a later reminder gets soft wording" if later else "a habitual late payer gets soft wording"
        if not habitual and not later and any(firm in text for firm in FIRM):
            return "a first-time late payer gets firm wording"
    if scenario.channel is Channel.ai_email:
        greeting = text.split("\n", 2)[1] if "\n" in text else text
        expected = "hi " if scenario.context.persona_tone == "warm" else "dear "
        if not greeting.startswith(expected):
            return f"a {scenario.context.persona_tone} persona should open with '{expected.strip()}'"
    return None


def no_placeholders(scenario: Scenario, draft: Draft) -> str | None:
    found = PLACEHOLDER.findall(" ".join([draft.subject, draft.body_html, draft.voice_script]))
    return f"unresolved: {', '.join(found)}" if found else None


CHECKS: dict[str, Callable[[Scenario, Draft], str | None]] = {
    "facts exact": facts_exact,
    "customer name": customer_name,
    "link (email) / no URL (voice)": link,
    "length limits": length,
    "tone matches history and persona": tone,
    "no unresolved placeholder": no_placeholders,
}
