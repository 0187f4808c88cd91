"""`make bench` stays runnable: a small run measures every hot path against its baseline, with the processes, the
dev server and the skeleton outreach it needs. The ratios themselves are for `make bench` to judge, never asserted
here. On SQLite only, to keep `make test` fast: the benchmark's code is the same on PostgreSQL, and
`OUTREACH_BENCH_POSTGRES_URL=… make bench` measures it there."""

from pathlib import Path

from benchmarks import scale
from benchmarks.__main__ import Scale, run
from benchmarks.measure import report

SMALL = Scale(customers=200, small_inbox=100, large_inbox=1_000, outreaches=8, approves=2, rounds=1, seconds=0.2,
              voice_turns=6)  # fmt: skip
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
    "voice turn, last word → first token, p50 (6)",
    "voice turn, last word → first token, p95 (6)",
]


async def test_the_benchmark_measures_every_hot_path_against_a_baseline(tmp_path: Path) -> None:
    results = await run(SMALL, tmp_path)
    assert [result.name for result in results] == HOT_PATHS
    # Memory can shrink while outreaches wait (the allocator returns pages); every other figure is a real cost.
    assert all(result.baseline > 0 for result in results if result.name != "worker memory per waiting outreach")
    assert all(result.measured > 0 for result in results if result.name != "worker memory per waiting outreach")
    printed = report(results)
    assert all(name in printed for name in HOT_PATHS)


async def test_the_scale_run_prints_latencies_and_memory(tmp_path: Path) -> None:
    lines = await scale.run(tmp_path, None, proposals=200, waiting=10, samples=5)
    assert lines[0] == "230 proposals in the read model, 30 outreaches waiting"  # 20 of them the warm-up's
    measured = [
        "inbox list, first page, everything",
        "inbox list, pending at one location",
        "inbox list, pending, what needs attention first",
        "inbox list, 100 proposals deep (cursor)",
        "inbox list, search by customer name",
        "inbox detail (5 waiting proposals)",
        "approve round trip over HTTP (5 outreaches)",
    ]
    assert [line.split("  ")[0] for line in lines[1:-1]] == measured
    assert all(" ms   p95 " in line for line in lines[1:-1])
    assert lines[-1].startswith("worker memory: ") and "holding 10 outreaches" in lines[-1]
