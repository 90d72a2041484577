"""The untrusted side: the process that runs a submission's code.

It holds no checks, no reference answers and no scores.  It runs the
submission's cells when asked, calls the submission's functions on inputs the
trusted grader sends (by value, or built from a fixture spec), and sends the
return values back by value over its private channel (a socket file
descriptor, never stdout).  Whatever the submission prints, patches or
writes here, the score is computed elsewhere from those return values alone.

It is started by :mod:`mbrl_lessons.grading.warden` (which applies the
process limits) as ``python -I -c BOOT <package root> <fd>``; ``-I`` keeps the
working folder and ``PYTHONPATH`` off ``sys.path``, so a planted
``numpy.py`` is never imported.

While grading, the reference implementation of the exercises under test and
the grader's own check modules cannot be imported: the import raises an
``ImportError`` saying it is not allowed in this exercise (see
:func:`install_guard`).
"""

from __future__ import annotations

import builtins
import importlib.machinery
import io
import os
import signal
import socket
import sys
import traceback
import types

BOOT = ("import sys; sys.path.insert(0, sys.argv[1]); "
        "from mbrl_lessons.grading.worker import main; main(int(sys.argv[2]))")
PRINT_CAP = 4000
_CHECKS_PKG = "mbrl_lessons.grading.checks"


class GradingTimeout(BaseException):
    """Raised by the alarm when submission code runs past its time limit."""


def _on_alarm(signum, frame):
    raise GradingTimeout


class _Capped(io.TextIOBase):
    """A stdout/stderr replacement that keeps the last few thousand characters."""

    def __init__(self):
        self.buf = ""

    def writable(self):
        return True

    def write(self, s):
        self.buf = (self.buf + str(s))[-PRINT_CAP:]
        return len(s)


# --------------------------------------------------------- import policy
_BLOCKED: dict[int, dict[str, str]] = {}   # id(module) -> {attr: public name}
_FORBIDDEN: dict[str, str] = {}            # "module.qualname" -> public name


def _internal(frame) -> bool:
    name = frame.f_globals.get("__name__", "") if frame is not None else ""
    return name.startswith("mbrl_lessons.") or name.startswith("importlib")


class _GuardedModule(types.ModuleType):
    def __getattribute__(self, name):
        blocked = _BLOCKED.get(id(self))
        if blocked and name in blocked and not _internal(sys._getframe(1)):
            raise ImportError(
                f"{blocked[name]} is not allowed in this exercise: it is the course "
                "package's reference implementation of what you are asked to write. "
                "Write it yourself (numpy, torch, math and the standard library are "
                "fine).")
        return super().__getattribute__(name)


def _guard(module) -> None:
    names = {}
    for attr, value in list(vars(module).items()):
        key = f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', '')}"
        if key in _FORBIDDEN:
            names[attr] = _FORBIDDEN[key]
    if names:
        _BLOCKED[id(module)] = names
        try:
            module.__class__ = _GuardedModule
        except TypeError:
            pass


class _GuardLoader:
    def __init__(self, inner):
        self._inner = inner

    def create_module(self, spec):
        return self._inner.create_module(spec)

    def exec_module(self, module):
        self._inner.exec_module(module)
        _guard(module)

    def __getattr__(self, name):
        return getattr(self._inner, name)


class _GuardFinder:
    """First on ``sys.meta_path``: refuses the check modules, and guards every
    ``mbrl_lessons`` module as it is loaded."""

    @staticmethod
    def find_spec(fullname, path=None, target=None):
        if fullname == _CHECKS_PKG or fullname.startswith(_CHECKS_PKG + "."):
            raise ImportError(f"{fullname} is not allowed in this exercise: the "
                              "grader's checks cannot be imported while grading")
        if not fullname.startswith("mbrl_lessons"):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _GuardLoader(spec.loader)
        return spec


def install_guard(forbidden: dict[str, str], package_dir: str) -> None:
    """Block ``forbidden`` (canonical ``module.qualname`` -> public name) and
    the check modules; refuse writes into the installed package."""
    _FORBIDDEN.update(forbidden)
    for name in [m for m in sys.modules if m == _CHECKS_PKG
                 or m.startswith(_CHECKS_PKG + ".")]:
        del sys.modules[name]
    sys.meta_path.insert(0, _GuardFinder())
    for name, mod in list(sys.modules.items()):
        if name.startswith("mbrl_lessons") and isinstance(mod, types.ModuleType):
            _guard(mod)
    pkg = os.path.realpath(package_dir) + os.sep

    def audit(event, args):
        if event == "open":
            path, mode, flags = args
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR))
            if writing and isinstance(path, str | bytes):
                p = os.path.realpath(os.fsdecode(path))
                if (p + os.sep).startswith(pkg):
                    raise PermissionError(f"{p}: the course package is read-only "
                                          "while grading")
        elif event in ("os.remove", "os.rename", "os.rmdir", "os.truncate",
                       "os.chmod", "os.utime", "os.symlink", "os.link",
                       "shutil.rmtree", "os.mkdir"):
            for a in args[:2]:
                if isinstance(a, str | bytes):
                    p = os.path.realpath(os.fsdecode(a))
                    if (p + os.sep).startswith(pkg):
                        raise PermissionError(f"{p}: the course package is "
                                              "read-only while grading")

    sys.addaudithook(audit)


# ---------------------------------------------------------- IPython stub
class _IPythonStub:
    """What ``get_ipython()`` returns while grading: magics and shell escapes
    (already turned into calls by IPython's transformer) do nothing."""

    def run_line_magic(self, *args, **kwargs):
        return None

    def run_cell_magic(self, *args, **kwargs):
        return None

    def system(self, *args, **kwargs):
        return None

    def getoutput(self, *args, **kwargs):
        return []

    def __getattr__(self, name):
        return lambda *a, **k: None


