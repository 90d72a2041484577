"""Structure checks of every notebook: the conventions the book relies on."""

from pathlib import Path

import jupytext
import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BOOK_NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))
SOLUTION_NOTEBOOKS = sorted((ROOT / "solutions").glob("*.ipynb"))
ALL = BOOK_NOTEBOOKS + SOLUTION_NOTEBOOKS
COLAB_MARKER = 'if "google.colab" in sys.modules:'


def _toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    return files


@pytest.mark.parametrize("nb_path", ALL, ids=lambda p: p.name)
def test_committed_without_outputs(nb_path):
    nb = nbformat.read(nb_path, as_version=4)
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
             and (c.get("outputs") or c.get("execution_count"))]
    assert not dirty, f"{nb_path.name}: cells {dirty} have outputs; clear them"


@pytest.mark.parametrize("nb_path", ALL, ids=lambda p: p.name)
def test_first_code_cell_installs_in_colab_only(nb_path):
    nb = nbformat.read(nb_path, as_version=4)
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert COLAB_MARKER in first_code.source, (
        f"{nb_path.name}: the first code cell must be the Colab installer")


@pytest.mark.parametrize("nb_path", ALL, ids=lambda p: p.name)
def test_paired_py_twin_in_sync(nb_path):
    twin = nb_path.with_suffix(".py")
    assert twin.exists(), f"{nb_path.name} has no py:percent twin ({twin.name})"
    a = nbformat.read(nb_path, as_version=4)
    b = jupytext.read(twin)
    src_a = [(c.cell_type, c.source.strip()) for c in a.cells]
    src_b = [(c.cell_type, c.source.strip()) for c in b.cells]
    assert src_a == src_b, f"{nb_path.name} and {twin.name} differ: run `make sync`"


def test_toc_lists_every_book_page_and_only_existing_ones():
    files = _toc_files()
    for f in files:
        assert any((ROOT / f).with_suffix(s).exists() for s in (".ipynb", ".md")), (
            f"_toc.yml names {f}, which does not exist")
    listed = {str(Path(f)) for f in files}
    pages = {str(p.relative_to(ROOT).with_suffix("")) for p in BOOK_NOTEBOOKS}
    pages |= {str(p.relative_to(ROOT).with_suffix(""))
              for p in (ROOT / "book").glob("*.md")}
    missing = sorted(pages - listed)
    assert not missing, f"book pages not in _toc.yml: {missing}"
