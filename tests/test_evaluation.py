"""The evaluation suite: the offline composer passes every check, and every check can fail."""

from datetime import datetime

from activities import offline
from evaluation.__main__ import evaluate
from evaluation.checks import CHECKS
from evaluation.conversations import ANSWER, CLARIFY, ESCALATE, OPT_OUT_LABEL, TURNS, Outcome, report
from evaluation.scenarios import Scenario, scenarios
from models.messages import AgentType, Channel, Draft, EscalationReason


async def test_the_offline_composer_passes_every_check_of_every_scenario(every_day: datetime) -> None:
    assert len(scenarios()) >= 24
    assert await evaluate() == 0


def edited(draft: Draft, **changes: str) -> Draft:
    return draft.model_copy(update=changes)


def test_each_check_catches_what_it_is_for() -> None:
    by_name = {s.name: s for s in scenarios()}
    email = next(s for s in by_name.values() if s.agent_type is AgentType.due_invoice and s.channel is Channel.ai_email
                 and s.context.earlier_late_payments > 0)  # fmt: skip
    call = next(s for s in by_name.values() if s.channel is Channel.voice)
    good_email = offline.compose(email.agent_type, email.context, email.channel)
    good_call = offline.compose(call.agent_type, call.context, call.channel)
    first = email.context.first_name
    body, script = good_email.body_html, good_call.voice_script
    broken: list[tuple[str, Scenario, Draft]] = [
        ("facts exact", email, edited(good_email, body_html=body.replace("1,250", "1,350"))),
        ("customer name", email, edited(good_email, body_html=body.replace(first, "there"), subject="Hello")),
        ("link (email) / no URL (voice)", email, edited(good_email, body_html=body.replace("href=", "data-x="))),
        ("link (email) / no URL (voice)", call, edited(good_call, voice_script=script + " https://x.example")),
        ("length limits", call, edited(good_call, voice_script=script + " and" * 60)),
        ("tone matches history and persona", email, edited(good_email, body_html=f"<p>Hi {first}, no worries.</p>")),
        ("no unresolved placeholder", email, edited(good_email, subject="Hi {{first_name}}")),
    ]
    for check_name, scenario, draft in broken:
        assert CHECKS[check_name](scenario, draft) is not None, check_name
    for name, check in CHECKS.items():
        assert check(email, good_email) is None, name


def test_the_conversation_set_covers_every_agent_and_decision_and_its_report_catches_a_miss() -> None:
    assert len(TURNS) >= 60
    assert {turn.agent for turn in TURNS} == {*AgentType, None}  # every agent type, and the members' chat
    assert {turn.label for turn in TURNS} == {ANSWER, CLARIFY, ESCALATE, OPT_OUT_LABEL}
    assert all(turn.reason is not None for turn in TURNS if turn.label == ESCALATE)
    wanted = TURNS[0]
    missed = Outcome(wanted, ESCALATE, EscalationReason.needs_judgement, [], problems=["decision: escalate"])
    lines, failures = report([missed], {})
    assert failures and "decision (4 labels)            0/1" in "\n".join(lines)
    assert "should not            1" in "\n".join(lines)  # an escalation that should not have been
