"""DetectionWorkflow: run by a Temporal Schedule per location.

For each enabled agent, page through the SQL detector's new patterns and start one
OutreachWorkflow per pattern. History stays bounded however many patterns there are: each page
costs two activities, and the run continues-as-new before the history grows large.
"""

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.detection import DetectionActivities
    from agents.scan import PAGE_SIZE
    from models.messages import DetectionInput, DetectionResult, FindPatternsRequest, StartOutreaches

ACTIVITY_TIMEOUT = timedelta(minutes=2)
# Well under Temporal's limits; continue-as-new carries the cursor forward.
MAX_HISTORY_EVENTS = 2_000


@workflow.defn
class DetectionWorkflow:
    @workflow.run
    async def run(self, input: DetectionInput) -> DetectionResult:
        # One as-of time for the whole run, across continue-as-new, so every page sees the same day.
        as_of = input.as_of or workflow.now()
        started, existing, skipped = input.started, input.existing, input.skipped
        done = list(input.agents_done)
        policies = await workflow.execute_activity_method(
            DetectionActivities.load_agent_policies,
            input.location_id,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            summary="Load the enabled agents",
        )
        cursor, started_for_agent = input.cursor, input.started_current_agent
        for policy in policies:
            if policy.agent_type in done:
                continue
            while True:
                page = await workflow.execute_activity_method(
                    DetectionActivities.find_patterns,
                    FindPatternsRequest(
                        location_id=input.location_id,
                        policy=policy,
                        as_of=as_of,
                        after=cursor,
                        limit=PAGE_SIZE,
                    ),
                    start_to_close_timeout=ACTIVITY_TIMEOUT,
                    summary=f"Find {policy.agent_type.value} patterns" + (f" after {cursor}" if cursor else ""),
                )
                if page.patterns:
                    result = await workflow.execute_activity_method(
                        DetectionActivities.start_outreaches,
                        StartOutreaches(policy=policy, patterns=page.patterns),
                        start_to_close_timeout=ACTIVITY_TIMEOUT,
                        summary=f"Start {len(page.patterns)} {policy.agent_type.value} outreaches",
                    )
                    started += result.started
                    started_for_agent += result.started
                    existing += result.existing
                skipped += page.skipped
                cursor = page.next_cursor
                if cursor is None:
                    break
                info = workflow.info()
                if info.is_continue_as_new_suggested() or info.get_current_history_length() > MAX_HISTORY_EVENTS:
                    workflow.continue_as_new(
                        DetectionInput(
                            location_id=input.location_id,
                            as_of=as_of,
                            agents_done=done,
                            cursor=cursor,
                            started=started,
                            existing=existing,
                            started_current_agent=started_for_agent,
                            skipped=skipped,
                        )
                    )
            done.append(policy.agent_type)
            started_for_agent = 0
        return DetectionResult(location_id=input.location_id, started=started, existing=existing, skipped=skipped)
