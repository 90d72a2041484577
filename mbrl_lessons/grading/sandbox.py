"""The trusted side of the process split: start, talk to and end the process
that runs one submission.

:class:`Session` starts the warden (see :mod:`mbrl_lessons.grading.warden`),
which starts the worker (:mod:`mbrl_lessons.grading.worker`) inside its
limits; the two ends of a private socketpair carry requests and return values
by value.  :class:`Submission` runs a submission's cells in a session, one
cell at a time with its own time limit, and starts a fresh session (replaying
the cells that worked) whenever the process dies or stops answering, so one
bad cell or one exercise that kills the process costs only that cell or that
exercise.

What the isolation gives, by platform (see ``book/instructors.md``):

- Linux as root: a private unprivileged uid per concurrent worker when the
  Python interpreter is reachable by one, else uid 0 with every capability
  dropped; an empty network namespace; Landlock (kernel >= 5.13) confines
  files to a read-only view of Python and the package plus the worker's own
  temporary folder, blocks TCP (kernel >= 6.7) and signals outside the
  sandbox (kernel >= 6.12).
- Linux as a normal user: Landlock as above, rlimits, the process group and
  subreaper clean-up.
- macOS and other POSIX: rlimits, a fresh temporary folder, ``python -I``,
  the import guard, killing the process group; no file-system sandbox (grade
  a class in a container there).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from mbrl_lessons.grading import wire
from mbrl_lessons.grading.worker import BOOT

PACKAGE_DIR = Path(__file__).resolve().parents[1]          # .../mbrl_lessons
PACKAGE_ROOT = PACKAGE_DIR.parent                           # what goes on sys.path
WARDEN = Path(__file__).resolve().with_name("warden.py")
CELL_LIMIT = 30.0          # seconds a single notebook cell may run
UID_BASE = 61000           # private uids for workers when the grader is root


@dataclass
class Limits:
    """Per-submission process limits (the defaults suit every exercise)."""

    cell: float = CELL_LIMIT          # wall seconds per cell
    grace: float = 3.0                # after a limit, before the process is killed
    memory: int = 4 * 2 ** 30         # address space, bytes
    fsize: int = 64 * 2 ** 20         # largest file the submission may write
    nofile: int = 256
    nproc: int = 64                   # processes (RLIMIT_NPROC in private-uid
                                      # mode, else counted by the warden)
    startup: float = 60.0             # starting Python, numpy (and torch)
    max_restarts: int = 8


class WorkerDied(Exception):
    """The submission's process ended (``why`` says how)."""


class WorkerTimeout(Exception):
    """The submission's process did not answer in time and was killed."""


# ------------------------------------------------------------- isolation
_uid_lock = threading.Lock()
_uids_in_use: set[int] = set()


@functools.lru_cache(maxsize=1)
def isolation() -> dict:
    """What this platform gives a worker (probed once)."""
    info = {"platform": sys.platform, "root": False, "uid_mode": False,
            "landlock": 0, "netns": False}
    if not sys.platform.startswith("linux"):
        return info
    from mbrl_lessons.grading.warden import landlock_abi

    info["landlock"] = landlock_abi()
    info["root"] = os.geteuid() == 0
    info["netns"] = info["root"]
    if info["root"] and not os.environ.get("MBRL_LESSONS_GRADER_NO_UID"):
        try:
            probe = subprocess.run(
                [sys.executable, "-I", "-c",
                 f"import sys; sys.path.insert(0, {str(PACKAGE_ROOT)!r}); "
                 "import numpy, mbrl_lessons"],
                user=UID_BASE, group=UID_BASE, extra_groups=[], cwd="/",
                capture_output=True, timeout=60)
            info["uid_mode"] = probe.returncode == 0
        except (OSError, subprocess.SubprocessError):
            info["uid_mode"] = False
    return info


