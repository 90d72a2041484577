"""MuZero's model as three small networks, and a numpy copy for the search (§7.5).

* representation ``h(o) -> s``: an observation to a hidden state;
* dynamics ``g(s, a) -> (r, s')``: a predicted reward and the next hidden state;
* prediction ``f(s) -> (logits, v)``: a policy prior and a value.

:class:`MuZeroNet` is what training unrolls (torch, batched; :func:`unroll`
and the K-step loss :func:`muzero_losses` are here, beside the networks);
:class:`FrozenModel` is a snapshot of the same weights that the pUCT search
calls one state at a time through an mctx-style ``recurrent_fn``
(:class:`~mbrl_lessons.core.types.RecurrentFn`).  The training loop is
:mod:`mbrl_lessons.algorithms.muzero`; the board-game version
:mod:`mbrl_lessons.algorithms.muzero_games` uses the same networks.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from mbrl_lessons.core.nets import mlp
from mbrl_lessons.core.replay import UnrollBatch
from mbrl_lessons.core.seeding import stream_seed
from mbrl_lessons.core.types import RecurrentOutput


def scale_hidden(s: torch.Tensor) -> torch.Tensor:
    """Min-max scale each hidden state ``[B, D]`` to ``[0, 1]`` (paper, App. G):
    keeps the states the dynamics reads on the same scale as its action input."""
    lo = s.min(-1, keepdim=True).values
    hi = s.max(-1, keepdim=True).values
    return (s - lo) / (hi - lo).clamp_min(1e-5)


class MuZeroNet(nn.Module):
    """``h``, ``g`` and ``f`` as MLPs with one hidden layer each."""

    reward_loss = "mse"
    """How :func:`muzero_losses` scores the reward: squared error (``"bce"``:
    cross-entropy of a predicted probability, for 0/1 rewards)."""

    def __init__(self, obs_dim: int, n_actions: int, latent_dim: int = 32,
                 hidden: int = 64, seed: int = 0) -> None:
        super().__init__()
        self.n_actions, self.latent_dim = n_actions, latent_dim
        # each function's initial weights from its own named stream of ``seed``
        self.representation = mlp(obs_dim, latent_dim, hidden, 1, nn.ELU,
                                  stream_seed(seed, "representation"))
        self.dynamics = mlp(latent_dim + n_actions, latent_dim + 1, hidden, 1,
                            nn.ELU, stream_seed(seed, "dynamics"))
        self.prediction = mlp(latent_dim, n_actions + 1, hidden, 1, nn.ELU,
                              stream_seed(seed, "prediction"))
        # start from a uniform prior, zero values and zero rewards: a random
        # offset in the first search values would live on in the bootstrapped
        # targets, which keep the search values they were stored with
        with torch.no_grad():
            self.prediction[-1].weight.zero_()
            self.prediction[-1].bias.zero_()
            self.dynamics[-1].weight[-1].zero_()
            self.dynamics[-1].bias[-1].zero_()

    def predict(self, s: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``f``: hidden states ``[B, D]`` -> logits ``[B, A]``, values ``[B]``."""
        out = self.prediction(s)
        return out[:, :-1], out[:, -1]

    def initial_inference(self, obs: torch.Tensor):
        """``h`` then ``f``: obs ``[B, O]`` -> (s ``[B, D]``, logits, value)."""
        s = scale_hidden(self.representation(obs))
        return (s, *self.predict(s))

    def recurrent_inference(self, s: torch.Tensor, act: torch.Tensor):
        """``g`` then ``f``: (s ``[B, D]``, act ``[B]`` long) ->
        ``RecurrentOutput`` of reward ``[B]``, s' ``[B, D]``, logits ``[B, A]``,
        value ``[B]``."""
        a = nn.functional.one_hot(act, self.n_actions).to(s.dtype)
        out = self.dynamics(torch.cat([s, a], -1))
        s2 = scale_hidden(out[:, :-1])
        return RecurrentOutput(out[:, -1], s2, *self.predict(s2))


