"""The mutation fuzzer (tests/sessions/fuzz_mutations.py), run in a child process that times every variant and
measures its own peak memory: links and external storage, declared shapes, compression bombs, data types,
strings, absurd attributes and config fields, hostile panel state for every registered panel, deletions,
truncations, bit flips and foreign files.

Default run: 304 variants (16 per category; ~25 s alone on one core, ~50 s on a busy two-core machine).
`slow`: 3,040 more with ten other seeds.
"""
from __future__ import annotations

import collections
import os
import json
import subprocess
import sys
from pathlib import Path

import pytest

FUZZER = Path(__file__).with_name("fuzz_mutations.py")
# CPU seconds: on a shared two-core machine a variant of 0.5 s of work took 6 s of wall time. The child's watchdog
# ends it after 30 s of wall time (a hang in a system call uses no CPU), which fails the test.
SECONDS_PER_VARIANT = 5.0
WALL_SECONDS_PER_VARIANT = 30.0
PEAK_RSS = 1 << 30


def run_fuzzer(tmp_path: Path, count: int, seed: int) -> list[dict]:
    out = tmp_path / "report.json"
    work = tmp_path / "work"
    work.mkdir()
    done = subprocess.run([sys.executable, str(FUZZER), "--count", str(count), "--seed", str(seed),
                           "--workdir", str(work), "--out", str(out)], capture_output=True, text=True,
                          timeout=60 + count * 2,
                          # Size limits scale with free memory; plan for a 2 GiB machine so the 1 GiB RSS bound
                          # means the same on an idle 24 GiB CI machine as on a busy laptop.
                          env={**os.environ, "LMSCOPE_MEMORY_BYTES": str(2 << 30)})
    assert done.returncode == 0, f"the fuzzer's child died (a hang or a crash):\n{done.stderr[-4000:]}"
    report = json.loads(out.read_text())
    assert report["peak_rss"] < PEAK_RSS, f"peak RSS {report['peak_rss'] / 2**20:.0f} MiB"
    return report["results"]


def check(results: list[dict], minimum: int) -> None:
    assert len(results) >= minimum
    by_category = collections.Counter(r["category"] for r in results)
    from fuzz_mutations import MUTATORS  # noqa: PLC0415 - the fuzzer's own list, loaded from its file

    assert set(by_category) == set(MUTATORS) and min(by_category.values()) >= minimum // len(MUTATORS) - 1
    errors = [f"{r['id']}: {r['error']}" for r in results if "error" in r]
    assert not errors, "\n\n".join(errors[:5])
    slow = [f"{r['id']}: {r['cpu_seconds']:.1f} s CPU, {r['seconds']:.1f} s" for r in results
            if r["cpu_seconds"] > SECONDS_PER_VARIANT or r["seconds"] > WALL_SECONDS_PER_VARIANT]
    assert not slow, slow
    not_refused = [f"{r['id']}: {r['outcome']}" for r in results if r["must_refuse"]
                   and not r["outcome"].startswith("refused:")]
    assert not not_refused, not_refused[:5]
    unclear = [r["outcome"] for r in results if r["outcome"].startswith("refused:") and not r["one_sentence"]]
    assert not unclear, unclear[:5]
    refused = sum(r["outcome"].startswith("refused:") for r in results)
    assert refused > len(results) // 2  # most variants are hostile; a fuzzer that refuses nothing tests nothing


@pytest.fixture(autouse=True)
def _fuzzer_importable(monkeypatch):
    monkeypatch.syspath_prepend(str(FUZZER.parent))


def test_mutation_fuzzer(tmp_path):
    check(run_fuzzer(tmp_path, count=304, seed=0), minimum=304)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(1, 11))
def test_mutation_fuzzer_many(tmp_path, seed):
    check(run_fuzzer(tmp_path, count=304, seed=seed), minimum=304)
