"""The grader, attacked: a dishonest student, and an instructor grading a class.

Every class of failure in issue 13 has a test here: forged results, patched
checks, cross-student writes, leaked hidden checks, forbidden imports, fair
treatment of correct work (float32, IPython syntax, in-notebook check()),
per-exercise isolation, bad files, gradebook identity, processes that outlive
the grader, the three plausible bugs, and the Gradescope bundle.
"""

import json
import linecache
import os
import shutil
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path

import nbformat
import pytest

from mbrl_lessons.grade import main as grade_main
from mbrl_lessons.grading.gradescope import build_bundle
from mbrl_lessons.grading.runner import (
    cells_from_notebook,
    check,
    grade_cells,
    grade_class,
    grade_path,
)
from mbrl_lessons.grading.sandbox import Limits, isolation

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "mbrl_lessons"
GOOD_GREEDY = """
import numpy as np
def greedy_policy(P, R, gamma, V):
    return (R + gamma * P @ V).argmax(axis=1)
"""
GOOD_BACKUP = """
import numpy as np
def bellman_optimality_backup(P, R, gamma, V):
    return (R + gamma * P @ V).max(axis=1)
"""
STUB = """
def greedy_policy(P, R, gamma, V):
    return None
"""
LINUX = sys.platform.startswith("linux")


def ex(report, ex_id):
    return next(e for e in report.exercises if e.id == ex_id)


def outputs(report) -> str:
    return " ".join(c.output for e in report.exercises for c in e.checks)


# ------------------------------------------------------------- forgery
FORGERIES = {
    "marker line on stdout": STUB + """
import json, sys
fake = {"load_errors": [], "results": [{"id": "ch02_greedy_policy", "title": "x",
        "error": "", "checks": [{"name": "a", "score": 5, "max_score": 5,
        "output": "ok"}]}]}
print("@@GRADER@@" + json.dumps(fake)); sys.stdout.flush()
sys.__stdout__.write("@@GRADER@@" + json.dumps(fake) + "\\n")
""",
    "atexit and os._exit": STUB + """
import atexit, os, sys
atexit.register(lambda: sys.__stdout__.write('@@GRADER@@{"score": 5}\\n'))
""",
    "frames written into every open descriptor": STUB + """
import json, os
for fd in range(3, 64):
    for i in range(1, 40):
        body = json.dumps({"id": i, "ok": True, "callable": ["greedy_policy"],
                           "value": [0, 0, 0]}).encode()
        try:
            os.write(fd, len(body).to_bytes(8, "big") + body)
        except OSError:
            break
""",
    "garbage into every open descriptor": STUB + """
import os
for fd in range(3, 64):
    try:
        os.write(fd, b"\\xff" * 64)
    except OSError:
        pass
""",
}


@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_forged_results_score_what_the_return_values_earn(name):
    rep = grade_cells([FORGERIES[name]], ["ch02_greedy_policy"])
    assert rep.score == 0, rep.table()


def test_patching_numpy_and_builtins_in_the_submission_changes_nothing():
    cheat = STUB + """
import builtins, numpy as np
np.allclose = lambda *a, **k: True
np.abs = lambda x: 0 * x
np.isfinite = lambda x: np.ones(np.shape(x), bool)
builtins.isinstance = lambda *a: True
builtins.AssertionError = type("Nope", (Exception,), {})
import mbrl_lessons.grading.core as core
core.assert_close = lambda *a, **k: None
core.assert_greedy = lambda *a, **k: None
"""
    rep = grade_cells([cheat], ["ch02_greedy_policy"])
    assert rep.score == 0, rep.table()


# ------------------------------------------------------ students and files
@pytest.mark.skipif(not (LINUX and isolation()["landlock"]),
                    reason="needs Landlock (Linux >= 5.13) for the file sandbox")
