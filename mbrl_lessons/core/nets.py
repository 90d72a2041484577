"""Small torch building blocks."""

from __future__ import annotations

from torch import nn

from mbrl_lessons.core.seeding import torch_seeded


def mlp(in_dim: int, out_dim: int, hidden: int = 200, layers: int = 2,
        activation: type[nn.Module] = nn.SiLU, seed: int = 0) -> nn.Sequential:
    """``layers`` hidden layers of width ``hidden``; weights fixed by ``seed``."""
    if in_dim < 1 or out_dim < 1 or layers < 0:
        raise ValueError("mlp needs positive in/out sizes and layers >= 0")
    with torch_seeded(seed):
        dims = [in_dim] + [hidden] * layers
        mods: list[nn.Module] = []
        for a, b in zip(dims[:-1], dims[1:], strict=True):
            mods += [nn.Linear(a, b), activation()]
        mods.append(nn.Linear(dims[-1], out_dim))
        return nn.Sequential(*mods)
