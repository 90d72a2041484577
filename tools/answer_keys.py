"""Answer keys of the book's prose exercises, for instructors only.

Every ``{exercise}`` of a chapter page (``book/*.py``, the ones the grader
does not score) has a key in ``instructors/answer_keys/<page>.md`` under a
heading ``## <label>``.  The folder is not part of the website
(``exclude_patterns`` in ``_config.yml``, and it is not in ``_toc.yml``);
``make answer-keys`` writes all keys, in the order of the table of contents,
to one file for the course staff:

    python tools/answer_keys.py --out build/answer_keys.md

and fails (exit 1) if an exercise has no key or a key no exercise.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEYS = ROOT / "instructors" / "answer_keys"
_EXERCISE = re.compile(r"^# ```\{exercise\}\s*\n((?:#.*\n)*?)# ```", re.M)
_LABEL = re.compile(r"^#\s*:label:\s*(\S+)", re.M)
_HEADING = re.compile(r"^## (ex-\S+)\s*$", re.M)


def prose_exercises(book: Path = ROOT / "book") -> dict[str, str]:
    """``label -> page`` for every ``{exercise}`` block of the chapter pages."""
    found: dict[str, str] = {}
    for page in sorted(book.glob("*.py")):
        for block in _EXERCISE.finditer(page.read_text(encoding="utf-8")):
            label = _LABEL.search(block.group(1))
            if label is None:
                raise ValueError(f"{page.name}: an exercise without a :label:")
            if label.group(1) in found:
                raise ValueError(f"exercise label {label.group(1)!r} used twice "
                                 f"({found[label.group(1)]} and {page.stem})")
            found[label.group(1)] = page.stem
    return found


def answer_keys(keys: Path = KEYS) -> dict[str, tuple[str, str]]:
    """``label -> (file stem, text of the key)`` from the key files."""
    out: dict[str, tuple[str, str]] = {}
    for path in sorted(keys.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        heads = list(_HEADING.finditer(text))
        for i, h in enumerate(heads):
            end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
            if h.group(1) in out:
                raise ValueError(f"two keys for {h.group(1)!r}")
            out[h.group(1)] = (path.stem, text[h.end():end].strip())
    return out


def problems(book: Path = ROOT / "book", keys: Path = KEYS) -> list[str]:
    """What is wrong: exercises without a key, keys without an exercise,
    keys filed under another page, keys too short to grade with."""
    ex, ks = prose_exercises(book), answer_keys(keys)
    out = [f"no key for {lab} ({page})" for lab, page in ex.items() if lab not in ks]
    if any(lab not in ks for lab in ex):
        out.append("write each missing key under '## <label>' in "
                   "instructors/answer_keys/<page>.md (never on the website)")
    out += [f"key {lab} matches no exercise" for lab in ks if lab not in ex]
    out += [f"key {lab} is in {ks[lab][0]}.md, the exercise on {page}"
            for lab, page in ex.items() if lab in ks and ks[lab][0] != page]
    out += [f"key {lab} has only {len(ks[lab][1].split())} words"
            for lab in ex if lab in ks and len(ks[lab][1].split()) < 60]
    return out


def _toc_order() -> list[str]:
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    order: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                order.append(Path(node["file"]).name)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(toc)
    return order


def bundle() -> str:
    """All keys as one Markdown document, pages in the order of the book."""
    ex, ks = prose_exercises(), answer_keys()
    order = {page: i for i, page in enumerate(_toc_order())}
    parts = ["# MBRL Lessons: answer keys of the prose exercises\n\n",
             "For course staff only; not for distribution to learners.\n"]
    for page in sorted(set(ex.values()), key=lambda p: (order.get(p, 1e9), p)):
        parts.append(f"\n## {page}\n")
        for lab in (lab for lab, p in ex.items() if p == page):
            parts.append(f"\n### {lab}\n\n{ks[lab][1]}\n")
    return "".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "answer_keys.md")
    args = parser.parse_args(argv)
    bad = problems()
    if bad:
        print("answer keys incomplete:\n  " + "\n  ".join(bad), file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(bundle(), encoding="utf-8")
    print(f"wrote {len(prose_exercises())} answer keys to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