def test_a_submission_cannot_touch_other_students_the_gradebook_or_the_package(
        tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    book = tmp_path / "book.csv"
    victim = subs / "zoe.py"
    victim.write_text(GOOD_GREEDY)
    checks_file = PKG / "grading" / "checks" / "ch02_mdp.py"
    before = checks_file.read_bytes()
    (subs / "alice.py").write_text(STUB + f"""
escaped = []
for path, text in [({str(victim)!r}, "def greedy_policy(*a):\\n    return None\\n"),
                   ({str(book)!r}, "student,total\\nalice,999\\n"),
                   ({str(checks_file)!r}, "EXERCISES = []\\n"),
                   ({str(subs / 'numpy.py')!r}, "raise SystemExit")]:
    try:
        with open(path, "w") as fh:
            fh.write(text)
        escaped.append("wrote " + path)
    except OSError:
        pass
try:
    open({str(victim)!r}).read()
    escaped.append("read another student's file")
except OSError:
    pass
if escaped:
    raise RuntimeError("ESCAPED: " + "; ".join(escaped))
""")
    rows = grade_class(subs, book, workers=1)
    by = {r["student"]: r for r in rows}
    assert victim.read_text() == GOOD_GREEDY
    assert checks_file.read_bytes() == before
    assert not (subs / "numpy.py").exists()
    assert by["zoe"]["total"] == 5 and by["alice"]["total"] == 0
    assert "ESCAPED" not in by["alice"]["notes"], by["alice"]["notes"]
    assert book.read_text().startswith("student,")


def test_a_planted_module_never_reaches_the_next_student(tmp_path):
    plant = GOOD_GREEDY + """
import os, tempfile
# its working folder, TMPDIR and HOME (all three are its own, fresh folder)
for folder in (".", tempfile.gettempdir(), os.path.expanduser("~")):
    for name in ("numpy.py", "sitecustomize.py", "mbrl_lessons.py"):
        try:
            with open(os.path.join(folder, name), "w") as fh:
                fh.write("raise SystemExit('planted')\\n")
        except OSError:
            pass
"""
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.py").write_text(plant + "\nimport importlib\n"
                                   "importlib.invalidate_caches()\nimport numpy\n")
    (subs / "bob.py").write_text(GOOD_GREEDY)
    rows = grade_class(subs, tmp_path / "book.csv", workers=1)
    assert [(r["student"], r["total"]) for r in rows] == [("alice", 5), ("bob", 5)]


def _alive_with(token: str) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/cmdline", "rb") as fh:
                    if token.encode() in fh.read():
                        found.append(int(name))
            except OSError:
                continue
    return found


@pytest.mark.skipif(not LINUX, reason="reads /proc")
def test_no_process_outlives_the_grader():
    token = f"mbrl-orphan-{uuid.uuid4().hex}"
    spawn = GOOD_GREEDY + f"""
import os, subprocess, sys
cmd = [sys.executable, "-c", "import time; time.sleep(120)", {token!r}]
subprocess.Popen(cmd)                               # a plain child
subprocess.Popen(cmd, start_new_session=True)       # escapes the process group
if os.fork() == 0:                                  # a double-forked daemon
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, cmd)
    os._exit(0)
"""
    rep = grade_cells([spawn], ["ch02_greedy_policy"])
    assert rep.score == 5, rep.table()
    deadline = time.monotonic() + 5
    while _alive_with(token) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _alive_with(token) == []


# ----------------------------------------------------------- hidden checks
def _hidden(tmp_path, body="raise AssertionError('hidden check failed')"):
    folder = tmp_path / "hidden"
    folder.mkdir()
    (folder / "extra.py").write_text(
        "from mbrl_lessons.grading.core import Check\n"
        "SECRET_ANSWER = 'the hidden answer is 42'\n"
        f"def never(ns):\n    {body}\n"
        "HIDDEN_CHECKS = {'ch02_greedy_policy': [Check('hidden one', 3, never)]}\n")
    return folder


@pytest.mark.skipif(not (LINUX and isolation()["landlock"]),
                    reason="needs Landlock (Linux >= 5.13) for the file sandbox")
def test_hidden_checks_do_not_leak_their_path_or_source(tmp_path):
    folder = _hidden(tmp_path, body="x = SECRET_ANSWER; raise TypeError(x)")
    probe = GOOD_GREEDY + f"""
import os, sys
blob = repr(dict(os.environ)) + repr(sys.argv) + os.getcwd()
blob += open("/proc/self/cmdline", "rb").read().decode(errors="replace")
try:
    blob += open({str(folder / 'extra.py')!r}).read()
except OSError:
    pass
if {str(folder)!r} in blob or "SECRET" in blob:
    raise RuntimeError("LEAKED")
"""
    rep = grade_cells([probe], ["ch02_greedy_policy"], hidden=[folder])
    assert not any("LEAKED" in e for e in rep.load_errors), rep.load_errors
    assert rep.max_score == 8 and rep.score == 5
    text = rep.table() + json.dumps(rep.gradescope())
    assert "hidden answer" not in text and "SECRET" not in text
    tests = {t["name"]: t for t in rep.gradescope()["tests"]}
    assert tests["ch02_greedy_policy: hidden one"]["visibility"] == "after_published"
    assert tests["ch02_greedy_policy: hidden one"]["score"] == 0
    assert all(t["visibility"] == "visible" for n, t in tests.items()
               if "hidden" not in n)
    assert rep.gradescope("hidden")["tests"][-1]["visibility"] == "hidden"


