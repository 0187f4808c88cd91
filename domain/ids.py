"""Workflow types and deterministic ids: the same situation always maps to the same workflow. Processes that
start a workflow without running it (detection's activity, the API) name its type from here."""

from models.messages import Pattern

OUTREACH_WORKFLOW = "OutreachWorkflow"


def outreach_id(pattern: Pattern) -> str:
    return f"outreach:{pattern.location_id}:{pattern.dedup_key}"


def conversation_id(action_id: str) -> str:
    return f"conversation:{action_id}"


def detection_id(location_id: str) -> str:
    return f"detection:{location_id}"
