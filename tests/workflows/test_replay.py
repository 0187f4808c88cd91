"""Replay committed histories against today's workflow code: a change that would break running
workflows (a non-deterministic edit without workflow.patched()) fails here, in CI."""

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from worker import WORKFLOWS

HISTORIES = sorted((Path(__file__).resolve().parent.parent / "histories").glob("*.json"))


def test_every_workflow_has_a_committed_history() -> None:
    recorded = set()
    for path in HISTORIES:
        started = json.loads(path.read_text())["history"]["events"][0]["workflowExecutionStartedEventAttributes"]
        recorded.add(started["workflowType"]["name"])
    assert recorded == {workflow.__name__ for workflow in WORKFLOWS}


@pytest.mark.parametrize("path", HISTORIES, ids=[path.stem for path in HISTORIES])
async def test_history_replays_on_current_code(path: Path) -> None:
    document = json.loads(path.read_text())
    history = WorkflowHistory.from_json(document["workflow_id"], document["history"])
    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter)
    await replayer.replay_workflow(history)
