"""`make scale`, the engine part: 100,000 proposals in the read model and 10,000 outreaches the real detection
started, all waiting for a decision on the dev server and held by one worker. Prints what an operator feels and
what the worker costs at that size — inbox list latency (first page, filtered, deep), approve latency over HTTP
and worker memory — as figures, not ratios: the bench (`make bench`) judges the ratios, this shows the sizes.

SQLite by default; OUTREACH_BENCH_POSTGRES_URL runs it on a fresh PostgreSQL database.
"""

import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

from benchmarks.engine import detect, product_side, waiting_ids
from benchmarks.measure import percentile
from benchmarks.stack import Api, Process, dev_server, process_env
from demo.bulk import seed_proposals
from models.db import make_engine
from models.migrate import fresh_database
from models.operators import create_operator
from settings import Settings

PROPOSALS = 100_000
WAITING = 10_000
SAMPLES = 200
WARM_UP = 20  # outreaches before the worker's memory is first measured
# Detection of 10,000 outreaches takes minutes on two cores; the bench's ten-minute deadline is too short.
DETECTION_DEADLINE = 3600.0
LIST = "/api/inbox?page_size=50"


def latencies(api: Api, method: str, paths: list[str]) -> list[float]:
    """Milliseconds per request, one after the other on one connection."""
    measured = []
    for path in paths:
        started = time.perf_counter()
        api.call(method, path, {} if method == "POST" else None)
        measured.append((time.perf_counter() - started) * 1000)
    return measured


def line(name: str, values: list[float]) -> str:
    return f"{name:<58} p50 {percentile(values, 0.5):>7.1f} ms   p95 {percentile(values, 0.95):>7.1f} ms"


async def run(
    scratch: Path, postgres_url: str | None, proposals: int = PROPOSALS, waiting: int = WAITING, samples: int = SAMPLES
) -> list[str]:
    with fresh_database(scratch, "scale", postgres_url) as url:
        engine = make_engine(url)
        started = time.monotonic()
        seed_proposals(engine, "inbox", proposals)
        print(f"seeded {proposals:,} proposals in {time.monotonic() - started:.0f}s", flush=True)
        token = create_operator(engine, name="Scale", email="scale@scale.example", location_ids=[], is_admin=True)
        env = await dev_server()
        try:
            address = env.client.service_client.config.target_host
            worker_env = process_env(url, address, f"scale-{uuid.uuid4().hex[:8]}")
            with (
                Api("scale API", worker_env, token, scratch) as api,
                Process("worker", ["-m", "worker"], worker_env, scratch) as worker,
            ):
                side = product_side(engine, worker, worker_env["OUTREACH_TASK_QUEUE"])
                await detect(env.client, engine, side, "warm-up", WARM_UP)  # every module loaded, every pool started
                idle = worker.rss_bytes()
                seconds, grown = await detect(env.client, engine, side, "scale", waiting, deadline=DETECTION_DEADLINE)
                print(f"{waiting:,} outreaches waiting after {seconds:.0f}s", flush=True)
                cursor = json.loads(api.call("GET", f"{LIST}&location_id=inbox"))["next_cursor"]
                for _ in range(proposals // 50 // 2):  # half-way down the inbox
                    cursor = json.loads(api.call("GET", f"{LIST}&location_id=inbox&cursor={cursor}"))["next_cursor"]
                deep = f"inbox list, {proposals // 2:,} proposals deep (cursor)"
                lists = {
                    "inbox list, first page, everything": LIST,
                    "inbox list, pending at one location": f"{LIST}&location_id=scale&status=pending",
                    "inbox list, pending, what needs attention first": f"{LIST}&status=pending&sort=attention",
                    deep: f"{LIST}&location_id=inbox&cursor={cursor}",
                    "inbox list, search by customer name": f"{LIST}&q=Customer%2099",
                }
                held = WARM_UP + waiting
                lines = [f"{proposals + held:,} proposals in the read model, {held:,} outreaches waiting"]
                for name, path in lists.items():
                    latencies(api, "GET", [path] * 10)  # warm-up
                    lines.append(line(name, latencies(api, "GET", [path] * samples)))
                chosen = await waiting_ids(env.client, "scale", samples)
                lines.append(line(f"inbox detail ({len(chosen)} waiting proposals)",
                                  latencies(api, "GET", [f"/api/inbox/{id}" for id in chosen])))  # fmt: skip
                lines.append(line(f"approve round trip over HTTP ({len(chosen)} outreaches)",
                                  latencies(api, "POST", [f"/api/inbox/{id}/approve" for id in chosen])))  # fmt: skip
                cached = Settings().worker_cached_workflows
                lines.append(
                    f"worker memory: {idle / 2**20:,.0f} MiB warmed up, {worker.rss_bytes() / 2**20:,.0f} MiB holding "
                    f"{waiting:,} outreaches ({grown / waiting / 1024:,.0f} KiB each; cache of {cached:,} workflows)"
                )
                return lines
        finally:
            await env.shutdown()
            engine.dispose()


def main() -> int:
    postgres_url = os.environ.get("OUTREACH_BENCH_POSTGRES_URL")
    print(f"database: {'postgresql' if postgres_url else 'sqlite'}", flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        lines = asyncio.run(run(Path(scratch), postgres_url))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
