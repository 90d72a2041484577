"""MuZero's model for board games as small residual conv nets (§7.5).

The MuZero paper's board-game networks keep the hidden state a stack of
planes the size of the board and give the dynamics its move as one more
plane (a one-hot cell, or a whole column for Connect Four's drops); the
representation ``h`` and the dynamics ``g`` are residual conv towers and the
heads read the planes.  A 3x3 filter sees a cell's neighbours, so "this move
completes a line of mine" is a local pattern a conv learns from one example
anywhere on the board, where an MLP over a flat vector has to learn it for
every line separately.

Two more differences from :class:`~mbrl_lessons.models.muzero_net.MuZeroNet`:
the reward, which in a board game is 1 for the winning move and 0 for every
other, is a probability (a sigmoid) trained by cross-entropy
(``reward_loss = "bce"`` in :func:`~mbrl_lessons.models.muzero_net.muzero_losses`);
the value is squashed into ``[-1, 1]`` by a tanh, as AlphaZero's.  Hidden
states are min-max scaled to ``[0, 1]`` as in the paper (App. G).

:class:`FrozenConvModel` is the numpy copy the search calls one state at a
time, as :class:`~mbrl_lessons.models.muzero_net.FrozenModel` is for the MLP.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from mbrl_lessons.core.seeding import torch_seeded
from mbrl_lessons.core.types import RecurrentOutput


def action_planes(board_shape: tuple[int, int], n_actions: int) -> np.ndarray:
    """The dynamics' move input, ``[A, rows * cols]``: a one-hot cell when
    there is a move per cell, the whole column when a move is a column."""
    rows, cols = board_shape
    if n_actions == rows * cols:
        return np.eye(n_actions, dtype=np.float32)
    if n_actions == cols:
        return np.tile(np.eye(cols, dtype=np.float32), (1, rows))
    raise ValueError(f"{n_actions} actions are neither the cells nor the columns "
                     f"of a {rows}x{cols} board")


class Tower(nn.Module):
    """A 3x3 conv to ``channels`` planes, then ``blocks`` residual blocks
    (conv, ReLU, conv, add, ReLU); no normalisation."""

    def __init__(self, in_planes: int, channels: int, blocks: int) -> None:
        super().__init__()
        self.stem = nn.Conv2d(in_planes, channels, 3, padding=1)
        self.blocks = nn.ModuleList(
            nn.ModuleList([nn.Conv2d(channels, channels, 3, padding=1),
                           nn.Conv2d(channels, channels, 3, padding=1)])
            for _ in range(blocks))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.stem(x))
        for c1, c2 in self.blocks:
            x = torch.relu(x + c2(torch.relu(c1(x))))
        return x


def _scale(s: torch.Tensor) -> torch.Tensor:
    """Min-max scale each hidden state ``[B, C, H, W]`` to ``[0, 1]``."""
    flat = s.flatten(1)
    lo = flat.min(-1).values[:, None, None, None]
    hi = flat.max(-1).values[:, None, None, None]
    return (s - lo) / (hi - lo).clamp_min(1e-5)


class ConvMuZeroNet(nn.Module):
    """``h``, ``g`` as residual conv towers over ``channels`` board planes;
    ``f`` and the reward head as one-hidden-layer MLPs on the planes.

    Observations are flat ``[B, planes * rows * cols]`` (the game's
    encoding, plane by plane), as for the MLP net, so the same replay and
    :func:`~mbrl_lessons.models.muzero_net.unroll` serve both."""

    reward_loss = "bce"

    def __init__(self, planes: int, board_shape: tuple[int, int], n_actions: int,
                 channels: int = 16, blocks: int = 1, hidden: int = 64,
                 seed: int = 0) -> None:
        super().__init__()
        if planes < 1 or channels < 1 or blocks < 0 or hidden < 1:
            raise ValueError("ConvMuZeroNet needs planes, channels, hidden >= 1 "
                             "and blocks >= 0")
        self.planes, self.board_shape = planes, tuple(board_shape)
        self.n_actions, self.channels = n_actions, channels
        planes_of_moves = action_planes(self.board_shape, n_actions)
        self.register_buffer("action_planes", torch.as_tensor(planes_of_moves))
        flat = channels * self.board_shape[0] * self.board_shape[1]
        with torch_seeded(seed):
            self.representation = Tower(planes, channels, blocks)
            self.dynamics = Tower(channels + 1, channels, blocks)
            self.reward_head = nn.Sequential(nn.Linear(flat, hidden), nn.ReLU(),
                                             nn.Linear(hidden, 1))
            self.prediction = nn.Sequential(nn.Linear(flat, hidden), nn.ReLU(),
                                            nn.Linear(hidden, n_actions + 1))
        # start from a uniform prior, value 0 and a small reward everywhere
        # (sigmoid(-4) = 0.018): as for the MLP, a random offset in the first
        # search values would live on in the targets
        with torch.no_grad():
            self.prediction[-1].weight.zero_()
            self.prediction[-1].bias.zero_()
            self.reward_head[-1].weight.zero_()
            self.reward_head[-1].bias.fill_(-4.0)

    def predict(self, s: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``f``: hidden states ``[B, C, H, W]`` -> logits ``[B, A]``, values
        ``[B]``."""
        out = self.prediction(s.flatten(1))
        return out[:, :-1], torch.tanh(out[:, -1])

    def initial_inference(self, obs: torch.Tensor):
        """``h`` then ``f``: obs ``[B, O]`` -> (s ``[B, C, H, W]``, logits, value)."""
        x = obs.reshape(len(obs), self.planes, *self.board_shape)
        s = _scale(self.representation(x))
        return (s, *self.predict(s))

    def recurrent_inference(self, s: torch.Tensor, act: torch.Tensor):
        """``g`` then ``f``: (s ``[B, C, H, W]``, act ``[B]`` long) ->
        ``RecurrentOutput`` of reward ``[B]`` (a probability), s', logits,
        value."""
        a = self.action_planes[act].reshape(len(act), 1, *self.board_shape)
        s2 = _scale(self.dynamics(torch.cat([s, a.to(s.dtype)], 1)))
        reward = torch.sigmoid(self.reward_head(s2.flatten(1))[:, 0])
        return RecurrentOutput(reward, s2, *self.predict(s2))