# ------------------------------------------------------- reference imports
@pytest.mark.parametrize("imp", [
    "from mbrl_lessons.mdp import greedy_policy as ref, q_from_v",
    "from mbrl_lessons.mdp.dp import q_from_v",
    "import mbrl_lessons.mdp as m\nq_from_v = m.q_from_v",
    "from mbrl_lessons.grading.checks.ch02_mdp import two_state",
])
def test_reference_implementation_cannot_be_imported(imp):
    cheat = imp + """
import numpy as np
from mbrl_lessons.mdp import TabularMDP
def greedy_policy(P, R, gamma, V):
    return q_from_v(TabularMDP(P, R, gamma), V).argmax(axis=1)
"""
    rep = grade_cells([cheat], ["ch02_greedy_policy"])
    assert rep.score == 0, rep.table()
    assert any("not allowed in this exercise" in e for e in rep.load_errors), \
        rep.load_errors


def test_import_inside_the_function_is_refused_with_the_same_message():
    cheat = """
def greedy_policy(P, R, gamma, V):
    from mbrl_lessons.mdp import TabularMDP, q_from_v
    return q_from_v(TabularMDP(P, R, gamma), V).argmax(axis=1)
"""
    rep = grade_cells([cheat], ["ch02_greedy_policy"])
    assert rep.score == 0 and "not allowed in this exercise" in outputs(rep)


def test_other_package_parts_stay_importable():
    ok = GOOD_GREEDY + "from mbrl_lessons.mdp import TabularMDP, value_iteration\n"
    rep = grade_cells([ok], ["ch02_greedy_policy"])
    assert rep.score == 5 and not rep.load_errors, rep.table()


# --------------------------------------------------- fair to correct work
FLOAT32 = {
    "ch02_bellman_backup": """
import numpy as np
def bellman_optimality_backup(P, R, gamma, V):
    P, R, V = (np.asarray(x, np.float32) for x in (P, R, V))
    return (R + np.float32(gamma) * P @ V).max(axis=1)
""",
    "ch02_policy_evaluation": """
import numpy as np
def policy_evaluation(P, R, gamma, pi, tol=1e-8):
    r_pi = (pi * R).sum(1)
    P_pi = np.einsum("sa,sat->st", pi, P)
    V = np.linalg.solve(np.eye(len(r_pi)) - gamma * P_pi, r_pi)
    return V.astype(np.float32)
""",
    "ch02_value_iteration": """
import numpy as np
def value_iteration(P, R, gamma, tol=1e-8):
    V, n = np.zeros(P.shape[0]), 0
    while True:
        V_new = (R + gamma * P @ V).max(axis=1)
        n += 1
        if np.abs(V_new - V).max() < tol:
            return V_new.astype(np.float32), n
        V = V_new
""",
    "ch05_gaussian_nll": """
import numpy as np
def gaussian_nll(mean, var, y):
    mean, var, y = (np.asarray(a, np.float32) for a in (mean, var, y))
    return np.mean(0.5 * (np.log(2 * np.pi * var) + (y - mean) ** 2 / var))
""",
}


@pytest.mark.parametrize("ex_id", sorted(FLOAT32))
def test_float32_code_gets_full_marks(ex_id):
    rep = grade_cells([FLOAT32[ex_id]], [ex_id])
    assert rep.score == rep.max_score, rep.table()


def test_messages_show_the_digits_that_differ_and_no_misleading_hint():
    near = """
import numpy as np
def bellman_optimality_backup(P, R, gamma, V):
    return (R + gamma * P @ V).max(axis=1) + 3e-4
"""
    rep = grade_cells([near], ["ch02_bellman_backup"])
    out = outputs(rep)
    assert rep.score < rep.max_score
    assert "Hint:" not in out and "Close" in out
    # e.g. "expected 18.000000, got 18.000300": the two numbers differ as printed
    import re

    pairs = re.findall(r"expected (\S+), got (\S+?)\.(?:\s|$)", out)
    assert pairs and all(a != b for a, b in pairs), out


