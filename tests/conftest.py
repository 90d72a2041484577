"""Shared test settings: FAST budgets and one torch thread per worker."""

import os

os.environ.setdefault("MBRL_LESSONS_FAST", "1")

try:  # keep tests within 2 cores when xdist runs two workers
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover
    pass
