"""The private channel between the trusted grader and a submission's process.

Messages are length-prefixed JSON frames on a socketpair whose other end is
handed to the submission's process as a file descriptor (never its stdout).
Values travel *by value*: numbers, strings, lists, tuples, dicts, sets,
numeric numpy arrays and torch tensors (raw bytes of a whitelisted dtype,
base64 in JSON).  Nothing is ever unpickled: a value the encoder does not
know becomes an opaque note naming its type.  Inputs that must be live
objects on the submission's side (an environment, a torch model, a callback)
are sent as *fixture specs*, ``{"__fx__": name, ...}``, which the submission's
process builds from :mod:`mbrl_lessons.grading.fixtures`.
"""

from __future__ import annotations

import base64
import json
import math
import select
import socket
import time
from dataclasses import dataclass, field

import numpy as np

MAX_FRAME = 64 * 2 ** 20          # bytes in one message
MAX_DEPTH = 24                    # nesting of lists/dicts in one value
_KINDS = set("biufc")             # numeric and boolean dtypes only


class ChannelClosed(Exception):
    """The other side closed the channel (or died)."""


class ChannelTimeout(Exception):
    """No complete message arrived before the deadline."""


class ProtocolError(Exception):
    """A malformed message: too large, not JSON, or not what was asked for."""


# ------------------------------------------------------------------ frames
def send(sock: socket.socket, obj) -> None:
    data = json.dumps(obj, separators=(",", ":")).encode()
    if len(data) > MAX_FRAME:
        raise ProtocolError(f"message of {len(data)} bytes is too large")
    sock.sendall(len(data).to_bytes(8, "big") + data)


def _read_exact(sock: socket.socket, n: int, deadline: float | None) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChannelTimeout
            ready, _, _ = select.select([sock], [], [], left)
            if not ready:
                raise ChannelTimeout
        try:
            chunk = sock.recv(min(n - len(buf), 1 << 20))
        except (ConnectionResetError, OSError) as err:
            raise ChannelClosed(str(err)) from None
        if not chunk:
            raise ChannelClosed("end of stream")
        buf += chunk
    return bytes(buf)


def recv(sock: socket.socket, deadline: float | None = None):
    n = int.from_bytes(_read_exact(sock, 8, deadline), "big")
    if n > MAX_FRAME:
        raise ProtocolError(f"message of {n} bytes is too large")
    data = _read_exact(sock, n, deadline)
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        raise ProtocolError(f"not a JSON message: {err}") from None


# ------------------------------------------------------------------ values
@dataclass
class Fixture:
    """An input built on the submission's side (see ``fixtures.BUILDERS``).

    ``key`` shares one built object between arguments (``attr`` then picks a
    bound method, e.g. a model's ``encode`` and ``step``)."""

    name: str
    kw: dict = field(default_factory=dict)
    key: str | None = None
    attr: str | None = None

    def encode(self) -> dict:
        return {"__fx__": self.name, "kw": encode(self.kw), "key": self.key,
                "attr": self.attr}


def fx(name: str, key: str | None = None, attr: str | None = None, **kw) -> Fixture:
    return Fixture(name, kw, key, attr)


@dataclass
class RemoteTensor:
    """A torch tensor that came back from the submission, by value."""

    array: np.ndarray
    requires_grad: bool
    has_grad_fn: bool

    def numel(self) -> int:
        return int(self.array.size)

    @property
    def shape(self):
        return self.array.shape

    def __float__(self):
        return float(self.array.reshape(-1)[0]) if self.array.size == 1 else \
            float(self.array)

    def __array__(self, dtype=None, copy=None):
        return self.array if dtype is None else self.array.astype(dtype)


@dataclass
class Opaque:
    """A value the channel cannot carry (only its type's name comes back)."""

    type_name: str

    def __repr__(self) -> str:
        return f"<a {self.type_name} object>"


def _array_payload(arr: np.ndarray) -> list:
    arr = np.array(arr, order="C", copy=True)  # (ascontiguousarray makes 0-d 1-d)
    return [arr.dtype.str, list(arr.shape), base64.b64encode(arr.tobytes()).decode()]


