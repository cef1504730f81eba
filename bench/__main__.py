"""Run every benchmark and print one table. `python -m bench [name ...]` runs only the named ones."""
from __future__ import annotations

import importlib
import sys
from typing import Any

from bench.common import print_table

BENCHES = ("bench_foundation", "bench_sessions", "bench_flashsim", "bench_bpe", "bench_flashsim_panel", "bench_attention",
           "bench_hf", "bench_projector", "bench_moe", "bench_lens", "bench_long")


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
