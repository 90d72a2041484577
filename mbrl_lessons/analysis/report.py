"""Render committed ``results/*.json`` for the results appendix and chapters."""

from __future__ import annotations

import json
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


def targets_markdown(payload: dict[str, Any]) -> str:
    """A Markdown table of one payload's targets (measured, op, threshold, met)."""
    lines = [
        "| target | description | measured | target | met |",
        "|---|---|---|---|---|",
    ]
    for t in payload["targets"]:
        desc = str(t["description"]).replace("|", "\\|")
        lines.append(
            f"| `{t['id']}` | {desc} | {_fmt(t['measured'])} | "
            f"{t['op']} {_fmt(t['threshold'])} | {'yes' if t['met'] else '**no**'} |"
        )
    return "\n".join(lines)


def payload_header(payload: dict[str, Any]) -> str:
    """One line saying which commit and budget produced a payload, and how long."""
    commit = str(payload["commit"])[:12]
    return (f"budget **{payload['budget']}**, commit `{commit}`, "
            f"{payload['seconds']:.0f} s of compute")