def encode(value, depth: int = 0):
    """A JSON-able, pickle-free description of ``value``."""
    if depth > MAX_DEPTH:
        return {"__opaque__": "deeply nested value"}
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2 ** 63 else {"__opaque__": "huge int"}
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return {"__float__": repr(value)}
    if isinstance(value, Fixture):
        return value.encode()
    if isinstance(value, np.generic) and value.dtype.kind in _KINDS:
        return {"__nd__": _array_payload(np.asarray(value)), "scalar": True}
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in _KINDS:
            return {"__opaque__": f"numpy array of dtype {value.dtype}"}
        return {"__nd__": _array_payload(value)}
    if isinstance(value, RemoteTensor):
        return {"__tensor__": _array_payload(value.array),
                "requires_grad": value.requires_grad}
    if type(value).__module__.startswith("torch") and hasattr(value, "detach") \
            and hasattr(value, "requires_grad"):
        t = value.detach().cpu()
        try:
            arr = t.numpy()
        except (TypeError, RuntimeError):
            arr = t.float().numpy()
        return {"__tensor__": _array_payload(arr),
                "requires_grad": bool(value.requires_grad),
                "grad_fn": value.grad_fn is not None}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, depth + 1) for v in value]}
    if isinstance(value, list):
        return [encode(v, depth + 1) for v in value]
    if isinstance(value, set | frozenset):
        return {"__set__": [encode(v, depth + 1) for v in value]}
    if isinstance(value, dict):
        return {"__dict__": [[encode(k, depth + 1), encode(v, depth + 1)]
                             for k, v in value.items()]}
    return {"__opaque__": type(value).__name__}


def _decode_array(payload) -> np.ndarray:
    if not (isinstance(payload, list) and len(payload) == 3):
        raise ProtocolError("bad array payload")
    dtype_str, shape, data = payload
    dtype = np.dtype(str(dtype_str))
    if dtype.kind not in _KINDS or dtype.itemsize > 16 or dtype.hasobject:
        raise ProtocolError(f"array dtype {dtype} is not allowed")
    if not (isinstance(shape, list) and all(isinstance(s, int) and s >= 0
                                            for s in shape) and len(shape) <= 32):
        raise ProtocolError("bad array shape")
    raw = base64.b64decode(str(data), validate=True)
    if len(raw) != int(np.prod(shape, dtype=np.int64)) * dtype.itemsize:
        raise ProtocolError("array size does not match its shape")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def decode(obj, depth: int = 0, build=None):
    """The inverse of :func:`encode`.  ``build(spec)`` makes fixtures (only the
    submission's side passes one); tensors become torch tensors there and
    :class:`RemoteTensor` here."""
    if depth > MAX_DEPTH:
        raise ProtocolError("value nested too deeply")
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    if isinstance(obj, list):
        return [decode(v, depth + 1, build) for v in obj]
    if not isinstance(obj, dict) or len(obj) == 0:
        raise ProtocolError("unexpected value")
    if "__float__" in obj:
        return float({"inf": "inf", "-inf": "-inf"}.get(obj["__float__"], "nan"))
    if "__nd__" in obj:
        arr = _decode_array(obj["__nd__"])
        return arr[()] if obj.get("scalar") else arr
    if "__tensor__" in obj:
        arr = _decode_array(obj["__tensor__"])
        if build is not None:
            import torch

            t = torch.from_numpy(arr)
            return t.requires_grad_(True) if obj.get("requires_grad") else t
        return RemoteTensor(arr, bool(obj.get("requires_grad")),
                            bool(obj.get("grad_fn")))
    if "__tuple__" in obj:
        return tuple(decode(v, depth + 1, build) for v in obj["__tuple__"])
    if "__set__" in obj:
        return {_hashable(decode(v, depth + 1, build)) for v in obj["__set__"]}
    if "__dict__" in obj:
        return {_hashable(decode(k, depth + 1, build)): decode(v, depth + 1, build)
                for k, v in obj["__dict__"]}
    if "__opaque__" in obj:
        return Opaque(str(obj["__opaque__"])[:80])
    if "__fx__" in obj:
        if build is None:
            raise ProtocolError("a fixture came back from the submission")
        return build(obj)
    raise ProtocolError("unknown value tag")


def _hashable(v):
    if isinstance(v, list):
        return tuple(_hashable(x) for x in v)
    if isinstance(v, np.ndarray):
        return v.tobytes()
    return v