def test_ipython_syntax_is_transformed_not_fatal(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in [
        "import numpy as np\nnp.einsum?",
        "%time x = 1\nfiles = !ls\n%matplotlib inline",
        "%%capture\nprint('hidden')",
        GOOD_GREEDY.strip() + "\n\n??greedy_policy",
        "def broken(:\n    pass",
        GOOD_BACKUP.strip(),
    ]]
    path = tmp_path / "magic.ipynb"
    nbformat.write(nb, path)
    rep = grade_path(path, exercise_ids=["ch02_greedy_policy", "ch02_bellman_backup"])
    assert rep.score == rep.max_score == 10, rep.table()
    assert len(rep.load_errors) == 1 and rep.load_errors[0].startswith("cell 5 "), \
        rep.load_errors


def _run_as_notebook(path: Path) -> dict:
    """Execute a notebook's cells the way a kernel does: ``__main__``, sources
    registered in linecache (IPython does this, so inspect.getsource works)."""
    ns = {"__name__": "__main__"}
    old = os.environ.pop("MBRL_LESSONS_GRADING", None)
    os.environ["MBRL_LESSONS_GRADING"] = "1"     # the check() cells: no-ops here
    try:
        for i, src in enumerate(cells_from_notebook(path)):
            name = f"<ipython-input-{i}-{uuid.uuid4().hex[:8]}>"
            linecache.cache[name] = (len(src), None, src.splitlines(True), name)
            exec(compile(src, name, "exec"), ns)
    finally:
        os.environ.pop("MBRL_LESSONS_GRADING")
        if old is not None:
            os.environ["MBRL_LESSONS_GRADING"] = old
    return ns


def test_in_notebook_check_grades_what_the_cli_grades(tmp_path, capsys):
    src = tmp_path / "mine.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in [
        "import numpy as np\nfrom numpy import zeros as _zeros\nGAMMA_FLOOR = 0.0\n"
        "from os import environ",
        "class _Helper:\n    @staticmethod\n    def q(P, R, gamma, V):\n"
        "        return R + max(gamma, GAMMA_FLOOR) * P @ V",
        "def _argmax(Q):\n    return Q.argmax(axis=1)",
        "def greedy_policy(P, R, gamma, V):\n"
        "    return _argmax(_Helper.q(P, R, gamma, V))",
    ]]
    nbformat.write(nb, src)
    ns = _run_as_notebook(src)
    in_nb = check("ch02_greedy_policy", ns)
    cli = grade_path(src, exercise_ids=["ch02_greedy_policy"])
    assert in_nb.score == cli.score == 5, (in_nb.table(), cli.table())
    assert not in_nb.load_errors, in_nb.load_errors     # everything was carried over


def test_in_notebook_check_matches_cli_on_a_solution_notebook(capsys):
    path = ROOT / "solutions" / "ch02_mdp.ipynb"
    ns = _run_as_notebook(path)
    for ex_id in ("ch02_value_iteration", "ch02_greedy_policy"):
        assert check(ex_id, ns).score == ex(grade_path(path, exercise_ids=[ex_id]),
                                            ex_id).score


# ------------------------------------------------- per-exercise isolation
@pytest.mark.parametrize("body, says", [
    ("import os\n    os._exit(7)", "ended the grading process"),
    ("import sys\n    sys.exit(0)", "SystemExit"),
    ("while True:\n        try:\n            pass\n        except BaseException:\n"
     "            pass", "stopped after"),
    ("raise KeyboardInterrupt", "KeyboardInterrupt"),
])
def test_one_bad_exercise_costs_only_that_exercise(body, says):
    code = GOOD_BACKUP + f"\ndef greedy_policy(P, R, gamma, V):\n    {body}\n"
    rep = grade_cells([code], ["ch02_greedy_policy", "ch02_bellman_backup"])
    bad, good = ex(rep, "ch02_greedy_policy"), ex(rep, "ch02_bellman_backup")
    assert bad.score == 0 and good.score == 5, rep.table()
    assert says in (bad.error + " " + " ".join(c.output for c in bad.checks))


def test_a_cell_that_exits_or_hangs_costs_only_that_cell():
    cells = ["import os\nos._exit(1)",
             "while True:\n    try:\n        pass\n    except BaseException:\n"
             "        pass",
             GOOD_GREEDY]
    rep = grade_cells(cells, ["ch02_greedy_policy"], limits=Limits(cell=1.5))
    assert rep.score == 5, rep.table()
    assert [e.split()[1] for e in rep.load_errors] == ["1", "2"], rep.load_errors