def _read_paths() -> list:
    """What a worker may read: the Python installation, the package, system
    libraries; the package's parent only as a listing (for the import)."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, str(PACKAGE_DIR)}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        p = sysconfig.get_paths().get(key)
        if p:
            paths.add(p)
    paths |= {p for p in sys.path if p.endswith(("site-packages", "dist-packages"))}
    for p in ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/etc", "/proc", "/sys",
              "/dev/urandom", "/dev/zero", "/opt/conda"):
        paths.add(p)
    real = sorted({os.path.realpath(p) for p in paths if os.path.exists(p)})
    return real + sorted({p for p in paths if os.path.islink(p) and os.path.exists(p)}
                         ) + [[str(PACKAGE_ROOT), "dir-only"]]


# ---------------------------------------------------------------- session
class Session:
    """One worker process and its warden."""

    def __init__(self, limits: Limits, forbidden: dict[str, str], torch: bool,
                 cpu_seconds: int):
        self.limits, self.forbidden, self.torch = limits, forbidden, torch
        self.cpu_seconds = int(cpu_seconds)
        self.proc = None
        self.sock = None
        self.tmp = None
        self.uid = None
        self._next = 0

    def start(self) -> None:
        info = isolation()
        self.tmp = tempfile.mkdtemp(prefix="mbrl-grade-")
        os.chmod(self.tmp, 0o700)
        if info["uid_mode"]:
            with _uid_lock:
                self.uid = next(UID_BASE + i for i in range(1, 10_000)
                                if UID_BASE + i not in _uids_in_use)
                _uids_in_use.add(self.uid)
            os.chown(self.tmp, self.uid, self.uid)
        parent, child = socket.socketpair()
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": self.tmp,
               "TMPDIR": self.tmp, "MPLCONFIGDIR": self.tmp, "MPLBACKEND": "Agg",
               "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "OPENBLAS_NUM_THREADS": "1", "PYTHONHASHSEED": "0",
               "PYTHONIOENCODING": "utf-8", "LANG": "C.UTF-8",
               "MBRL_LESSONS_GRADING": "1", "PYTHONDONTWRITEBYTECODE": "1"}
        if os.environ.get("MBRL_LESSONS_FAST"):
            env["MBRL_LESSONS_FAST"] = os.environ["MBRL_LESSONS_FAST"]
        lim = self.limits
        cfg = {"argv": [sys.executable, "-I", "-c", BOOT, str(PACKAGE_ROOT),
                        str(child.fileno())],
               "fd": child.fileno(), "env": env, "cwd": self.tmp,
               "log": os.path.join(self.tmp, ".log"),
               "limits": {"cpu": self.cpu_seconds, "memory": lim.memory,
                          "fsize": lim.fsize, "nofile": lim.nofile,
                          "nproc": lim.nproc if self.uid else None,
                          "processes": lim.nproc},
               "uid": self.uid, "gid": self.uid, "netns": info["netns"],
               "landlock": bool(info["landlock"]), "read": _read_paths()}
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-S", str(WARDEN), json.dumps(cfg)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL, pass_fds=(child.fileno(),),
                start_new_session=True, cwd=self.tmp)
        finally:
            child.close()
        self.sock = parent
        wire.send(self.sock, {"op": "setup", "forbidden": self.forbidden,
                              "torch": self.torch})
        reply = self._recv("setup", time.monotonic() + lim.startup)
        if not reply.get("ok"):
            raise WorkerDied("the grading process could not start")

    def _recv(self, want_id, deadline):
        while True:
            try:
                reply = wire.recv(self.sock, deadline)
            except wire.ChannelTimeout:
                self.kill()
                raise WorkerTimeout from None
            except (wire.ChannelClosed, wire.ProtocolError) as err:
                why = self.exit_reason()
                self.kill()
                raise WorkerDied(why or str(err)) from None
            if isinstance(reply, dict) and reply.get("id") == want_id:
                return reply
            # anything else was written into the channel by submission code: skip

    def ask(self, msg: dict, seconds: float) -> dict:
        self._next += 1
        msg = dict(msg, id=self._next)
        try:
            wire.send(self.sock, msg)
        except OSError:
            why = self.exit_reason()
            self.kill()
            raise WorkerDied(why or "the grading process is gone") from None
        return self._recv(self._next, time.monotonic() + seconds + self.limits.grace)

    def exit_reason(self) -> str:
        """How the worker ended, from the warden (``""`` if unknown)."""
        if self.proc is None:
            return ""
        import select

        line = b""
        ready, _, _ = select.select([self.proc.stdout], [], [], 2.0)
        if ready:
            line = self.proc.stdout.readline()
        words = line.decode(errors="replace").split()
        if len(words) != 2 or not words[1].lstrip("-").isdigit():
            return ""
        code = int(words[1])
        if words[0] == "processes":
            return f"it started more than {code} processes"
        if words[0] == "signal":
            if code == signal.SIGXCPU:
                return "it used up its CPU-time limit"
            return f"it was killed by signal {code}"
        return f"it exited with code {code}"

    def log_tail(self, n: int = 400) -> str:
        try:
            with open(os.path.join(self.tmp, ".log"), "rb") as fh:
                fh.seek(0, 2)
                fh.seek(max(0, fh.tell() - n))
                return fh.read().decode("utf-8", errors="replace")
        except OSError:
            return ""

    def kill(self) -> None:
        """End the worker and everything it started, then remove its folder."""
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
            self.sock = None
        if self.proc is not None:
            try:
                self.proc.stdin.close()        # the warden kills every descendant
            except OSError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            if self.proc.stdout:
                self.proc.stdout.close()
            self.proc = None
        if self.uid is not None:
            with _uid_lock:
                _uids_in_use.discard(self.uid)
            self.uid = None
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def close(self) -> None:
        if self.sock is not None:
            try:
                wire.send(self.sock, {"op": "quit"})
            except OSError:
                pass
        self.kill()


# ------------------------------------------------------------- submission
class Submission:
    """A submission's cells, run in a session that is restarted on demand."""

    def __init__(self, cells: list[str], *, data: dict | None = None,
                 forbidden: dict[str, str] | None = None, limits: Limits | None = None,
                 torch: bool = False, cpu_seconds: int = 600):
        self.cells = cells
        self.data = data or {}
        self.forbidden = forbidden or {}
        self.limits = limits or Limits()
        self.torch = torch
        self.cpu_seconds = cpu_seconds
        self.session: Session | None = None
        self.skip: set[int] = set()
        self.load_errors: list[str] = []
        self.restarts = 0
        self.printed = ""
        self.broken = ""         # set when the process cannot be (re)started

    def _new_session(self):
        self.session = Session(self.limits, self.forbidden, self.torch,
                               self.cpu_seconds)
        self.session.start()

    def ensure(self) -> None:
        """A live session with every good cell run (once per restart)."""
        if self.session is not None or self.broken:
            if self.broken:
                raise WorkerDied(self.broken)
            return
        first = self.restarts == 0
        if not first and self.restarts > self.limits.max_restarts:
            self.broken = ("the grading process was restarted too often; the "
                           "remaining checks were not run")
            raise WorkerDied(self.broken)
        self.restarts += 1
        try:
            self._new_session()
        except (WorkerDied, WorkerTimeout, OSError) as err:
            self.session = None
            self.broken = f"the grading process could not start ({err or 'timeout'})"
            raise WorkerDied(self.broken) from None
        if self.data:
            self.session.ask({"op": "data", "values": self.data}, self.limits.cell)
        i = 0
        while i < len(self.cells):
            if i in self.skip:
                i += 1
                continue
            try:
                reply = self.session.ask({"op": "cell", "i": i, "src": self.cells[i],
                                          "limit": self.limits.cell}, self.limits.cell)
            except WorkerTimeout:
                self._note(first, i, f"cell {i + 1} did not stop within "
                           f"{self.limits.cell:g} s and was skipped (an infinite "
                           "loop that swallows the interruption?)")
                self.skip.add(i)
                self.session = None
                return self.ensure()
            except WorkerDied as err:
                self._note(first, i, f"cell {i + 1} ended the grading process ({err}) "
                           "and was skipped")
                self.skip.add(i)
                self.session = None
                return self.ensure()
            if first:
                self.printed = (self.printed + reply.get("printed", ""))[-4000:]
            if "syntax" in reply:
                self._note(first, i, f"cell {i + 1} could not run: {reply['syntax']}")
                self.skip.add(i)
            elif reply.get("timeout"):
                self._note(first, i, f"cell {i + 1} did not finish within "
                           f"{self.limits.cell:g} s and was stopped (an infinite "
                           "loop, or too much work for one cell)")
            elif "raised" in reply:
                why = format_error(reply["raised"])
                self._note(first, i, f"cell {i + 1} raised {why}")
            i += 1

    def _note(self, first: bool, i: int, msg: str) -> None:
        if msg not in self.load_errors:
            self.load_errors.append(msg)

    def ask(self, msg: dict, seconds: float) -> dict:
        self.ensure()
        try:
            return self.session.ask(msg, seconds)
        except (WorkerDied, WorkerTimeout):
            self.session = None
            raise

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None


def format_error(err: dict) -> str:
    where = f" ({err.get('where')})" if err.get("where") else ""
    return f"{err.get('type', 'Exception')}: {err.get('msg', '')}{where}"
