"""Write every notebook's Colab cell and Colab links from ``_config.yml``.

One setting says where the course lives and which release a reader installs:
``repository.url`` / ``repository.branch`` and ``course_release`` in
``_config.yml``.  This script rewrites, in every ``book/*.py`` and
``solutions/*.py`` twin,

- the first code cell that installs the package in Colab (found by its
  ``"google.colab" in sys.modules`` test), and
- every ``colab.research.google.com/github/<owner>/<repo>/blob/<branch>/`` link,

then syncs the ``.ipynb`` twins with jupytext.  ``--check`` only reports the
files that are out of date (a test runs it), and exits 1 if there are any.

    python tools/colab_cells.py            # rewrite
    python tools/colab_cells.py --check    # report, change nothing
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
GLOBS = ("book/*.py", "solutions/*.py")

CELL = '''# %%
# Running in Colab? Install this course's release and run the FAST budget
# (Colab's free CPU; a no-op elsewhere). Written by tools/colab_cells.py from
# _config.yml: change the release there, not here.
import os
import sys
if "google.colab" in sys.modules:
    import subprocess
    os.environ.setdefault("MBRL_LESSONS_FAST", "1")
    # pip adds only what Colab lacks: Colab's torch, numpy and ipywidgets
    # already satisfy the package's version ranges and are left as they are
    subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                    "mbrl-lessons @ git+{url}@{release}"], check=True)
'''

_CELL_RE = re.compile(
    r"^(# %%(?: tags=[^\n]*)?)\n(?:#[^\n]*\n)*(?:import [^\n]+\n)*"
    r'if "google\.colab" in sys\.modules:\n(?:(?:    [^\n]*|)\n)*?(?=\n# %%|\Z)',
    re.M,
)
_LINK_RE = re.compile(
    r"colab\.research\.google\.com/github/[^/\s]+/[^/\s]+/blob/[^/\s]+/")


def settings(root: Path = ROOT) -> dict[str, str]:
    """The repository url, branch and release named in ``_config.yml``."""
    cfg = yaml.safe_load((root / "_config.yml").read_text())
    repo = cfg.get("repository") or {}
    url, branch = repo.get("url"), repo.get("branch", "main")
    release = cfg.get("course_release")
    m = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+?)/?", url or "")
    if not m or not release:
        raise SystemExit(
            "_config.yml needs repository.url (https://github.com/OWNER/REPO) and "
            f"course_release; found url={url!r}, course_release={release!r}")
    return {"url": url.rstrip("/"), "branch": branch, "release": str(release),
            "slug": f"{m.group(1)}/{m.group(2)}"}


def render(text: str, s: dict[str, str]) -> str:
    """``text`` with its Colab cell and Colab links rewritten from settings ``s``."""
    cell = CELL.format(url=s["url"], release=s["release"])
    # keep the cell's own header line (its tags, e.g. remove-input)
    text, n = _CELL_RE.subn(lambda m: m.group(1) + cell[len("# %%"):], text, count=1)
    link = f"colab.research.google.com/github/{s['slug']}/blob/{s['branch']}/"
    return _LINK_RE.sub(link, text) if n or _LINK_RE.search(text) else text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true",
                    help="report out-of-date files, change nothing")
    args = ap.parse_args(argv)
    s = settings()
    stale = []
    for pattern in GLOBS:
        for path in sorted(ROOT.glob(pattern)):
            text = path.read_text()
            if not text.startswith("# ---\n# jupyter:"):
                continue  # not a notebook twin (e.g. book/conftest.py)
            new = render(text, s)
            has_cell = '"google.colab" in sys.modules' in text
            if not has_cell and path.parent.name == "book":
                stale.append(f"{path.relative_to(ROOT)}: no Colab cell")
                continue
            if new != text:
                stale.append(str(path.relative_to(ROOT)))
                if not args.check:
                    path.write_text(new)
                    if path.with_suffix(".ipynb").exists():
                        subprocess.run([sys.executable, "-m", "jupytext", "--sync",
                                        "-q", str(path)], check=True)
    for line in stale:
        print(("out of date: " if args.check else "rewrote: ") + line)
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    raise SystemExit(main())
