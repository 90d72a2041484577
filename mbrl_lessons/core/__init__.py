"""Shared foundations: seeding, FAST/full budgets, small result types."""

from mbrl_lessons.core.budget import budget, is_fast
from mbrl_lessons.core.seeding import (
    make_rng,
    stream_rng,
    stream_seed,
    torch_generator,
    torch_seeded,
)

__all__ = ["budget", "is_fast", "make_rng", "stream_rng", "stream_seed",
           "torch_generator", "torch_seeded"]
