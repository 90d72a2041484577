"""MuZero on two-player board games (§7.5), to compare with AlphaZero.

The same networks, replay and losses as :mod:`mbrl_lessons.algorithms.muzero`
(representation ``h``, dynamics ``g`` with a reward, prediction ``f``;
``K``-step unrolled training; ``net="conv"`` swaps in the paper's
board-game networks, :mod:`mbrl_lessons.models.muzero_conv`), played the
way AlphaZero plays (:mod:`mbrl_lessons.algorithms.alphazero`): self-play,
the same two-player pUCT search, the same temperature and root noise, the
same number of simulations.  What differs is what the search is given.
AlphaZero searches the rules; MuZero searches its learned model, knowing only
the legal moves at the root (as in the paper: inside the tree every move is
allowed and the end of the game is never announced, so the model has to
learn both).

Conventions, as in the search: ``reward[t]`` is paid to the player who made
move ``t`` (+1 for the winning move, else 0); every value is for the player
to move.  With ``gamma = 1`` and the whole game as the n-step horizon, the
value target of a position is the game's result for its player to move, as
in the paper's board games.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from mbrl_lessons.algorithms.alphazero import (
    AlphaZeroConfig,
    Checkpoints,
    game_of,
    round_lr,
)
from mbrl_lessons.algorithms.muzero import (
    EpisodeReplay,
    FrozenModel,
    MuZeroNet,
    muzero_losses,
)
from mbrl_lessons.core.progress import tqdm
from mbrl_lessons.models.muzero_conv import ConvMuZeroNet, FrozenConvModel
from mbrl_lessons.search.mcts import Game
from mbrl_lessons.search.puct import PUCTNode, best_action, run_mcts, visit_policy


@dataclass(frozen=True)
class MuZeroGameConfig(AlphaZeroConfig):
    """AlphaZero's settings (games, simulations, noise, temperature, replay,
    training rounds) plus the model's."""

    unroll_steps: int = 5
    """``K``: dynamics steps unrolled in training."""
    latent_dim: int = 32
    """Size of the hidden state (``net="mlp"``)."""
    net: str = "mlp"
    """``"mlp"``: :class:`MuZeroNet`, flat hidden state, squared-error reward;
    ``"conv"``: :class:`ConvMuZeroNet`, the paper's board-game design (hidden
    state as ``channels`` board planes, residual conv ``h`` and ``g``, the
    move given as a plane), a 0/1 reward trained by cross-entropy."""
    channels: int = 32
    """Planes of the hidden state (``net="conv"``)."""
    blocks: int = 1
    """Residual blocks in each of ``h`` and ``g`` (``net="conv"``)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.unroll_steps < 1 or self.latent_dim < 1 or self.channels < 1:
            raise ValueError("MuZeroGameConfig.unroll_steps, latent_dim and "
                             "channels must be >= 1")
        if self.blocks < 0:
            raise ValueError("MuZeroGameConfig.blocks must be >= 0")
        if self.net not in ("mlp", "conv"):
            raise ValueError(f"MuZeroGameConfig.net must be 'mlp' or 'conv', "
                             f"got {self.net!r}")


def make_model(game: Game, cfg: MuZeroGameConfig
               ) -> tuple[MuZeroNet | ConvMuZeroNet, type]:
    """The network ``cfg.net`` names, seeded by ``cfg.seed``, and the class
    of its numpy copy for the search."""
    obs_dim = len(game.encode(game.initial))
    if cfg.net == "mlp":
        return (MuZeroNet(obs_dim, game.n_actions, cfg.latent_dim, cfg.hidden,
                          cfg.seed), FrozenModel)
    if len(game.board_shape) != 2:
        raise ValueError("net='conv' needs a game with a board_shape")
    planes, cells = divmod(obs_dim, game.board_shape[0] * game.board_shape[1])
    if cells:
        raise ValueError(f"an encoding of {obs_dim} is not whole planes of a "
                         f"{game.board_shape} board")
    return (ConvMuZeroNet(planes, game.board_shape, game.n_actions, cfg.channels,
                          cfg.blocks, cfg.hidden, cfg.seed), FrozenConvModel)


def search(game: Game, model: FrozenModel, state, cfg: MuZeroGameConfig,
           rng: np.random.Generator | None = None, explore: bool = False
           ) -> PUCTNode:
    """Two-player pUCT over the learned model; legal moves masked at the root
    only."""
    s, logits, value = model.initial(game.encode(state))
    masked = np.full(game.n_actions, -np.inf)
    legal = game.legal_actions(state)
    masked[legal] = logits[legal]
    return run_mcts(s, masked, value, model.recurrent, cfg.n_simulations, gamma=1.0,
                    two_player=True, value_bounds=(-1.0, 1.0), rng=rng,
                    dirichlet_alpha=cfg.dirichlet_alpha,
                    noise_fraction=cfg.noise_fraction if explore else 0.0,
                    c1=cfg.c1, c2=cfg.c2)


class MuZeroGamePlayer:
    """Greedy play: the most visited move of a noise-free search in the model."""

    def __init__(self, game: Game, model: FrozenModel, cfg: MuZeroGameConfig) -> None:
        self.game, self.model, self.cfg = game, model, cfg

    def __call__(self, state) -> int:
        return best_action(search(self.game, self.model, state, self.cfg),
                           two_player=True)


def self_play(game: Game, model: FrozenModel, cfg: MuZeroGameConfig,
              rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """One game: observations ``[T + 1, O]``, actions ``[T]``, rewards to the
    mover ``[T]``, visit distributions ``[T, A]``, value targets ``[T + 1]``
    (the result for the player to move; 0 at the final position)."""
    state, obs, acts, pis, movers = game.initial, [], [], [], []
    while not game.is_terminal(state):
        root = search(game, model, state, cfg, rng, explore=True)
        temp = 1.0 if len(acts) < cfg.temperature_moves else 0.0
        action = int(rng.choice(game.n_actions, p=visit_policy(root, temp)))
        obs.append(game.encode(state))
        pis.append(visit_policy(root, 1.0))
        movers.append(game.to_play(state))
        acts.append(action)
        state = game.play(state, action)
    obs.append(game.encode(state))
    w = game.winner(state)
    rewards = np.zeros(len(acts))
    rewards[-1] = abs(w)  # only the last move can win, and it wins for its mover
    z = np.append(w * np.array(movers, dtype=float), 0.0)
    return (np.stack(obs), np.array(acts), rewards, np.stack(pis).astype(np.float32),
            z)


@dataclass
class MuZeroGameResult:
    """What :func:`train` returns (as ``AlphaZeroResult``, with the model)."""

    net: MuZeroNet | ConvMuZeroNet
    checkpoint_games: np.ndarray
    checkpoints: list[FrozenModel]
    vs_random: np.ndarray           # [C, 2, 3] win/draw/loss as first/second
    game_lengths: np.ndarray
    losses: np.ndarray              # [U, 3] value, reward, policy
    seconds: float
    config: MuZeroGameConfig = field(repr=False, default=None)


def train(env=None, cfg: MuZeroGameConfig = MuZeroGameConfig(), *,
          progress: bool = False) -> MuZeroGameResult:
    """MuZero self-play on a two-player ``Game`` (default tic-tac-toe); the
    rules are used only to referee the games and list the legal moves at the
    root."""
    game = game_of(env)
    t0 = time.time()
    rng, eval_rng = (np.random.default_rng(s)
                     for s in np.random.SeedSequence(cfg.seed).spawn(2))
    obs_dim = len(game.encode(game.initial))
    net, freeze = make_model(game, cfg)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    games_kept: list[tuple] = []
    lengths, losses = [], []
    ckpt = Checkpoints(game, cfg, MuZeroGamePlayer, eval_rng)
    model = freeze(net)
    for g in tqdm(range(cfg.n_games + 1), desc="MuZero", disable=not progress):
        if ckpt.due(g):
            ckpt.add(g, model)
        if g == cfg.n_games:
            break
        data = self_play(game, model, cfg, rng)
        lengths.append(len(data[1]))
        augmented = [data]
        if cfg.augment and game.symmetries:  # same symmetric copies as AlphaZero
            # move x of the game is move inverse[x] on the transformed board
            augmented = [(data[0][:, o], np.argsort(a)[data[1]], data[2],
                          data[3][:, a], data[4]) for o, a in game.symmetries]
        games_kept = (games_kept + [augmented])[-cfg.replay_games:]
        if (g + 1) % cfg.games_per_update:
            continue
        replay = EpisodeReplay(obs_dim, game.n_actions, cfg.unroll_steps)
        for group in games_kept:
            for o, a, r, p, z in group:
                replay.add(o, a, r, p, z, True, rng)
        for group in opt.param_groups:
            group["lr"] = round_lr(cfg, g // cfg.games_per_update)
        for _ in range(cfg.updates):
            parts = muzero_losses(net, replay.sample(cfg.batch_size, rng))
            opt.zero_grad()
            parts.sum().backward()
            opt.step()
            losses.append(parts.detach().numpy())
        model = freeze(net)
    return MuZeroGameResult(net, np.array(ckpt.games), ckpt.nets,
                            np.array(ckpt.vs_random),
                            np.array(lengths), np.array(losses).reshape(-1, 3),
                            time.time() - t0, cfg)


def one_step_errors(game: Game, model: FrozenModel, states) -> dict[str, float]:
    """How well the learned model knows the rules one move ahead: from each
    non-terminal position in ``states``, every legal move is stepped once in
    the model (``g`` from ``h`` of the position) and compared with the rules.
    Returns the mean squared error of the predicted reward on the moves that
    win (true reward 1) and on the others (0), and the share of winning moves
    whose predicted reward is below 0.5 (a search in this model would not see
    the win, nor the threat of the opponent's)."""
    wins, others = [], []
    for state in states:
        if game.is_terminal(state):
            raise ValueError("one_step_errors needs positions with a move to make")
        s = model.initial(game.encode(state))[0]
        for a in game.legal_actions(state):
            r = model.recurrent(s, int(a)).reward
            (wins if game.winner(game.play(state, a)) != 0 else others).append(r)
    wins, others = np.array(wins), np.array(others)
    if len(wins) == 0 or len(others) == 0:
        raise ValueError("one_step_errors needs positions with winning and "
                         "non-winning moves")
    return {"reward_mse_winning_moves": float(np.mean((wins - 1.0) ** 2)),
            "reward_mse_other_moves": float(np.mean(others ** 2)),
            "winning_moves_missed": float(np.mean(wins < 0.5)),
            "n_winning_moves": int(len(wins)), "n_other_moves": int(len(others))}


def from_alphazero(cfg: AlphaZeroConfig, **model) -> MuZeroGameConfig:
    """MuZero settings equal to AlphaZero's (games, simulations, noise, ...)."""
    return MuZeroGameConfig(**dataclasses.asdict(cfg), **model)


__all__ = ["MuZeroGameConfig", "MuZeroGamePlayer", "MuZeroGameResult",
           "from_alphazero", "make_model", "one_step_errors", "search", "self_play",
           "train"]
