"""What a customer gets when they speak of "tomorrow", on each kind of day: the offline engine with the real
tools on a demo space seeded that day. An open tomorrow gets the day pass; a closed one gets the next day the
location opens after it — never "today", never a date the tools did not give."""

import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import Session

from domain.business_hours import OpeningHours
from evaluation.conversations import ANSWER, LOCATION, Bench, said
from models.messages import AgentType
from models.tables import Location
from settings import Settings


async def test_a_day_pass_for_tomorrow_is_bought_only_when_tomorrow_is_open(every_day: datetime) -> None:
    with tempfile.TemporaryDirectory() as directory:
        bench = Bench(Settings(llm_model=""), Path(directory))
        with Session(bench.engine) as session:
            location = session.get(Location, LOCATION)
            assert location is not None
            hours = OpeningHours(location.time_zone, location.business_hours, frozenset(location.closures))
        tomorrow = hours.local(every_day).date() + timedelta(days=1)
        asked = said(AgentType.lead_follow_up, "Could I come in for a day pass tomorrow?", ANSWER)
        [outcome] = await bench.conversation([asked])
        bench.engine.dispose()
    assert outcome.label == ANSWER and not outcome.problems, outcome.problems
    if hours.windows(tomorrow):
        assert outcome.tools == ["check_availability", "buy_day_pass"]
    else:
        assert outcome.tools == ["check_availability"]  # nothing bought for a closed day
        assert f"closed on {tomorrow:%A %d %B %Y}" in outcome.answer
        next_open = tomorrow + timedelta(days=1)
        while not hours.windows(next_open):
            next_open += timedelta(days=1)
        assert f"next open {next_open:%A %d %B %Y}" in outcome.answer
