"""`make bench` stays runnable: a small run on each database measures every hot path against its baseline, with
the processes, the dev server and the skeleton outreach it needs. The ratios themselves are for `make bench` to
judge, never asserted here."""

from pathlib import Path

import pytest

from benchmarks.__main__ import Scale, run
from benchmarks.measure import report
from tests.conftest import BACKENDS, POSTGRES_URL

SMALL = Scale(customers=200, small_inbox=100, large_inbox=1_000, outreaches=8, approves=2, rounds=1, seconds=0.2)
HOT_PATHS = [
    "detection scan, 90 patterns",
    "check before send, 90 deliveries",
    "inbox list, 100 proposals (vs bare endpoint)",
    "inbox detail, 100 proposals (vs bare endpoint)",
    "inbox list, 1,000 proposals (vs bare endpoint)",
    "inbox detail, 1,000 proposals (vs bare endpoint)",
    "inbox list, 1,000 vs 100 proposals",
    "detection → pending, 8 outreaches",
    "worker memory per waiting outreach",
    "approve round trip over HTTP, p50",
    "approve round trip over HTTP, p95",
    "history of one journey, events",
    "history of one journey, bytes",
]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_benchmark_measures_every_hot_path_against_a_baseline(backend: str, tmp_path: Path) -> None:
    results = await run(SMALL, tmp_path, POSTGRES_URL if backend == "postgresql" else None)
    assert [result.name for result in results] == HOT_PATHS
    # Memory can shrink while outreaches wait (the allocator returns pages); every other figure is a real cost.
    assert all(result.baseline > 0 for result in results if result.name != "worker memory per waiting outreach")
    assert all(result.measured > 0 for result in results if result.name != "worker memory per waiting outreach")
    printed = report(results)
    assert all(name in printed for name in HOT_PATHS)
