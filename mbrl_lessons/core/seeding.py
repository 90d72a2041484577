"""Explicit randomness.

No function in this package touches a global RNG: stochastic code takes an
``np.random.Generator`` (numpy) or a ``torch.Generator`` / seed (torch).  These
helpers make them from an integer seed so that the same seed gives the same
numbers, in the book and in the tests.
"""

from __future__ import annotations

import contextlib
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
