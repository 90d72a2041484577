"""The warden: starts one submission's process inside its limits, and makes
sure nothing it started outlives the grading of that submission.

Run by the trusted grader as ``python -I -S warden.py CONFIG_JSON`` in a new
session (standard library only, so nothing on the submission's side can
shadow it).  It

1. becomes a *child subreaper* (Linux), so any process the submission forks
   and orphans (a daemon, a ``setsid`` escapee) is re-parented to the warden
   rather than to init;
2. forks the worker and, in the child, before ``exec``: a fresh working
   folder; resource limits (CPU seconds, address space, file size, open
   files, processes, no core files); no network (a fresh network namespace
   when run as root); an unprivileged user (when root and the interpreter is
   reachable by one) or else root with every capability dropped;
   ``no_new_privs``; and, where the kernel has Landlock, a file-system
   sandbox: read-only access to the Python installation and the course
   package, read-write to the working folder only, no TCP, no signals to
   processes outside the sandbox;
3. waits until the grader closes its stdin (or dies), then kills the worker
   and every descendant, repeatedly, until none is left, and exits.

It reports the worker's exit status on stdout as one line (``exit N`` or
``signal N``).
"""

import ctypes
import json
import os
import resource
import select
import signal
import sys

PR_SET_NO_NEW_PRIVS = 38
PR_SET_CHILD_SUBREAPER = 36
PR_CAPBSET_DROP = 24
PR_SET_SECUREBITS = 28
CLONE_NEWNET = 0x40000000
_SYS_CREATE, _SYS_ADD, _SYS_RESTRICT = 444, 445, 446  # same on x86-64 and arm64

LINUX = sys.platform.startswith("linux")
_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def _prctl(*args) -> None:
    if LINUX:
        _libc.prctl(*args, *([0] * (5 - len(args))))


def landlock_abi() -> int:
    if not LINUX:
        return 0
    try:
        v = _libc.syscall(_SYS_CREATE, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    except Exception:  # noqa: BLE001 - no such syscall wrapper
        return 0
    return max(int(v), 0)


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64),
                ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


def landlock(read: list, write: list, devnull: bool = True) -> int:
    """Confine this process (and its future children): read-only beneath
    ``read``, read-write beneath ``write``; no TCP; signals scoped."""
    abi = landlock_abi()
    if abi < 1:
        return 0
    EXEC, WFILE, RFILE, RDIR = 1, 2, 4, 8
    fs = (1 << 13) - 1                 # ABI 1: bits 0-12
    if abi >= 2:
        fs |= 1 << 13                  # REFER
    if abi >= 3:
        fs |= 1 << 14                  # TRUNCATE
    attr = _RulesetAttr(fs, 3 if abi >= 4 else 0, 3 if abi >= 6 else 0)
    size = 8 if abi < 4 else (16 if abi < 6 else 24)
    rfd = _libc.syscall(_SYS_CREATE, ctypes.byref(attr), ctypes.c_size_t(size),
                        ctypes.c_uint32(0))
    if rfd < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset")

    def allow(path, access_dir, access_file):
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            return
        try:
            is_dir = os.path.isdir(path)
            rule = _PathBeneath(access_dir if is_dir else access_file, fd)
            if _libc.syscall(_SYS_ADD, ctypes.c_int(rfd), ctypes.c_int(1),
                             ctypes.byref(rule), ctypes.c_uint32(0)) < 0:
                raise OSError(ctypes.get_errno(), f"landlock_add_rule {path}")
        finally:
            os.close(fd)

    for p in read:
        if isinstance(p, list):          # [path, "dir-only"]: list it, read nothing
            allow(p[0], RDIR, 0)
        else:
            allow(p, EXEC | RFILE | RDIR, EXEC | RFILE)
    for p in write:
        allow(p, fs, EXEC | WFILE | RFILE | (1 << 14 if abi >= 3 else 0))
    if devnull:
        allow("/dev/null", 0, WFILE | RFILE)
    if _libc.syscall(_SYS_RESTRICT, ctypes.c_int(rfd), ctypes.c_uint32(0)) < 0:
        raise OSError(ctypes.get_errno(), "landlock_restrict_self")
    os.close(rfd)
    return abi


