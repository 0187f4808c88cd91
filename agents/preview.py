"""The dry run: what an agent would propose if detection ran now, and what each safeguard holds back.
Nothing is written and no workflow starts."""

from datetime import datetime

from sqlmodel import Session

from agents.base import Grouping
from agents.policy import agent_policy
from agents.scan import PAGE_SIZE, filtered_out, scan_of, scan_page
from models.messages import AgentPreview, Pattern
from models.tables import AgentConfig, Location

# A preview lists this many candidates (its counts cover all of them).
PREVIEW_LIMIT = 100


def preview(
    session: Session, location: Location, config: AgentConfig, as_of: datetime, by_meaning: Grouping | None = None
) -> AgentPreview:
    scan = scan_of(location, agent_policy(config, location), as_of, by_meaning)
    skipped = filtered_out(session, scan)
    candidates: list[Pattern] = []
    would_propose = 0
    cursor: str | None = None
    while True:
        page = scan_page(session, scan, cursor, PAGE_SIZE, would_propose)
        would_propose += len(page.patterns)
        candidates.extend(page.patterns[: PREVIEW_LIMIT - len(candidates)])
        skipped += page.skipped
        cursor = page.next_cursor
        if cursor is None:
            break
    return AgentPreview(
        agent_type=config.agent_type,
        location_id=location.id,
        would_propose=would_propose,
        candidates=candidates,
        skipped=skipped,
    )
