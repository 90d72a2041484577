"""Shared test settings: FAST budgets and one torch thread per worker."""

import os

os.environ.setdefault("MBRL_LESSONS_FAST", "1")

try:  # keep tests within 2 cores when xdist runs two workers
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover
    pass


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def ray_local():
    """A local Ray with 2 CPUs for the sweep tests, shut down at the end.

    Its address is returned, so a subprocess can join it through
    ``RAY_ADDRESS`` instead of paying for a Ray of its own.
    """
    ray = pytest.importorskip("ray")
    from mbrl_lessons.sweep import ensure_ray

    started = not ray.is_initialized()
    os.environ.pop("RAY_ADDRESS", None)
    ensure_ray(num_cpus=2)
    yield ray.get_runtime_context().gcs_address
    if started:
        ray.shutdown()
