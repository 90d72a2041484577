"""Every notebook's Colab cell and Colab links come from _config.yml."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import colab_cells  # noqa: E402


def test_every_notebook_is_up_to_date_with_config():
    out = subprocess.run([sys.executable, str(ROOT / "tools" / "colab_cells.py"),
                          "--check"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, "run `make sync`:\n" + out.stdout


def test_render_pins_the_configured_release_and_sets_fast():
    s = {"url": "https://github.com/o/r", "branch": "b", "release": "v9",
         "slug": "o/r"}
    cell = ('# %%\n# Running in Colab?\nimport sys\n'
            'if "google.colab" in sys.modules:\n    pass\n\n# %%\nx = 1\n'
            "# see colab.research.google.com/github/a/b/blob/main/x.ipynb\n")
    new = colab_cells.render(cell, s)
    assert "git+https://github.com/o/r@v9" in new
    assert 'os.environ.setdefault("MBRL_LESSONS_FAST", "1")' in new
    assert "colab.research.google.com/github/o/r/blob/b/x.ipynb" in new
    assert new.endswith("# %%\nx = 1\n"
                        "# see colab.research.google.com/github/o/r/blob/b/x.ipynb\n")
