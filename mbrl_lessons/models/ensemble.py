"""The forward pass shared by the batched Gaussian ensembles of chapter 7.

PETS (``algorithms/pets.py``) and MBPO (``algorithms/mbpo.py``) keep ``E``
members' weights stacked as ``[E, in, out]`` tensors, so one batched matrix
product evaluates every member at once. Both then read a diagonal Gaussian off
the last layer, with the log-variance squashed softly between two bounds
(fixed numbers or learned parameters).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


def batched_gaussian_forward(h: torch.Tensor, weights: Sequence[torch.Tensor],
                             biases: Sequence[torch.Tensor], out_dim: int,
                             min_logvar: torch.Tensor | float,
                             max_logvar: torch.Tensor | float,
                             ) -> tuple[torch.Tensor, torch.Tensor]:
    """``h [E, B, in]`` through SiLU layers ``weights[i] [E, a, b]``,
    ``biases[i] [E, 1, b]`` -> ``mean, logvar [E, B, out_dim]``.

    The last layer outputs ``2 * out_dim`` numbers: the mean and a raw
    log-variance, which is bounded softly,
    ``max - softplus(max - raw)`` then ``min + softplus(. - min)``.
    """
    for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
        h = torch.baddbmm(b, h, w)
        if i < len(weights) - 1:
            h = nn.functional.silu(h)
    mean, raw = h.split(out_dim, dim=-1)
    logvar = max_logvar - nn.functional.softplus(max_logvar - raw)
    logvar = min_logvar + nn.functional.softplus(logvar - min_logvar)
    return mean, logvar
