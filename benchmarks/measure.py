"""What a benchmark reports: a figure of the product beside the same figure of a baseline measured in the same
run, their ratio and the goal the ratio must meet. Figures are medians of interleaved rounds, so a disturbance
of the machine during one round moves neither side alone."""

import statistics
from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    name: str
    measured: float
    baseline: float
    unit: str
    goal: float
    # Throughput: the ratio must reach the goal; costs (time, bytes, memory): it must stay under it.
    higher_is_better: bool = False

    @property
    def ratio(self) -> float:
        return self.measured / self.baseline if self.baseline else float("inf")

    @property
    def met(self) -> bool:
        return self.ratio >= self.goal if self.higher_is_better else self.ratio <= self.goal


def median(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], share: float) -> float:
    """The value under which `share` of the values lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def _figure(value: float, unit: str) -> str:
    return f"{value:,.0f} {unit}" if value >= 100 else f"{value:,.2f} {unit}"


def report(results: list[Result]) -> str:
    lines = [f"{'hot path':<52} {'product':>16} {'baseline':>16} {'ratio':>7} {'goal':>8}"]
    for r in results:
        goal = f"{'≥' if r.higher_is_better else '≤'}{r.goal:.2f}x"
        lines.append(
            f"{r.name:<52} {_figure(r.measured, r.unit):>16} {_figure(r.baseline, r.unit):>16} "
            f"{r.ratio:>6.2f}x {goal:>8}  {'ok' if r.met else 'MISSED'}"
        )
    return "\n".join(lines)