@pytest.mark.skipif(not LINUX, reason="RLIMIT_AS is not enforced on macOS")
def test_memory_is_limited_per_submission():
    hog = "import numpy as np\nbig = np.ones(2 ** 31)   # 16 GiB"
    rep = grade_cells([hog, GOOD_GREEDY], ["ch02_greedy_policy"],
                      limits=Limits(memory=2 * 2 ** 30))
    assert rep.score == 5, rep.table()
    assert "MemoryError" in rep.load_errors[0], rep.load_errors


@pytest.mark.skipif(not LINUX, reason="the warden counts processes in /proc")
def test_a_fork_storm_is_stopped_and_costs_only_its_cell():
    storm = ("import os, time\n"
             "for _ in range(200):\n"
             "    if os.fork() == 0:\n"
             "        time.sleep(60)\n"
             "        os._exit(0)\n"
             "time.sleep(5)")
    rep = grade_cells([storm, GOOD_GREEDY], ["ch02_greedy_policy"],
                      limits=Limits(nproc=20))
    assert rep.score == 5, rep.table()
    assert "more than 20 processes" in rep.load_errors[0], rep.load_errors


def test_many_legal_slow_cells_each_get_the_cell_limit():
    slow = "import time\ntime.sleep(1.0)"
    rep = grade_cells([slow] * 6 + [GOOD_GREEDY], ["ch02_greedy_policy"],
                      limits=Limits(cell=2.0))
    assert rep.score == 5 and not rep.load_errors, rep.table()


# ----------------------------------------------------------- bad files
BAD_FILES = {
    "ch02_mdp.ipynb": b"{not json",
    "ch02_mdp_empty.ipynb": b"",
}


def _latin1_notebook(path: Path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("# café, naïve, straße\n" + GOOD_GREEDY)]
    path.write_bytes(nbformat.writes(nb).encode("latin-1"))


