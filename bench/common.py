"""What every benchmark shares: the timing rule and the printed table."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def best_of(repeats: int, job: Callable[[], Any]) -> float:
    """Fastest wall time of a few runs, in seconds (the least disturbed by the rest of a shared machine)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        job()
        best = min(best, time.perf_counter() - start)
    return best


def print_table(rows: list[dict[str, Any]]) -> None:
    columns = ("name", "value", "unit", "target", "note")
    cells = [[str(row.get(c, "")) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) if cells else len(c) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths)), flush=True)