_STUB = _IPythonStub()


# -------------------------------------------------------------- running
def describe(err: BaseException) -> dict:
    """``TypeError: ... (cell 4, line 12)``: the learner's frame, not ours."""
    where = ""
    for frame in reversed(traceback.extract_tb(err.__traceback__)):
        if frame.filename.startswith("<cell"):
            where = f"{frame.filename.strip('<>')}, line {frame.lineno}"
            break
    try:
        msg = str(err)
    except BaseException:  # noqa: BLE001 - a learner's __str__ may raise too
        msg = "(no message)"
    return {"type": type(err).__name__[:80], "msg": msg[:600], "where": where}


class Worker:
    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.ns: dict = {"__name__": "__main__", "__builtins__": builtins,
                         "get_ipython": lambda: _STUB}

    def _limited(self, seconds, fn):
        signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, max(float(seconds), 0.01))
        try:
            return fn()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)

    def op_cell(self, req):
        try:
            code = compile(req["src"], f"<cell {req['i'] + 1}>", "exec")
        except (SyntaxError, ValueError) as err:
            return {"syntax": f"{type(err).__name__} at line "
                              f"{getattr(err, 'lineno', '?')}: "
                              f"{getattr(err, 'msg', err)}"[:600]}
        try:
            self._limited(req["limit"], lambda: exec(code, self.ns))
        except GradingTimeout:
            return {"timeout": True}
        except NotImplementedError:
            return {"ok": True}  # an unfinished stub called at top level
        except BaseException as err:  # noqa: BLE001 - learner code raises anything
            return {"raised": describe(err)}
        return {"ok": True}

    def op_data(self, req):
        from mbrl_lessons.grading.wire import decode

        for name, value in req["values"].items():
            self.ns[name] = decode(value, build=self._build_fn({}))
        return {"ok": True}

    def op_defined(self, req):
        return {"callable": [n for n in req["names"] if callable(self.ns.get(n))]}

    def _build_fn(self, cache):
        from mbrl_lessons.grading.fixtures import BUILDERS
        from mbrl_lessons.grading.wire import decode

        def build(spec):
            key = spec.get("key")
            if key is not None and key in cache:
                obj = cache[key]
            else:
                name = spec["__fx__"]
                if name not in BUILDERS:
                    raise ValueError(f"unknown fixture {name!r}")
                kw = decode(spec.get("kw") or {"__dict__": []})
                obj = BUILDERS[name](**kw)
                if key is not None:
                    cache[key] = obj
            attr = spec.get("attr")
            return getattr(obj, attr) if attr else obj

        return build

    def op_call(self, req):
        from mbrl_lessons.grading.wire import decode, encode

        fn = self.ns.get(req["fn"])
        if not callable(fn):
            return {"missing": True}
        cache: dict = {}
        build = self._build_fn(cache)
        args = [decode(a, build=build) for a in req["args"]]
        kwargs = {k: decode(v, build=build) for k, v in req["kwargs"].items()}
        out: dict = {}
        try:
            value = self._limited(req["limit"], lambda: fn(*args, **kwargs))
            if req.get("backward"):
                if not getattr(value, "requires_grad", False):
                    out["no_grad"] = True
                else:
                    self._limited(req["limit"], value.backward)
        except GradingTimeout:
            return {"timeout": True}
        except NotImplementedError:
            return {"not_implemented": True}
        except BaseException as err:  # noqa: BLE001
            return {"raised": describe(err)}
        out["value"] = encode(value)
        if req.get("state"):
            out["state"] = encode({k: o.grader_state() for k, o in cache.items()
                                   if hasattr(o, "grader_state")})
        if req.get("return_args"):
            out["args"] = encode(args)
        return out

    def serve(self):
        from mbrl_lessons.grading import wire

        ops = {"cell": self.op_cell, "call": self.op_call, "data": self.op_data,
               "defined": self.op_defined}
        while True:
            try:
                req = wire.recv(self.sock)
            except wire.ChannelClosed:
                return
            if req.get("op") == "quit":
                return
            sink_out, sink_err = _Capped(), _Capped()
            sys.stdout, sys.stderr = sink_out, sink_err
            try:
                reply = ops[req["op"]](req)
            except GradingTimeout:
                reply = {"timeout": True}
            except BaseException as err:  # noqa: BLE001 - e.g. a learner __del__
                reply = {"raised": describe(err)}
            finally:
                sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
            reply["id"] = req.get("id")
            reply["printed"] = (sink_out.buf + sink_err.buf)[-PRINT_CAP:]
            try:
                wire.send(self.sock, reply)
            except wire.ProtocolError as err:
                wire.send(self.sock, {"id": req.get("id"), "raised": {
                    "type": "ValueError", "msg": f"the result is too large: {err}",
                    "where": ""}})


def main(fd: int) -> None:
    from mbrl_lessons.grading import wire

    sock = socket.socket(fileno=fd)
    setup = wire.recv(sock)
    os.environ["MBRL_LESSONS_GRADING"] = "1"
    import numpy  # noqa: F401  (before the guard: its own imports are trusted)

    if setup.get("torch"):
        import torch

        torch.set_num_threads(1)
    install_guard(setup.get("forbidden", {}), os.path.dirname(
        os.path.dirname(os.path.abspath(__file__))))
    wire.send(sock, {"id": "setup", "ok": True})
    Worker(sock).serve()
    sys.stdout.flush()
    os._exit(0)
