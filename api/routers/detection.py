"""Detection runs and their schedule per location."""

from datetime import timedelta

from fastapi import APIRouter, status
from temporalio.client import ScheduleOverlapPolicy

from api.deps import AgentManager, ClientDep, CurrentOperator, SessionDep, SettingsDep
from api.queries import visible_location
from api.schemas import DetectionRun, DetectionRunStarted, DetectionSchedule, DetectionScheduleUpdate
from domain.ids import detection_id
from schedules import ensure_schedule, interval_of

router = APIRouter(prefix="/api/detection", tags=["detection"])


@router.post("/run", response_model=DetectionRunStarted, status_code=status.HTTP_202_ACCEPTED)
async def run_detection(
    body: DetectionRun, session: SessionDep, operator: AgentManager, client: ClientDep, settings: SettingsDep
) -> DetectionRunStarted:
    """Run the location's detection now (skipped if a run is still going)."""
    location = visible_location(session, operator, body.location_id)
    session.close()  # no pooled connection held while Temporal answers; the location stays as it was read
    handle = await ensure_schedule(client, location, settings)
    await handle.trigger(overlap=ScheduleOverlapPolicy.SKIP)
    return DetectionRunStarted(location_id=location.id, workflow_id=detection_id(location.id))


@router.get("/schedule", response_model=DetectionSchedule)
def get_schedule(
    location_id: str, session: SessionDep, operator: CurrentOperator, settings: SettingsDep
) -> DetectionSchedule:
    location = visible_location(session, operator, location_id)
    minutes = interval_of(location, settings) // timedelta(minutes=1)
    return DetectionSchedule(location_id=location.id, interval_minutes=minutes)


@router.put("/schedule", response_model=DetectionSchedule)
async def update_schedule(
    location_id: str,
    body: DetectionScheduleUpdate,
    session: SessionDep,
    operator: AgentManager,
    client: ClientDep,
    settings: SettingsDep,
) -> DetectionSchedule:
    """Change how often detection runs here; the Temporal Schedule follows at once."""
    location = visible_location(session, operator, location_id)
    location.detection_interval_minutes = body.interval_minutes
    session.add(location)
    session.commit()
    session.refresh(location)
    session.close()  # no pooled connection held while Temporal answers
    await ensure_schedule(client, location, settings)
    return DetectionSchedule(location_id=location.id, interval_minutes=body.interval_minutes)
