"""Render committed ``results/*.json`` for the results appendix and chapters."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from mbrl_lessons.core.results import RESULTS_DIR


def all_results(results_dir: Path | None = None) -> list[dict[str, Any]]:
    """Every results payload in ``results/``, sorted by benchmark name."""
    results_dir = Path(results_dir) if results_dir is not None else RESULTS_DIR
    payloads = []
    for path in sorted(results_dir.glob("*.json")):
        payload = json.loads(path.read_text())
        for key in ("name", "commit", "budget", "seconds", "targets"):
            if key not in payload:
                raise ValueError(f"{path} does not follow the results contract: "
                                 f"missing {key!r}")
        payloads.append(payload)
    return payloads


def _fmt(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:.4g}"
    return str(x)


# the note Target.over_seeds appends to a description; the table says it in
# its own columns (the interval, the seed count), so it is dropped there
_SEED_NOTE = re.compile(r" \[[a-z ]+ over \d+ seeds; met only if its .*\]$")


def measured_cell(t: dict[str, Any]) -> str:
    """A target's number, with its 95% interval and seed count when it has one:
    ``0.07 [0.05, 0.09] n=10``."""
    shown = _fmt(t["measured"])
    if t.get("ci") is not None:
        per_seed = t.get("per_seed")
        first = next(iter(per_seed.values())) if isinstance(per_seed, dict) \
            else per_seed
        n = f" n={len(first)}" if first else ""
        label = f" {t['statistic']}" if t.get("statistic") in ("iqm", "median") \
            else ""
        shown += f" [{_fmt(t['ci'][0])}, {_fmt(t['ci'][1])}]{n}{label}"
    return shown


def targets_markdown(payload: dict[str, Any]) -> str:
    """A Markdown table of one payload's targets (measured with its 95% interval
    over seeds where it has one, op, threshold, met)."""
    lines = [
        "| target | description | measured [95% CI] | target | met |",
        "|---|---|---|---|---|",
    ]
    for t in payload["targets"]:
        desc = _SEED_NOTE.sub("", str(t["description"])).replace("|", "\\|")
        lines.append(
            f"| `{t['id']}` | {desc} | {measured_cell(t)} | "
            f"{t['op']} {_fmt(t['threshold'])} | {'yes' if t['met'] else '**no**'} |"
        )
    return "\n".join(lines)


def payload_header(payload: dict[str, Any]) -> str:
    """One line saying which commit and budget produced a payload, and how long."""
    commit = str(payload["commit"])[:12]
    return (f"budget **{payload['budget']}**, commit `{commit}`, "
            f"{payload['seconds']:.0f} s of compute")
