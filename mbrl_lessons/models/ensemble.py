"""The forward pass and loss shared by the batched Gaussian ensembles of chapter 7.

PETS (``algorithms/pets.py``) and MBPO (``algorithms/mbpo.py``) keep ``E``
members' weights stacked as ``[E, in, out]`` tensors, so one batched matrix
product evaluates every member at once. Both then read a diagonal Gaussian off
the last layer, with the log-variance squashed softly between two bounds
(fixed numbers or learned parameters), and train it with the (beta-weighted)
Gaussian negative log-likelihood of :func:`gaussian_nll`.
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


def gaussian_nll(mean: torch.Tensor, logvar: torch.Tensor, target: torch.Tensor,
                 beta: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Gaussian negative log-likelihood (up to a constant) of ``target`` under
    ``N(mean, exp(logvar))``, all ``[E, B, out]``: the mean over rows and
    dimensions, summed over members.  Returns ``(objective, nll)``.

    ``nll`` is the plain NLL.  ``objective`` is what to minimise: the beta-NLL
    of Seitzer et al. 2022, where each element's NLL is weighted by its
    predicted variance to the power ``beta`` with no gradient through the
    weight, ``sigma^(2 beta)``.  ``beta = 0`` is the plain NLL (``objective``
    is then ``nll`` itself)."""
    if not 0.0 <= beta <= 1.0:
        raise ValueError(f"beta must be in [0, 1], got {beta}")
    per_elem = (mean - target) ** 2 * torch.exp(-logvar) + logvar
    nll = per_elem.mean((1, 2)).sum()
    if not beta:
        return nll, nll
    weight = torch.exp(beta * logvar.detach())  # sigma^(2 beta)
    return (weight * per_elem).mean((1, 2)).sum(), nll
