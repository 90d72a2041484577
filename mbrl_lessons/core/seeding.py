"""Explicit randomness.

No function in this package touches a global RNG: stochastic code takes an
``np.random.Generator`` (numpy) or a ``torch.Generator`` / seed (torch).  These
helpers make them from an integer seed so that the same seed gives the same
numbers, in the book and in the tests.
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Iterator

import numpy as np

SeedLike = int | np.random.Generator | None


def make_rng(seed: SeedLike = None) -> np.random.Generator:
    """A numpy Generator from an int seed (or pass a Generator through).

    ``None`` is refused on purpose: an unseeded run is not reproducible.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        raise ValueError(
            "make_rng needs an explicit seed (an int or np.random.Generator); "
            "unseeded randomness is not reproducible."
        )
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"seed must be an int or np.random.Generator, got {seed!r}")
    if seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")
    return np.random.default_rng(int(seed))


def spawn_seeds(rng: np.random.Generator, n: int) -> list[int]:
    """``n`` independent integer seeds drawn from ``rng`` (for sub-components)."""
    return [int(s) for s in rng.integers(0, 2**31 - 1, size=n)]


def _key(name: str | int) -> int:
    """A stable integer for a stream name (``hash`` of a str changes per
    process; crc32 does not)."""
    if isinstance(name, bool) or not isinstance(name, str | int | np.integer):
        raise TypeError(f"a stream name must be a str or a non-negative int, got "
                        f"{name!r}")
    if isinstance(name, str):
        return zlib.crc32(name.encode())
    if name < 0:
        raise ValueError(f"a stream index must be non-negative, got {name}")
    return int(name)


def stream_seed(seed: int, *names: str | int) -> int:
    """The seed of one named stream of randomness inside a run seeded ``seed``.

    ``stream_seed(seed, "eval", ep)`` replaces hand-made offsets such as
    ``seed * 1000 + ep`` or ``seed + ep``: with an offset, run ``seed = 1``
    reuses the random numbers of episode 1 of run ``seed = 0``, so runs that
    are meant to be independent share streams.  Here the names become the
    spawn key of a numpy ``SeedSequence`` with ``seed`` as its entropy, which
    gives statistically independent streams for every ``(seed, names)``;
    the result is a 32-bit int for APIs that take an int (``env.reset``,
    ``torch.Generator.manual_seed``)."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    if not names:
        raise ValueError("stream_seed needs at least one stream name")
    seq = np.random.SeedSequence(int(seed), spawn_key=tuple(_key(n) for n in names))
    return int(seq.generate_state(1, np.uint32)[0])


def stream_rng(seed: int, *names: str | int) -> np.random.Generator:
    """A numpy Generator for the named stream (see :func:`stream_seed`)."""
    return np.random.default_rng(stream_seed(seed, *names))


def torch_generator(seed: int):
    """A CPU ``torch.Generator`` seeded with ``seed``."""
    import torch

    gen = torch.Generator(device="cpu")
    gen.manual_seed(int(seed))
    return gen


@contextlib.contextmanager
def torch_seeded(seed: int) -> Iterator[None]:
    """Run a block (e.g. ``nn.Module`` construction) under a fixed torch seed.

    Layer initialisers in torch draw from the global generator; this forks it,
    seeds the fork, and restores the caller's state afterwards, so building a
    network with the same seed gives the same weights without side effects.
    """
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        yield
