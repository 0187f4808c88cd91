"""`make bench` stays runnable: a small run on each database measures every hot path against its baseline.
The ratios themselves are for `make bench` to judge, never asserted here."""

from sqlalchemy import Engine

from benchmarks.__main__ import report, run


def test_the_benchmark_measures_every_hot_path_against_a_baseline(engine: Engine, database_url: str) -> None:
    results = run(database_url, customers=200)
    assert [result.name for result in results] == ["detection scan, 90 patterns", "check before send, 90 deliveries"]
    assert all(result.measured > 0 and result.baseline > 0 for result in results)
    printed = report(results)
    assert all(result.name in printed for result in results)
