"""The skeleton outreach: the journey's Temporal steps with nothing of ours in them, the baseline the engine's
overhead is measured against. It is registered under the outreach's workflow name on a worker of its own, so
the real detection starts it exactly as it starts outreaches.

Its steps are those DESIGN §5 gives an outreach: an activity to compose, one to record each status change
(with the status search attribute), a wait for the decision bounded by the expiry, an `approve` Update that
records the decision before it answers, then an activity to re-check, one to send, the record of the send and
the reply window. Every activity returns at once and carries only its step's name.

`python -m benchmarks.skeleton` runs that worker, with the options of the product's worker.
"""

import asyncio
import contextlib
from datetime import timedelta

from sqlalchemy import Engine
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker

with workflow.unsafe.imports_passed_through():
    from activities.detection import DetectionActivities
    from domain import search_attributes as sa
    from domain.ids import OUTREACH_WORKFLOW
    from models.messages import ActionStatus, ApproveRequest, DecisionResult, OutreachInput
    from settings import Settings
    from worker import new_worker, run_worker
    from workflows.detection import DetectionWorkflow

STEP_TIMEOUT = timedelta(seconds=30)


@activity.defn(name="skeleton_step")
def step(name: str) -> str:
    """Nothing: the cost of an activity itself."""
    return name


@workflow.defn(name=OUTREACH_WORKFLOW)
class SkeletonOutreach:
    @workflow.init
    def __init__(self, input: OutreachInput) -> None:
        self._status: ActionStatus | None = None

    @workflow.run
    async def run(self, input: OutreachInput) -> str:
        await self._step("compose")
        await self._set(ActionStatus.pending)
        try:
            await workflow.wait_condition(lambda: self._status is not ActionStatus.pending, timeout=input.policy.expiry)
        except TimeoutError:
            await self._set(ActionStatus.expired)
            return ActionStatus.expired.value
        await self._step("check")
        await self._step("send")
        await self._set(ActionStatus.sent)
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(lambda: False, timeout=input.policy.reply_window)
        return ActionStatus.sent.value

    @workflow.update
    async def approve(self, request: ApproveRequest) -> DecisionResult:
        await self._set(ActionStatus.approved)
        return DecisionResult(action_id=workflow.info().workflow_id, status=ActionStatus.approved)

    async def _set(self, status: ActionStatus) -> None:
        self._status = status
        await self._step("record")
        workflow.upsert_search_attributes([sa.OUTREACH_STATUS.value_set(status.value)])

    async def _step(self, name: str) -> None:
        await workflow.execute_activity(step, name, start_to_close_timeout=STEP_TIMEOUT)


def build_skeleton_worker(client: Client, engine: Engine, settings: Settings) -> Worker:
    """The real detection, starting skeleton outreaches."""
    detection = DetectionActivities(engine, client)
    return new_worker(
        client,
        settings,
        [DetectionWorkflow, SkeletonOutreach],
        [detection.load_agent_policies, detection.find_patterns, detection.start_outreaches, step],
    )


if __name__ == "__main__":
    # Run as a script, this file is `__main__`; the worker must register the classes of `benchmarks.skeleton`,
    # the module the sandbox loads workflows from.
    from benchmarks.skeleton import build_skeleton_worker as build

    asyncio.run(run_worker(build))