class FrozenModel:
    """A numpy copy of ``h``, ``g`` and ``f`` for the search.

    A search calls the model once per simulation on a single state; in torch
    the call overhead is far larger than the arithmetic, so acting uses a
    snapshot of the weights (taken once per search or episode) in numpy.
    """

    def __init__(self, net: MuZeroNet) -> None:
        def layers(seq: nn.Sequential) -> list[tuple[np.ndarray, np.ndarray]]:
            return [(m.weight.detach().numpy().T.copy(), m.bias.detach().numpy().copy())
                    for m in seq if isinstance(m, nn.Linear)]
        self.h, self.g = layers(net.representation), layers(net.dynamics)
        self.f, self.n_actions = layers(net.prediction), net.n_actions

    @staticmethod
    def _mlp(layers, x: np.ndarray) -> np.ndarray:
        for i, (w, b) in enumerate(layers):
            x = x @ w + b
            if i < len(layers) - 1:
                x = np.where(x > 0, x, np.expm1(np.minimum(x, 0)))  # ELU
        return x

    @staticmethod
    def _scale(s: np.ndarray) -> np.ndarray:
        return (s - s.min()) / max(s.max() - s.min(), 1e-5)

    def values(self, obs: np.ndarray) -> np.ndarray:
        """``f(h(o))``'s value for a batch of observations ``[B, O]`` -> ``[B]``."""
        s = self._mlp(self.h, obs)
        lo, hi = s.min(-1, keepdims=True), s.max(-1, keepdims=True)
        return self._mlp(self.f, (s - lo) / np.maximum(hi - lo, 1e-5))[:, -1]

    def initial(self, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        """obs ``[O]`` -> (hidden state ``[D]``, logits ``[A]``, value)."""
        s = self._scale(self._mlp(self.h, obs))
        out = self._mlp(self.f, s)
        return s, out[:-1], float(out[-1])

    def recurrent(self, s: np.ndarray, action: int) -> RecurrentOutput:
        """An mctx-style ``recurrent_fn``: (state ``[D]``, action) -> reward,
        next state ``[D]``, logits ``[A]``, value (never terminal: the model
        has to learn what an absorbing state looks like)."""
        a = np.zeros(self.n_actions, s.dtype)
        a[action] = 1.0
        out = self._mlp(self.g, np.concatenate([s, a]))
        s2 = self._scale(out[:-1])
        pred = self._mlp(self.f, s2)
        return RecurrentOutput(float(out[-1]), s2, pred[:-1], float(pred[-1]))


__all__ = ["FrozenModel", "MuZeroNet", "scale_hidden"]


# ------------------------------------------------- the K-step unrolled loss


class Unroll(NamedTuple):
    value: torch.Tensor   # [B, K + 1]
    reward: torch.Tensor  # [B, K + 1] (entry 0 is 0)
    logits: torch.Tensor  # [B, K + 1, A]


def unroll(net: MuZeroNet, obs: torch.Tensor, actions: torch.Tensor) -> Unroll:
    """``h`` once, then ``g`` along ``actions [B, K]``, with ``f`` at every step.

    The gradient into each hidden state is halved (paper App. G) so that the
    total gradient through a long unroll stays of the same size.
    """
    if obs.ndim != 2 or actions.ndim != 2 or len(obs) != len(actions):
        raise ValueError(f"unroll needs obs [B, O] and actions [B, K], got "
                         f"{tuple(obs.shape)} and {tuple(actions.shape)}")
    s, logits, v = net.initial_inference(obs)
    values, rewards, all_logits = [v], [torch.zeros_like(v)], [logits]
    for k in range(actions.shape[1]):
        s = 0.5 * s + 0.5 * s.detach()
        step = net.recurrent_inference(s, actions[:, k])
        s = step.next_state
        values.append(step.value)
        rewards.append(step.reward)
        all_logits.append(step.logits)
    return Unroll(torch.stack(values, 1), torch.stack(rewards, 1),
                  torch.stack(all_logits, 1))


def muzero_losses(net: MuZeroNet, batch: UnrollBatch,
                  step_weight: float | None = None) -> torch.Tensor:
    """Value, reward and policy losses ``[3]`` (paper eq. 1), each summed over
    the unroll and averaged over the batch (the reward scored as
    ``net.reward_loss`` says); steps ``k >= 1`` are weighted ``step_weight``
    (``None``: the paper's ``1/K``)."""
    out = unroll(net, batch.obs, batch.actions)
    K = batch.actions.shape[1]
    w = torch.full((K + 1,), 1.0 / K if step_weight is None else step_weight)
    w[0] = 1.0
    w = w * batch.mask
    value = ((out.value - batch.value) ** 2 * w).sum(1).mean()
    if getattr(net, "reward_loss", "mse") == "bce":  # 0/1 rewards, a probability
        err = nn.functional.binary_cross_entropy(
            out.reward[:, 1:], batch.reward[:, 1:], reduction="none")
    else:
        err = (out.reward - batch.reward)[:, 1:] ** 2
    reward = (err * w[:, 1:]).sum(1).mean()
    ce = -(batch.policy * torch.log_softmax(out.logits, -1)).sum(-1)
    policy = (ce * batch.policy_mask * w).sum(1).mean()
    return torch.stack([value, reward, policy])
