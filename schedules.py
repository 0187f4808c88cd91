"""Detection schedules: one Temporal Schedule per location, reconciled with the database."""

from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleHandle,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from domain.ids import detection_id
from models.messages import DetectionInput
from models.tables import Location
from settings import Settings
from workflows.detection import DetectionWorkflow

SCHEDULE_PREFIX = detection_id("")


def interval_of(location: Location, settings: Settings) -> timedelta:
    if location.detection_interval_minutes:
        return timedelta(minutes=location.detection_interval_minutes)
    return settings.detection_interval


def detection_schedule(location: Location, settings: Settings) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            DetectionWorkflow.run,
            DetectionInput(location_id=location.id),
            id=detection_id(location.id),
            task_queue=settings.task_queue,
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=interval_of(location, settings))]),
        # A run still going when the next is due means the last one is not done yet: skip.
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def ensure_schedule(client: Client, location: Location, settings: Settings) -> ScheduleHandle:
    """Create the location's schedule, or bring an existing one in line with the configuration."""
    schedule = detection_schedule(location, settings)
    try:
        return await client.create_schedule(detection_id(location.id), schedule)
    except ScheduleAlreadyRunningError:
        handle = client.get_schedule_handle(detection_id(location.id))

        def replace(_: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=schedule)

        await handle.update(replace)
        return handle


async def sync_schedules(client: Client, engine: Engine, settings: Settings, *, trigger: bool = False) -> list[str]:
    """One schedule per location, no more: create or update them, delete those of removed locations,
    and optionally start a detection run now."""
    with Session(engine) as session:
        locations = list(session.exec(select(Location).order_by(col(Location.id))).all())
    for location in locations:
        handle = await ensure_schedule(client, location, settings)
        if trigger:
            await handle.trigger()
    wanted = {detection_id(location.id) for location in locations}
    async for listed in await client.list_schedules():
        if listed.id.startswith(SCHEDULE_PREFIX) and listed.id not in wanted:
            await client.get_schedule_handle(listed.id).delete()
    return [location.id for location in locations]
