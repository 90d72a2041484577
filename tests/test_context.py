"""Chapter 7's context table: the papers cited, our numbers read from results."""

import json
import re
from pathlib import Path

from mbrl_lessons.analysis.context import PAPER_RESULTS, context_markdown, our_result

ROOT = Path(__file__).resolve().parents[1]


def test_every_paper_is_in_the_bibliography():
    keys = set(re.findall(r"^@\w+\{([^,]+),", (ROOT / "references.bib").read_text(),
                          re.M))
    assert {p.algorithm.split()[0] for p in PAPER_RESULTS} >= {
        "World", "PETS", "MBPO", "Dreamer", "MuZero"}
    for p in PAPER_RESULTS:
        assert set(p.cite) <= keys, (p.algorithm, set(p.cite) - keys)


def _payload(targets):
    return {"name": "x", "commit": "0" * 40, "budget": "full", "seconds": 1.0,
            "config": {"agent": {"env_id": "Pendulum-v1"}}, "targets": targets}


def test_our_side_is_read_from_results(tmp_path):
    t = {"id": "dreamer_final_return", "description": "final return",
         "measured": -123.4, "op": ">=", "threshold": -250.0, "met": True}
    other = dict(t, id="other", met=False)
    (tmp_path / "ch07_dreamer.json").write_text(json.dumps(_payload([t, other])))
    r = our_result("ch07_dreamer", "dreamer_final_return", tmp_path)
    assert r["target"]["measured"] == -123.4 and (r["met"], r["of"]) == (1, 2)
    assert r["task"] == "Pendulum-v1"
    # a renamed target falls back to the file's first one, not to a crash
    assert our_result("ch07_dreamer", "gone", tmp_path)["target"]["id"] == \
        "dreamer_final_return"
    md = context_markdown(tmp_path)
    assert "**-123.4**" in md and "met 1 of 2 targets" in md
    assert "`ch07_pets` not run yet" in md
    assert md.count("\n") == len(PAPER_RESULTS) + 1


def test_committed_results_fill_every_row():
    md = context_markdown()
    for p in PAPER_RESULTS:
        row = next(line for line in md.splitlines() if f"**{p.algorithm}**" in line)
        assert "**" in row.split("|")[3], f"{p.algorithm}: no measured number"


def test_every_named_target_exists_in_its_committed_results():
    """The fallback to a file's first target is for a reader's half-run
    checkout; in the committed results every target the table names must
    exist, or the table would quote the wrong claim."""
    for p in PAPER_RESULTS:
        for name, target_id, _ in p.ours:
            path = ROOT / "results" / f"{name}.json"
            if not path.exists():
                continue
            ids = [t["id"] for t in json.loads(path.read_text())["targets"]]
            assert target_id in ids, (p.algorithm, name, target_id, ids)
