"""`lmscope flashsim` as users script it: one JSON object on stdout, one sentence on stderr and exit 2 for bad input."""
from __future__ import annotations

import json

import pytest

from lmscope.gui.cli import main

SUMMARY_KEYS = {
    "algo", "causal", "n", "d", "dtype", "dtype_bytes", "sram_bytes", "m", "br", "bc", "tr", "tc", "tiles",
    "hbm_reads", "hbm_writes", "hbm_total", "hbm_read_bytes", "hbm_write_bytes", "standard_reads",
    "standard_writes", "standard_total", "standard_read_bytes", "standard_write_bytes", "traffic_ratio",
    "peak_sram", "peak_sram_bytes", "peak_sram_over_m",
}


def run_json(capsys, *args: str) -> dict:
    assert main(["flashsim", *args, "--json"]) == 0
    out, err = capsys.readouterr()
    assert err == "" and out.count("\n") == 1  # exactly one JSON object, nothing else on stdout
    return json.loads(out)


def test_json_summary_of_the_issue_setting(capsys):
    result = run_json(capsys, "--n", "64", "--d", "16", "--sram-bytes", "1024", "--dtype", "fp32")
    assert set(result) == SUMMARY_KEYS | {"seed", "compute_dtype", "steps", "max_abs_err"}
    n, d, tc = 64, 16, 16
    assert (result["m"], result["br"], result["bc"], result["tr"], result["tc"]) == (256, 4, 4, 16, 16)
    # FA1's closed form, docs/flashattention.md: reads 2Nd + Tc(2Nd + 2N), writes Tc(Nd + 2N).
    assert result["hbm_reads"] == 2 * n * d + tc * (2 * n * d + 2 * n)
    assert result["hbm_writes"] == tc * (n * d + 2 * n)
    assert result["standard_reads"] == 3 * n * d + 2 * n * n and result["standard_writes"] == 2 * n * n + n * d
    assert result["hbm_read_bytes"] == 4 * result["hbm_reads"]
    assert result["steps"] == result["tiles"] == 256
    assert result["max_abs_err"] <= 1e-12 and result["compute_dtype"] == "float64"
    assert result["peak_sram_over_m"] is True and result["peak_sram"] == 296


def test_fa2_causal_and_counts_only(capsys):
    result = run_json(capsys, "--n", "64", "--d", "16", "--sram-bytes", "512", "--dtype", "fp16", "--algo", "fa2",
                      "--causal", "--counts-only")
    assert set(result) == SUMMARY_KEYS  # counts only: no arithmetic, no error
    t, n, d = 16, 64, 16  # Br = Bc = 4, N = TB
    assert result["algo"] == "fa2" and result["causal"] is True
    assert result["hbm_reads"] == (t + 2) * n * d and result["hbm_writes"] == n * (d + 1)
    assert result["tiles"] == t * (t + 1) // 2


def test_block_overrides_and_text_output(capsys):
    assert main(["flashsim", "--n", "100", "--d", "8", "--sram-bytes", "4096", "--br", "7", "--bc", "9"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert "FA1: N=100 d=8 M=2048 elements, Br=7 Bc=9 (Tr=15, Tc=12)" in out
    assert "HBM reads" in out and "standard attention reads" in out and "max |O − exact|" in out


@pytest.mark.parametrize(("args", "words"), [
    (["--n", "64", "--d", "0", "--sram-bytes", "1024"], "head dimension d"),
    (["--n", "64", "--d", "-3", "--sram-bytes", "1024"], "head dimension d"),
    (["--n", "0", "--d", "16", "--sram-bytes", "1024"], "sequence length N"),
    (["--n", "-1", "--d", "16", "--sram-bytes", "1024"], "sequence length N"),
    (["--n", "64", "--d", "16", "--sram-bytes", "60", "--dtype", "fp32"], "cannot hold one row of K"),
    (["--n", "64", "--d", "16", "--sram-bytes", "0"], "cannot hold one row of K"),
    (["--n", "64", "--d", "16", "--sram-bytes", "1024", "--br", "0"], "row block size Br"),
    (["--n", "16384", "--d", "8", "--sram-bytes", "64", "--dtype", "fp32"], "--counts-only"),
])
def test_bad_input_is_one_sentence_and_exit_2(capsys, args, words):
    assert main(["flashsim", *args, "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == ""  # nothing on stdout, not even an empty JSON object
    assert err.startswith("lmscope: ") and words in err
    assert err.count("\n") == 1 and err.rstrip().endswith(".")


def test_not_a_number_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["flashsim", "--n", "sixty-four", "--d", "16", "--sram-bytes", "1024"])
    assert exit_info.value.code == 2
    assert "is not an integer" in capsys.readouterr().err