def _drop_capabilities() -> None:
    # SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP(+LOCKED)
    _prctl(PR_SET_SECUREBITS, 0x0F)
    for cap in range(64):
        _prctl(PR_CAPBSET_DROP, cap)

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    data = (Data * 2)()
    if _libc.capset(ctypes.byref(Header(0x20080522, 0)), data) != 0:
        raise OSError(ctypes.get_errno(), "capset")


def _child(cfg: dict) -> None:
    log = os.open(cfg["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC,
                  0o600)
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    root = os.geteuid() == 0
    if root and LINUX and cfg.get("netns", True):
        _libc.unshare(CLONE_NEWNET)   # an empty network namespace: no network
    lim = cfg["limits"]
    for name, value in (("RLIMIT_CPU", lim.get("cpu")),
                        ("RLIMIT_AS", lim.get("memory")),
                        ("RLIMIT_FSIZE", lim.get("fsize")),
                        ("RLIMIT_NOFILE", lim.get("nofile")),
                        ("RLIMIT_NPROC", lim.get("nproc")), ("RLIMIT_CORE", 0)):
        if value is not None and hasattr(resource, name):
            hard = value + 5 if name == "RLIMIT_CPU" else value
            resource.setrlimit(getattr(resource, name), (value, hard))
    os.chdir(cfg["cwd"])
    if root and cfg.get("uid") is not None:
        os.setgroups([])
        os.setgid(cfg["gid"])
        os.setuid(cfg["uid"])
    elif root and LINUX:
        _drop_capabilities()
    _prctl(PR_SET_NO_NEW_PRIVS, 1)
    if cfg.get("landlock"):
        landlock(cfg["read"], [cfg["cwd"]])
    os.execve(cfg["argv"][0], cfg["argv"], cfg["env"])


def _children(me: int, uid=None) -> list[int]:
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == me:
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                stat = fh.read()
            ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
            if ppid == me:
                out.append(int(name))
            elif uid is not None and os.stat(f"/proc/{name}").st_uid == uid:
                out.append(int(name))
        except (OSError, ValueError):
            continue
    return out


def _descendants(me: int) -> list[int]:
    """Every process below ``me`` (orphans are re-parented to us: subreaper)."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                stat = fh.read()
            ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        except (OSError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(name))
    out, todo = [], [me]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def _reap() -> dict:
    """Collect finished children: {pid: wait status}."""
    done = {}
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return done
        if pid == 0:
            return done
        done[pid] = status


def cleanup(uid=None, worker=None) -> None:
    """Kill every descendant (and, with a private uid, every process of it).
    Without /proc (macOS) only the worker is killed here; the grader then kills
    the whole process group."""
    if not LINUX:
        if worker is not None:
            try:
                os.kill(worker, signal.SIGKILL)
            except OSError:
                pass
        _reap()
        return
    me, quiet = os.getpid(), 0
    for _ in range(200):
        pids = _children(me, uid)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        _reap()
        quiet = quiet + 1 if not pids else 0
        if quiet >= 3:
            return
        select.select([], [], [], 0.01)


def main() -> None:
    cfg = json.loads(sys.argv[1])
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    uid = cfg.get("uid") if os.geteuid() == 0 else None
    pid = os.fork()
    if pid == 0:
        try:
            _child(cfg)
        except BaseException as err:  # noqa: BLE001
            os.write(2, f"warden: could not start the worker: {err}\n".encode())
        os._exit(127)
    signal.signal(signal.SIGTERM, lambda *a: (cleanup(uid, pid), os._exit(0)))
    if cfg.get("fd") is not None:
        os.close(cfg["fd"])      # only the worker holds the channel: EOF when it dies
    reported = False
    cap = cfg["limits"].get("processes")
    while True:
        ready, _, _ = select.select([0], [], [], 0.1)
        if ready and not os.read(0, 4096):
            break                                  # the grader is done (or died)
        if cap and LINUX and not reported and len(_descendants(os.getpid())) > cap:
            os.write(1, b"processes %d\n" % cap)   # too many: end them all
            reported = True
            cleanup(uid, pid)
        done = _reap()
        if not reported and pid in done:
            reported, status = True, done[pid]
            line = (f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status)
                    else f"exit {os.WEXITSTATUS(status)}")
            os.write(1, (line + "\n").encode())
    cleanup(uid, pid)


if __name__ == "__main__":
    main()