@pytest.mark.parametrize("kind", ["not-json", "empty", "latin-1", "stderr-bytes"])
def test_every_file_gives_a_valid_results_json(tmp_path, kind, capsys):
    path = tmp_path / "ch02_mdp.ipynb"
    if kind == "not-json":
        path.write_bytes(b"{not json \xff")
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "latin-1":
        _latin1_notebook(path)
    else:
        path = tmp_path / "ch02_mdp.py"
        path.write_text(GOOD_GREEDY
                        + "import os\nos.write(2, b'\\xff\\xfe bad bytes')\n"
                        "print('\\udcff'.encode('utf-8', 'surrogateescape'))\n"
                        "raise ValueError(b'\\xff\\xfe'.decode('latin-1') * 5000)\n")
    out = tmp_path / "results.json"
    assert grade_main([str(path), "--json", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["max_score"] == 22 and {"score", "tests"} <= set(data)
    assert all({"name", "score", "max_score", "output", "visibility"} <= set(t)
               for t in data["tests"])
    assert all(len(t["output"]) <= 2000 for t in data["tests"])
    assert len(data.get("output", "")) <= 8000
    if kind in ("latin-1", "stderr-bytes"):
        assert data["score"] == 5                         # greedy_policy graded
    else:
        assert data["score"] == 0 and data["output"]       # and says why


def test_cli_exit_codes(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert grade_main([str(tmp_path / "nope.ipynb"), "--json", str(out)]) == 2
    assert json.loads(out.read_text())["score"] == 0
    f = tmp_path / "x.py"
    f.write_text(GOOD_GREEDY)
    assert grade_main([str(f), "--exercise", "ch99_nope", "--json", str(out)]) == 2
    assert grade_main([str(f), "--exercise", "ch02_greedy_policy"]) == 0


def test_gradebook_identity_by_name_stem(tmp_path):
    subs = tmp_path / "subs"
    (subs / "carol").mkdir(parents=True)
    (subs / "carol" / "ch02_mdp.py").write_text(GOOD_GREEDY)
    (subs / "carol.py").write_text(GOOD_BACKUP)
    (subs / "dave.ipynb").write_bytes(b"{broken")
    (subs / "dave.py").write_text(GOOD_GREEDY)
    (subs / "erin").mkdir()
    (subs / "frank.zip").write_bytes(b"PK\x03\x04")
    rows = grade_class(subs, tmp_path / "book.csv")
    by = {r["student"]: r for r in rows}
    assert sorted(by) == ["carol", "dave", "erin", "frank"]
    carol, dave = by["carol"], by["dave"]
    assert carol["ch02_greedy_policy"] == 5 and carol["ch02_bellman_backup"] == 5
    assert "2 entries share the name 'carol'" in carol["notes"]
    assert dave["ch02_greedy_policy"] == 5 and "share the name" in dave["notes"]
    assert by["erin"]["total"] == 0 and "empty folder" in by["erin"]["notes"]
    assert by["frank"]["total"] == 0 and "archive" in by["frank"]["notes"]
    lines = (tmp_path / "book.csv").read_text().splitlines()
    assert len(lines) == 5


# ------------------------------------------------ the three plausible bugs
PLAUSIBLE_BUGS = {
    "ch02_value_iteration": """
import numpy as np
def value_iteration(P, R, gamma, tol=1e-8):
    V, n = np.zeros(P.shape[0]), 0
    while True:
        V_new = (R + gamma * P @ V).max(axis=1)
        if np.abs(V_new - V).max() < tol:
            return V_new, n          # off by one: the last sweep is not counted
        n += 1
        V = V_new
""",
    "ch03_planning_with_model": """
import numpy as np
def plan_with_model(transitions, n_states, n_actions, gamma):
    N = np.zeros((n_states, n_actions, n_states))
    Rs = np.zeros((n_states, n_actions))
    for s, a, r, s2 in transitions:
        N[s, a, s2] += 1
        Rs[s, a] += r
    n = N.sum(-1)
    P = np.where(n[..., None] > 0, N / np.maximum(n, 1)[..., None],
                 np.eye(n_states)[:, None, :])
    R = Rs / np.maximum(n, 1)
    V = np.zeros(n_states)
    for _ in range(2):               # only two sweeps of value iteration
        V = (R + gamma * P @ V).max(axis=1)
    return (R + gamma * P @ V).argmax(axis=1)
""",
    "ch06_plan_gradient": """
import numpy as np
def plan_gradient(actions, s0, alpha, beta, rho):
    a = np.asarray(actions, dtype=float)
    H, s = len(a), s0
    grad = -2 * rho * a
    for t in range(H - 1):           # only the NEXT state's reward: forgets that
        s = alpha * s + beta * a[t]  # a_t also moves every state after it
        grad[t] += -2 * beta * s
    return grad
""",
    "ch06_ps_predecessors": """
def predecessor_priorities(Q, model, predecessors, s, gamma, theta):
    out = []
    for s_bar, a_bar in predecessors.get(s, ()):
        p = model[(s_bar, a_bar)][0] + gamma * Q[s].max() - Q[s_bar, a_bar]   # no abs
        if p > theta:
            out.append((p, s_bar, a_bar))
    return out
""",
}


@pytest.mark.parametrize("ex_id", sorted(PLAUSIBLE_BUGS))
def test_plausible_bugs_lose_points(ex_id):
    rep = grade_cells([PLAUSIBLE_BUGS[ex_id]], [ex_id])
    assert 0 < rep.score < rep.max_score, rep.table()


# ------------------------------------------------------------ Gradescope
def test_gradescope_bundle_grades_a_sample_submission(tmp_path):
    zip_path = build_bundle(tmp_path / "dist", "ch02_mdp", hidden=None)
    root = tmp_path / "autograder"
    with zipfile.ZipFile(zip_path) as zf:
        names = set(zf.namelist())
        zf.extractall(root / "source")
    assert {"setup.sh", "run_autograder", "config.json"} <= names
    (root / "submission").mkdir()
    shutil.copy(ROOT / "exercises" / "ch02_mdp.ipynb", root / "submission")
    (root / "submission" / "extra.py").write_text(GOOD_GREEDY)   # a helper file
    run = root / "source" / "run_autograder"
    run.chmod(0o755)
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), MBRL_GRADER_PYTHON=sys.executable,
               PYTHONPATH=str(ROOT))
    proc = subprocess.run([str(run)], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads((root / "results" / "results.json").read_text())
    assert data["max_score"] == 22
    assert data["score"] == 5        # greedy_policy from extra.py; the stubs score 0
    assert all(t["visibility"] == "visible" for t in data["tests"])
    # an empty submission still gets a valid result, with a note
    shutil.rmtree(root / "submission")
    (root / "submission").mkdir()
    subprocess.run([str(run)], env=env, capture_output=True, timeout=300, check=True)
    data = json.loads((root / "results" / "results.json").read_text())
    assert data["score"] == 0 and data["max_score"] == 22
    assert "nothing to grade" in data["output"]
