"""`make bench`: every hot path of the engine beside a baseline measured in the same run, interleaved, each
figure the median of the rounds, reported as a ratio with its goal. Ratios, not seconds, so the numbers mean
the same on a laptop and a CI runner. Exits non-zero when a ratio misses its goal.

  database   the detection scan and the check before send    vs  raw SQL reading the same rows  (database.py)
  inbox      list and detail over HTTP, small and large inbox vs  a bare endpoint, same bytes   (inbox.py)
  engine     detection → pending, memory, approve, history    vs  the skeleton outreach          (engine.py)
  voice      a call's last word → the answer's first token    vs  a bare WebSocket echo          (voice.py)

SQLite files in a temporary directory by default; OUTREACH_BENCH_POSTGRES_URL (a server's maintenance database,
e.g. postgresql://postgres@127.0.0.1:5432/postgres) runs them on fresh PostgreSQL databases instead.
"""

import asyncio
import os
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from benchmarks.database import bench_database
from benchmarks.engine import bench_engine, product_side, skeleton_side
from benchmarks.inbox import bench_inbox
from benchmarks.measure import Result, report
from benchmarks.stack import BENCH_SECRET, Api, Process, dev_server, process_env
from benchmarks.voice import bench_voice
from demo.bulk import seed_proposals
from demo.seed import seed_demo_data
from models.db import make_engine
from models.migrate import fresh_database
from models.operators import create_operator


@dataclass(frozen=True)
class Scale:
    customers: int  # of the location the database paths scan
    small_inbox: int
    large_inbox: int
    outreaches: int  # per detection run
    approves: int  # per round
    rounds: int
    seconds: float  # per request-rate measurement
    voice_turns: int  # customer turns on calls


BENCH = Scale(customers=20_000, small_inbox=1_000, large_inbox=100_000, outreaches=300, approves=20, rounds=3,
              seconds=2.0, voice_turns=200)  # fmt: skip


async def run(scale: Scale, scratch: Path, postgres_url: str | None = None) -> list[Result]:
    with (
        fresh_database(scratch, "scan", postgres_url) as scan_url,
        fresh_database(scratch, "small", postgres_url) as small_url,
        fresh_database(scratch, "large", postgres_url) as large_url,
    ):
        engines = [make_engine(url) for url in (scan_url, small_url, large_url)]
        scan_engine, small_engine, large_engine = engines
        try:
            results = bench_database(scan_engine, scale.customers, scale.rounds)
            small_pending = seed_proposals(small_engine, "inbox", scale.small_inbox)
            seed_demo_data(small_engine, customers=30)  # the demo space the voice benchmark calls
            large_pending = seed_proposals(large_engine, "inbox", scale.large_inbox)
            print(f"seeded inboxes of {scale.small_inbox:,} and {scale.large_inbox:,} proposals", flush=True)
            tokens = [
                create_operator(engine, name="Bench", email="bench@bench.example", location_ids=[], is_admin=True)
                for engine in (small_engine, large_engine)
            ]
            env = await dev_server()
            try:
                address = env.client.service_client.config.target_host
                queues = {name: f"bench-{name}-{uuid.uuid4().hex[:8]}" for name in ("product", "skeleton")}
                small_env = process_env(small_url, address, queues["product"])
                with (
                    Api("small inbox API", small_env, tokens[0], scratch) as small_api,
                    Api("large inbox API", process_env(large_url, address, queues["product"]), tokens[1],
                        scratch) as large_api,
                    Process("product worker", ["-m", "worker"], small_env, scratch) as product,
                    Process("skeleton worker", ["-m", "benchmarks.skeleton"],
                            process_env(small_url, address, queues["skeleton"]), scratch) as skeleton,
                ):  # fmt: skip
                    results += bench_inbox(
                        (small_api, scale.small_inbox, small_pending[0]),
                        (large_api, scale.large_inbox, large_pending[0]),
                        scale.rounds,
                        scale.seconds,
                    )
                    results += await bench_engine(
                        env.client,
                        small_engine,
                        small_api,
                        product_side(small_engine, product, queues["product"]),
                        skeleton_side(env.client, skeleton, queues["skeleton"]),
                        rounds=scale.rounds,
                        outreaches=scale.outreaches,
                        approves=scale.approves,
                    )
                    results += await bench_voice(env.client, small_engine, small_api, queues["product"], BENCH_SECRET,
                                                 scale.voice_turns)  # fmt: skip
            finally:
                await env.shutdown()
            return results
        finally:
            for engine in engines:
                engine.dispose()


def main() -> int:
    postgres_url = os.environ.get("OUTREACH_BENCH_POSTGRES_URL")
    print(f"database: {'postgresql' if postgres_url else 'sqlite'}", flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        results = asyncio.run(run(BENCH, Path(scratch), postgres_url))
    print(report(results))
    return 0 if all(result.met for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
