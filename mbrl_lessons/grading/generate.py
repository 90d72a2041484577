"""Generate ``exercises/`` from ``solutions/`` (``make exercises``).

Every code block between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` becomes a
stub raising ``NotImplementedError`` (indented like the block), outputs are
cleared, everything else is copied as it is.  Output is deterministic.

A learner's edits are sacred.  ``exercises/.manifest.json`` stores the hash of
every file as it was generated; an exercise whose current hash differs (the
learner edited it) is never overwritten unless ``--force`` is given, and then
the old file is first copied to ``exercises/.backup/``.

    python -m mbrl_lessons.grading.generate [--force] [--check] [names...]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
BEGIN = re.compile(r"^(\s*)# BEGIN SOLUTION\s*$")
END = re.compile(r"^\s*# END SOLUTION\s*$")
DEF = re.compile(r"^\s*def (\w+)\s*\(")


def stub_source(source: str) -> str:
    """Replace each marked block of a cell's source with a stub."""
    out: list[str] = []
    inside = False
    current_fn = "this function"
    for lineno, line in enumerate(source.splitlines(), 1):
        m_def = DEF.match(line)
        if m_def and not inside:
            current_fn = m_def.group(1)
        m = BEGIN.match(line)
        if m:
            if inside:
                raise ValueError(f"nested BEGIN SOLUTION at line {lineno}")
            inside = True
            indent = m.group(1)
            out.append(f"{indent}# YOUR CODE HERE")
            out.append(f'{indent}raise NotImplementedError("write {current_fn}; '
                       f'then run the check cell below")')
            continue
        if END.match(line):
            if not inside:
                raise ValueError(f"END SOLUTION without BEGIN at line {lineno}")
            inside = False
            continue
        if not inside:
            out.append(line)
    if inside:
        raise ValueError("BEGIN SOLUTION without END SOLUTION")
    return "\n".join(out)


def make_exercise(solution: Path) -> str:
    nb = nbformat.read(solution, as_version=4)
    n_blocks = 0
    for cell in nb.cells:
        if cell.cell_type == "code":
            n_blocks += len([ln for ln in cell.source.splitlines() if BEGIN.match(ln)])
            cell.source = stub_source(cell.source)
            cell.outputs = []
            cell.execution_count = None
    if n_blocks == 0:
        raise ValueError(f"{solution} has no '# BEGIN SOLUTION' block")
    # exercises are not paired with a py twin; drop the jupytext pairing
    nb.metadata.pop("jupytext", None)
    return nbformat.writes(nb) + "\n"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def generate(solutions_dir: Path = ROOT / "solutions",
             exercises_dir: Path = ROOT / "exercises", *, names=None,
             force: bool = False, check_only: bool = False) -> dict[str, str]:
    """Write the exercises; returns ``{name: action}`` (written, unchanged,
    kept-edited, backed-up-and-written, would-change)."""
    exercises_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = exercises_dir / ".manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    sources = sorted(solutions_dir.glob("*.ipynb"))
    if names:
        known = {p.stem for p in sources}
        unknown = sorted(set(names) - known)
        if unknown:
            raise KeyError(f"unknown exercise notebook(s) {unknown}; known: "
                           + ", ".join(sorted(known)))
        sources = [p for p in sources if p.stem in names]
    actions: dict[str, str] = {}
    for sol in sources:
        text = make_exercise(sol)
        target = exercises_dir / sol.name
        if target.exists():
            current = target.read_text()
            if current == text:
                actions[sol.stem] = "unchanged"
                manifest[sol.name] = _sha(text)
                continue
            edited = manifest.get(sol.name) != _sha(current)
            if check_only:
                actions[sol.stem] = "would-change"
                continue
            if edited and not force:
                actions[sol.stem] = "kept-edited"
                continue
            if edited:
                backup = exercises_dir / ".backup"
                backup.mkdir(exist_ok=True)
                stamp = time.strftime("%Y%m%d-%H%M%S")
                shutil.copy2(target, backup / f"{sol.stem}.{stamp}.ipynb")
                actions[sol.stem] = "backed-up-and-written"
            else:
                actions[sol.stem] = "written"
        else:
            if check_only:
                actions[sol.stem] = "would-change"
                continue
            actions[sol.stem] = "written"
        target.write_text(text)
        manifest[sol.name] = _sha(text)
    if not check_only:
        manifest_path.write_text(json.dumps(dict(sorted(manifest.items())), indent=2)
                                 + "\n")
    return actions


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="notebook stems (default: all)")
    parser.add_argument("--force", action="store_true",
                        help="overwrite edited exercises (a backup is kept)")
    parser.add_argument("--check", action="store_true",
                        help="only report whether exercises/ is up to date")
    args = parser.parse_args(argv)
    try:
        actions = generate(names=args.names or None, force=args.force,
                           check_only=args.check)
    except (KeyError, ValueError) as err:
        print(f"error: {err.args[0]}", file=sys.stderr)
        return 2
    for name, action in actions.items():
        note = {"kept-edited": "  (you edited it: not overwritten; --force to "
                "replace it, a backup will be kept)"}.get(action, "")
        print(f"{name}: {action}{note}")
    return 1 if args.check and any(a == "would-change" for a in actions.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
