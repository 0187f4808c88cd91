"""Detection activities: load a location's agents, find one page of patterns, start outreaches, and the
check right before a send. The rules themselves live in `agents/` and `safeguards/`."""

import asyncio

from sqlalchemy import Engine
from sqlmodel import Session, col, select
from temporalio import activity
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from agents.policy import agent_policy
from agents.registry import AGENTS
from agents.scan import filtered_out, scan_page, start_scan
from conversation import understanding
from domain import search_attributes as sa
from domain.ids import OUTREACH_WORKFLOW, outreach_id
from models.messages import (
    AgentPolicy,
    FindPatternsRequest,
    OutreachInput,
    Pattern,
    PatternPage,
    SendCheck,
    SendVerdict,
    StartedOutreaches,
    StartOutreaches,
)
from models.tables import AgentConfig, Location
from safeguards.before_send import check_and_claim


class DetectionActivities:
    def __init__(self, engine: Engine, client: Client, outreach_task_queue: str | None = None) -> None:
        self._engine = engine
        self._client = client
        # None: outreaches run on the task queue detection runs on.
        self._outreach_task_queue = outreach_task_queue

    @activity.defn
    def load_agent_policies(self, location_id: str) -> list[AgentPolicy]:
        """The enabled agents of a location, in a stable order."""
        with Session(self._engine) as session:
            location = session.get(Location, location_id)
            if location is None:
                return []
            configs = session.exec(
                select(AgentConfig)
                .where(col(AgentConfig.location_id) == location_id, col(AgentConfig.enabled).is_(True))
                .order_by(col(AgentConfig.agent_type))
            ).all()
            return [agent_policy(config, location) for config in configs]

    @activity.defn
    def find_patterns(self, request: FindPatternsRequest) -> PatternPage:
        """One page of new patterns for one agent at one location, as of the detection run's time."""
        with Session(self._engine) as session:
            scan = start_scan(session, request.location_id, request.policy, request.as_of, understanding.groups)
            if scan is None:
                return PatternPage(patterns=[], next_cursor=None)
            page = scan_page(session, scan, request.after, request.limit, request.started_this_run)
            if request.after is None:  # count the SQL-filtered candidates once per agent and run
                page.skipped += filtered_out(session, scan)
            return page

    @activity.defn
    def check_before_send(self, check: SendCheck) -> SendVerdict:
        """Re-check every safeguard right before delivery and claim the delivery (see `safeguards.before_send`)."""
        agent = AGENTS[check.policy.agent_type]
        return check_and_claim(self._engine, check, agent.resolved, agent.waiting)

    @activity.defn
    async def start_outreaches(self, batch: StartOutreaches) -> StartedOutreaches:
        """Start one OutreachWorkflow per pattern; a workflow that already exists counts as existing.

        The deterministic workflow id plus REJECT_DUPLICATE makes a retried activity or a re-run
        of detection start nothing twice.
        """
        task_queue = self._outreach_task_queue or activity.info().task_queue

        async def start(pattern: Pattern) -> bool:
            try:
                await self._client.start_workflow(
                    OUTREACH_WORKFLOW,
                    OutreachInput(pattern=pattern, policy=batch.policy),
                    id=outreach_id(pattern),
                    task_queue=task_queue,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    search_attributes=TypedSearchAttributes(
                        [
                            SearchAttributePair(sa.AGENT_TYPE, pattern.agent_type.value),
                            SearchAttributePair(sa.LOCATION_ID, pattern.location_id),
                            SearchAttributePair(sa.CUSTOMER_ID, pattern.customer_id),
                            SearchAttributePair(sa.CHANNEL, batch.policy.channel.value),
                        ]
                    ),
                    static_summary=pattern.reason,
                )
                return True
            except WorkflowAlreadyStartedError:
                return False

        # One page at a time, concurrently: a page is small enough to be a sensible burst.
        results = await asyncio.gather(*(start(pattern) for pattern in batch.patterns))
        started = sum(results)
        existing = len(results) - started
        return StartedOutreaches(started=started, existing=existing)