class FrozenConvModel:
    """A numpy copy of :class:`ConvMuZeroNet` for the search, one state at a
    time.  Hidden states are ``[rows * cols, channels]``; a 3x3 conv is one
    matrix product of each cell's 3x3 neighbourhood (gathered by index, the
    board edge padded with zeros) with the filters."""

    def __init__(self, net: ConvMuZeroNet) -> None:
        rows, cols = net.board_shape
        n = rows * cols
        idx = np.full((n, 9), n)  # index n is the zero padding
        for r in range(rows):
            for c in range(cols):
                for k in range(9):
                    rr, cc = r + k // 3 - 1, c + k % 3 - 1
                    if 0 <= rr < rows and 0 <= cc < cols:
                        idx[r * cols + c, k] = rr * cols + cc
        self.idx, self.n_actions, self.planes = idx, net.n_actions, net.planes
        self.action_planes = net.action_planes.numpy().copy()

        def conv(m: nn.Conv2d) -> tuple[np.ndarray, np.ndarray]:
            w = m.weight.detach().permute(2, 3, 1, 0).reshape(-1, m.out_channels)
            return w.numpy().copy(), m.bias.detach().numpy().copy()

        def tower(t: Tower) -> list:
            return [conv(t.stem)] + [(conv(c1), conv(c2)) for c1, c2 in t.blocks]

        def linear(seq: nn.Sequential) -> list:
            return [(m.weight.detach().numpy().T.copy(), m.bias.detach().numpy().copy())
                    for m in seq if isinstance(m, nn.Linear)]

        self.h, self.g = tower(net.representation), tower(net.dynamics)
        self.r, self.f = linear(net.reward_head), linear(net.prediction)

    def _conv(self, x: np.ndarray, wb: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        padded = np.concatenate([x, np.zeros((1, x.shape[1]), x.dtype)])
        return padded[self.idx].reshape(len(self.idx), -1) @ wb[0] + wb[1]

    def _tower(self, layers: list, x: np.ndarray) -> np.ndarray:
        x = np.maximum(self._conv(x, layers[0]), 0)
        for c1, c2 in layers[1:]:
            x = np.maximum(x + self._conv(np.maximum(self._conv(x, c1), 0), c2), 0)
        return (x - x.min()) / max(x.max() - x.min(), 1e-5)

    @staticmethod
    def _mlp(layers: list, s: np.ndarray) -> np.ndarray:
        (w1, b1), (w2, b2) = layers
        return np.maximum(s.T.reshape(-1) @ w1 + b1, 0) @ w2 + b2  # torch's flatten

    def _predict(self, s: np.ndarray) -> tuple[np.ndarray, float]:
        out = self._mlp(self.f, s)
        return out[:-1], float(np.tanh(out[-1]))

    def initial(self, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        """obs ``[O]`` -> (hidden state ``[rows * cols, C]``, logits ``[A]``, value)."""
        s = self._tower(self.h, obs.reshape(self.planes, -1).T)
        return (s, *self._predict(s))

    def recurrent(self, s: np.ndarray, action: int) -> RecurrentOutput:
        """An mctx-style ``recurrent_fn`` (never terminal, as for the MLP)."""
        x = np.concatenate([s, self.action_planes[action][:, None]], 1)
        s2 = self._tower(self.g, x)
        reward = 1.0 / (1.0 + np.exp(-float(self._mlp(self.r, s2)[0])))
        return RecurrentOutput(reward, s2, *self._predict(s2))


__all__ = ["ConvMuZeroNet", "FrozenConvModel", "Tower", "action_planes"]
