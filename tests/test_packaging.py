"""The wheel a reader installs (locally, in Colab) carries the licence and results."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from mbrl_lessons.core.results import RESULTS_DIR, load_results

ROOT = Path(__file__).resolve().parents[1]


def test_results_dir_is_the_committed_results_folder():
    # in a checkout the package's results/ link resolves to the repository's results/
    assert RESULTS_DIR.resolve() == (ROOT / "results").resolve()
    assert load_results("ch06_planning") is not None


@pytest.mark.slow
def test_wheel_ships_results_and_licence(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "--no-build-isolation", "-w", str(tmp_path), str(ROOT)],
                   check=True, timeout=600)
    (wheel,) = tmp_path.glob("mbrl_lessons-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = zf.read(meta).decode()
    committed = {p.name for p in (ROOT / "results").glob("*.json")}
    shipped = {Path(n).name for n in names if n.startswith("mbrl_lessons/results/")}
    assert committed and committed <= shipped, committed - shipped
    assert "License-Expression: MIT" in metadata
    assert any(n.endswith("licenses/LICENSE") for n in names)
