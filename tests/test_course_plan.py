"""The instructors' course plan is generated from the pages and the grader."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_course_plan_is_up_to_date():
    out = subprocess.run([sys.executable, str(ROOT / "tools" / "course_plan.py"),
                          "--check"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    text = (ROOT / "book" / "course_plan.md").read_text()
    assert "| **total** |" in text and "ch07_modern" in text
