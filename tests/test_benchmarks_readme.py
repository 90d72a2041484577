"""benchmarks/README.md's cost table covers every benchmark and its total adds
up; `make reproduce` runs them all through tools/reproduce.py."""

import re
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = REPO / "benchmarks" / "README.md"
BUDGET_S = 3 * 3600

sys.path.insert(0, str(REPO / "tools"))
import reproduce  # noqa: E402


def cost_rows() -> dict[str, str]:
    """``{benchmark: seconds cell}`` of the cost table (the section "Cost on
    this machine"), failing on a benchmark listed twice."""
    text = README.read_text()
    section = text[text.index("## Cost on this machine"):]
    section = section[:section.index("\n## ", 1)]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or cells[0] in ("benchmark", "---"):
            continue
        name = cells[0].strip("`")
        assert name not in rows, f"{name} has two rows in the cost table"
        rows[name] = cells[3]
    return rows


def test_cost_table_lists_every_benchmark():
    scripts = {p.stem for p in (REPO / "benchmarks").glob("*.py")}
    rows = cost_rows()
    missing, extra = scripts - set(rows), set(rows) - scripts
    assert not missing, (f"benchmarks/README.md's cost table has no row for "
                         f"{sorted(missing)}: add its measured seconds (or '–')")
    assert not extra, f"the cost table lists benchmarks that do not exist: {extra}"


def test_stated_total_is_the_sum_of_the_table():
    seconds = {n: int(c.replace(",", "")) for n, c in cost_rows().items()
               if c not in ("–", "-")}
    total = sum(seconds.values())
    text = README.read_text()
    stated = re.search(r"\*\*Total: ([\d,]+) s \((\d+) h (\d+) min\)\*\* for the "
                       r"(\d+) benchmarks with a number", text)
    h, m = divmod(total // 60, 60)
    should = (f"the table sums to **Total: {total:,} s ({h} h {m} min)** for the "
              f"{len(seconds)} benchmarks with a number"
              + (f", over by {total - BUDGET_S:,} s" if total > BUDGET_S else "")
              + ": update the total paragraph of benchmarks/README.md")
    assert stated, "benchmarks/README.md has no '**Total: N s (H h M min)**' line"
    assert int(stated[1].replace(",", "")) == total, should
    assert (int(stated[2]), int(stated[3])) == (h, m), should
    assert int(stated[4]) == len(seconds), should
    assert "**3 hours (10,800 s)**" in text
    if total > BUDGET_S:
        assert f"over by {total - BUDGET_S:,} s" in text, should


def test_make_reproduce_runs_every_benchmark_and_goes_on_after_a_failure(
        tmp_path, capfd, monkeypatch):
    makefile = (REPO / "Makefile").read_text()
    assert "$(PY) tools/reproduce.py\n" in makefile
    assert "$(PY) tools/reproduce.py --fast\n" in makefile
    bench = tmp_path / "benchmarks"
    bench.mkdir()
    (bench / "a_ok.py").write_text(
        "import os, sys\nprint('A', sys.argv[1:], os.environ['MBRL_LESSONS_SEEDS'])\n")
    (bench / "b_broken.py").write_text("raise SystemExit(3)\n")
    (bench / "c_ok.py").write_text("print('C ran')\n")
    monkeypatch.setenv("MBRL_LESSONS_SEEDS", "7")
    code = reproduce.main(["--fast", "--benchmarks", str(bench)])
    out = capfd.readouterr().out
    assert code == 1
    assert "A ['--fast'] 7" in out and "C ran" in out  # c runs after b failed
    assert "b_broken FAILED (exit status 3)" in out
    assert "1 benchmark(s) FAILED: b_broken" in out
    assert re.search(r"^total\s+\d+", out, re.M) and "FAST budget 120 s" in out
    assert reproduce.main(["--benchmarks", str(bench), "--only", "c_ok"]) == 0
    out = capfd.readouterr().out
    assert "A " not in out and "budget 10800 s (3 h 00 min): within" in out
    with pytest.raises(SystemExit):
        reproduce.main(["--benchmarks", str(bench), "--only", "nope"])


# not on mbrl_lessons.sweep yet (issue 12: being moved); grader_timing times
# the grader and has no seeds.  A benchmark that moves passes (xfail is not
# strict): take it off this list then.
NOT_ON_THE_SWEEP_YET: set[str] = set()
NO_SEEDS = {"grader_timing"}


@pytest.mark.parametrize("script", [
    pytest.param(p, id=p.stem, marks=pytest.mark.xfail(
        reason="not moved to mbrl_lessons.sweep yet")
        if p.stem in NOT_ON_THE_SWEEP_YET else ())
    for p in sorted((REPO / "benchmarks").glob("*.py")) if p.stem not in NO_SEEDS])
def test_benchmark_runs_its_seeds_through_the_sweep(script):
    """Issue 12: every benchmark imports mbrl_lessons.sweep and none keeps a
    process pool of its own."""
    text = script.read_text()
    assert "mbrl_lessons.sweep" in text and "run_sweep" in text
    for pool in ("ProcessPoolExecutor", "multiprocessing", "concurrent.futures"):
        assert pool not in text, f"{script.name} has its own pool ({pool})"
