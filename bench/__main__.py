"""Run every benchmark and print one table. `python -m bench [name ...]` runs only the named ones."""
from __future__ import annotations

import importlib
import sys
from typing import Any

BENCHES = ("bench_foundation", "bench_flashsim", "bench_bpe", "bench_attention")


def print_table(rows: list[dict[str, Any]]) -> None:
    columns = ("name", "value", "unit", "target", "note")
    cells = [[str(row.get(c, "")) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) if cells else len(c) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths)), flush=True)


def main(names: list[str]) -> int:
    rows: list[dict[str, Any]] = []
    for name in names or BENCHES:
        module = importlib.import_module(f"bench.{name}")
        print(f"running {name}…", file=sys.stderr, flush=True)
        rows.extend(module.run())
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
