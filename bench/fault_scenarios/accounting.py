"""The loss accounting of the bus scenarios: a `Tally` of lost and duplicated effects per effect checked,
and `converge`, which measures again until nothing is missing or the time is up."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Tally:
    """Lost and duplicated effects of one scenario, per effect checked."""

    scenario: str
    lost: dict[str, int] = field(default_factory=dict)
    duplicated: dict[str, int] = field(default_factory=dict)
    figures: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def total_lost(self) -> int:
        return sum(self.lost.values())

    @property
    def total_duplicated(self) -> int:
        return sum(self.duplicated.values())

    def count(self, what: str, lost: int = 0, duplicated: int = 0) -> None:
        self.lost[what] = self.lost.get(what, 0) + lost
        self.duplicated[what] = self.duplicated.get(what, 0) + duplicated

    def compare(self, what: str, expected: dict[Any, Any], actual: Iterable[tuple[Any, Any]]) -> None:
        """`expected`: key → value (the owner's fact); `actual`: (key, value) rows of the copy. Lost: a key
        missing or with another value; duplicated: a key there twice, or a key nobody expects."""
        rows = list(actual)
        seen: dict[Any, Any] = {}
        twice = 0
        for key, value in rows:
            twice += key in seen
            seen[key] = value
        lost = sum(1 for key, value in expected.items() if key not in seen or seen[key] != value)
        extra = sum(1 for key in seen if key not in expected)
        self.count(what, lost, twice + extra)

    def compare_sets(self, what: str, expected: Iterable[Any], actual: Iterable[Any]) -> None:
        self.compare(what, {k: True for k in expected}, [(k, True) for k in actual])

    def ok(self) -> bool:
        return self.total_lost == 0 and self.total_duplicated == 0

    def details(self) -> str:
        parts = [f"{what}: lost={self.lost.get(what, 0)} duplicated={self.duplicated.get(what, 0)}"
                 for what in sorted(set(self.lost) | set(self.duplicated))]
        figures = " ".join(f"{k}={v:g}" for k, v in self.figures.items())
        return (f"{self.scenario}: lost={self.total_lost} duplicated={self.total_duplicated} "
                f"({self.seconds:.1f} s) {figures}\n    " + "\n    ".join(parts))

    def result_lines(self) -> list[str]:
        return [f"RESULT {self.scenario}_lost={self.total_lost}",
                f"RESULT {self.scenario}_duplicated={self.total_duplicated}"]


async def converge(measure: Callable[[], Any], timeout: float, interval: float = 0.5) -> Tally:
    """`measure()` again and again until it finds nothing lost nor duplicated, or `timeout`: the last tally."""
    deadline = time.monotonic() + timeout
    while True:
        tally = await measure()
        if tally.ok() or time.monotonic() > deadline:
            return tally
        await asyncio.sleep(interval)

