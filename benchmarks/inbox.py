"""The AI Inbox over HTTP: list and detail requests per second against a bare endpoint on the same uvicorn
serving the same bytes, with a small inbox and a large one (the list must not slow down as the table grows)."""

from benchmarks.measure import Result, median
from benchmarks.stack import Api

LIST = "/api/inbox?page_size=50"


def bench_inbox(small: tuple[Api, int, str], large: tuple[Api, int, str], rounds: int, seconds: float) -> list[Result]:
    """`small` and `large`: an API, how many proposals its inbox holds, and one pending proposal's id."""
    paths: dict[str, dict[str, str]] = {}
    for api, _, action_id in (small, large):
        paths[api.process.name] = {"list": LIST, "detail": f"/api/inbox/{action_id}"}
        for key, path in list(paths[api.process.name].items()):
            api.call("PUT", f"/bench/bytes/{key}", api.call("GET", path))
            paths[api.process.name][f"bare {key}"] = f"/bench/bytes/{key}"
        for path in paths[api.process.name].values():  # warm-up: caches filled, code paths run once
            api.rate(path, seconds / 4)
    rates: dict[tuple[str, str], list[float]] = {}
    for _ in range(rounds):
        for api, _, _ in (small, large):
            for key, path in paths[api.process.name].items():
                rates.setdefault((api.process.name, key), []).append(api.rate(path, seconds))
    rate = {key: median(values) for key, values in rates.items()}
    results = []
    for api, proposals, _ in (small, large):
        name = api.process.name
        for key in ("list", "detail"):
            results.append(
                Result(f"inbox {key}, {proposals:,} proposals (vs bare endpoint)", rate[name, key],
                       rate[name, f"bare {key}"], unit="req/s", goal=0.5, higher_is_better=True)
            )  # fmt: skip
    (small_api, small_count, _), (large_api, large_count, _) = small, large
    results.append(
        Result(f"inbox list, {large_count:,} vs {small_count:,} proposals", rate[large_api.process.name, "list"],
               rate[small_api.process.name, "list"], unit="req/s", goal=1 / 1.5, higher_is_better=True)
    )  # fmt: skip
    return results
