"""Temporal Schedules, reconciled with the database: detection, one per location; the mailbox sync, one per
connected email account that is read for replies; and one that forgets unmatched mail after its retention."""

import contextlib
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
from temporalio.service import RPCError

from domain.ids import INBOUND_RETENTION_ID, detection_id, mailbox_sync_id
from models.messages import DetectionInput, InboundRetentionInput, MailboxSyncInput
from models.tables import EmailAccount, Location
from settings import Settings
from workflows.detection import DetectionWorkflow
from workflows.inbound_retention import InboundRetentionWorkflow
from workflows.mailbox_sync import MailboxSyncWorkflow

SCHEDULE_PREFIX = detection_id("")
MAILBOX_PREFIX = mailbox_sync_id("")
RETENTION_INTERVAL = timedelta(days=1)


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
    return await _ensure(client, detection_id(location.id), detection_schedule(location, settings))


async def ensure_mailbox_sync(client: Client, account: EmailAccount, settings: Settings) -> None:
    """The account's sync schedule when it is read for replies (sync on, an IMAP server) and connected, none
    otherwise; a new or changed one runs at once."""
    schedule_id = mailbox_sync_id(account.id)
    if not account.syncs:
        with contextlib.suppress(RPCError):  # none there: nothing to remove
            await client.get_schedule_handle(schedule_id).delete()
        return
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(MailboxSyncWorkflow.run, MailboxSyncInput(email_account_id=account.id),
                                           id=schedule_id, task_queue=settings.task_queue),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=settings.mailbox_sync_interval)]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )  # fmt: skip
    await (await _ensure(client, schedule_id, schedule)).trigger()


async def ensure_inbound_retention(client: Client, settings: Settings) -> ScheduleHandle:
    """The daily run that deletes unmatched mail older than `OUTREACH_UNMATCHED_MAIL_RETENTION_DAYS`."""
    return await _ensure(client, INBOUND_RETENTION_ID, Schedule(
        action=ScheduleActionStartWorkflow(InboundRetentionWorkflow.run,
                                           InboundRetentionInput(days=settings.unmatched_mail_retention_days),
                                           id=INBOUND_RETENTION_ID, task_queue=settings.task_queue),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=RETENTION_INTERVAL)]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    ))  # fmt: skip


async def _ensure(client: Client, schedule_id: str, schedule: Schedule) -> ScheduleHandle:
    try:
        return await client.create_schedule(schedule_id, schedule)
    except ScheduleAlreadyRunningError:
        handle = client.get_schedule_handle(schedule_id)

        def replace(_: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=schedule)

        await handle.update(replace)
        return handle


async def sync_schedules(client: Client, engine: Engine, settings: Settings, *, trigger: bool = False) -> list[str]:
    """One detection schedule per location, one sync schedule per synced mailbox (no more), and the inbound
    mail's retention: create or update them, delete those of removed locations and accounts, and optionally start
    a detection run now."""
    with Session(engine) as session:
        locations = list(session.exec(select(Location).order_by(col(Location.id))).all())
        accounts = list(session.exec(select(EmailAccount)).all())
    for location in locations:
        handle = await ensure_schedule(client, location, settings)
        if trigger:
            await handle.trigger()
    for account in accounts:
        await ensure_mailbox_sync(client, account, settings)
    await ensure_inbound_retention(client, settings)
    wanted = {detection_id(location.id) for location in locations}
    wanted |= {mailbox_sync_id(account.id) for account in accounts if account.syncs}
    async for listed in await client.list_schedules():
        if listed.id.startswith((SCHEDULE_PREFIX, MAILBOX_PREFIX)) and listed.id not in wanted:
            await client.get_schedule_handle(listed.id).delete()
    return [location.id for location in locations]
