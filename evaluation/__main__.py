"""Run every scenario through the composer, and every labelled customer turn and journey through the
conversation's AI, and print a pass rate per check (`evaluation/conversations.py` for the conversations); every
turn's decision, reason, tools and answer go to a JSON report.

Offline by default; with OUTREACH_LLM_MODEL set, the configured model writes the drafts and answers the customers
(a draft the model gets wrong on every attempt counts as failing every check). `OUTREACH_EVAL_TURNS` names one more
set of labelled turns to score (`make eval TURNS=file.jsonl`); `OUTREACH_EVAL_SETS` (comma-separated) scores only
those sets (`make eval SETS=held-out`). Exits non-zero when the offline composer fails a
check or the offline engine falls under its bar (`below_the_bar`), so `make eval` guards the offline quality;
every set is reported against the goals, the held-out rate being the one that counts.
"""

import asyncio
import json
import os
import sys
from pathlib import Path

from activities import offline
from activities.llm import LLM_ATTEMPTS, model_draft
from evaluation.checks import CHECKS
from evaluation.conversations import BadTurns, evaluate_conversations
from evaluation.scenarios import Scenario, scenarios
from models.messages import Draft
from providers.llm import language_model
from settings import get_settings


async def draft_for(scenario: Scenario) -> Draft | str:
    model = language_model(get_settings())
    if model is None:
        return offline.compose(scenario.agent_type, scenario.context, scenario.channel)
    history: dict[str, object] = {"invoices_paid_late": scenario.context.earlier_late_payments}
    error = ""
    for _ in range(LLM_ATTEMPTS):
        try:
            return await model_draft(model, scenario.agent_type, scenario.channel, scenario.context, history, "")
        except Exception as failure:
            error = f"{type(failure).__name__}: {failure}"
    return error


async def evaluate(conversations: bool = True) -> int:
    """Every scenario, and (unless not `conversations`) the labelled sets and journeys; the exit status (0: the
    offline bar holds)."""
    settings = get_settings()
    composer = settings.llm_model or "offline composer"
    results: dict[str, list[str | None]] = {name: [] for name in CHECKS}
    failures: list[str] = []
    all_scenarios = scenarios()
    for scenario in all_scenarios:
        draft = await draft_for(scenario)
        for name, check in CHECKS.items():
            problem = check(scenario, draft) if isinstance(draft, Draft) else f"no draft ({draft})"
            results[name].append(problem)
            if problem:
                failures.append(f"  {scenario.name}: {name}: {problem}")
    print(f"Evaluated {len(all_scenarios)} scenarios with the {composer}.\n")
    width = max(len(name) for name in CHECKS)
    total_passed = 0
    for name, outcomes in results.items():
        passed = sum(1 for problem in outcomes if problem is None)
        total_passed += passed
        print(f"  {name:<{width}}  {passed:>3}/{len(outcomes)}  {100 * passed / len(outcomes):5.1f}%")
    overall = 100 * total_passed / (len(all_scenarios) * len(CHECKS))
    print(f"\n  {'all checks':<{width}}  {overall:5.1f}%")
    if failures:
        print("\nFailures:\n" + "\n".join(failures))
    if not conversations:
        return 1 if failures and not settings.llm_model else 0
    print(f"\nConversations, with the {settings.llm_model or 'offline engine'}:")
    extra = os.environ.get("OUTREACH_EVAL_TURNS")
    only = [name for name in os.environ.get("OUTREACH_EVAL_SETS", "").split(",") if name] or None
    try:
        evaluated = await evaluate_conversations(settings, Path(extra) if extra else None, only)
    except BadTurns as bad:
        print(f"The labelled turns cannot be read: {bad}")
        return 2
    print("\n".join(evaluated.lines))
    written = settings.data_dir / "eval-report.json"
    written.parent.mkdir(parents=True, exist_ok=True)
    written.write_text(json.dumps(evaluated.report, ensure_ascii=False, indent=1, default=str))
    print(f"\nEvery turn's decision, reason, tools and answer: {written}")
    if evaluated.failures:
        print("\nUnder the offline engine's bar:\n" + "\n".join(evaluated.failures))
    return 1 if (failures or evaluated.failures) and not settings.llm_model else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(evaluate()))
