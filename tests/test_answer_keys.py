"""Every prose exercise of the book has an answer key, and the keys stay off
the website (``tests/site/test_site.py`` checks the built pages)."""

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import answer_keys  # noqa: E402


def test_every_prose_exercise_has_a_key():
    assert len(answer_keys.prose_exercises()) >= 40
    assert answer_keys.problems() == []


def test_a_missing_key_is_reported(tmp_path):
    book = tmp_path / "book"
    book.mkdir()
    (book / "ch99_x.py").write_text(
        "# ```{exercise}\n# :label: ex-ch99-new\n# Do it.\n# ```\n", encoding="utf-8")
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / "ch98_y.md").write_text("## ex-ch98-old\n\nshort\n", encoding="utf-8")
    found = answer_keys.problems(book, keys)
    assert "no key for ex-ch99-new (ch99_x)" in found
    assert any("instructors/answer_keys/<page>.md" in f for f in found)
    assert "key ex-ch98-old matches no exercise" in found


def test_keys_are_excluded_from_the_website():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert "instructors" in config["exclude_patterns"]
    assert "file: instructors/" not in (ROOT / "_toc.yml").read_text(encoding="utf-8")


def test_bundle_holds_every_key_in_book_order(tmp_path):
    out = tmp_path / "keys.md"
    assert answer_keys.main(["--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    labels = list(answer_keys.prose_exercises())
    assert all(f"### {lab}" in text for lab in labels)
    assert text.index("ex-ch02-contraction") < text.index("ex-ch07-compare")
