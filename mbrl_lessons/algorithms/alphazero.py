"""AlphaZero (Silver et al. 2018): self-play with the rules known, §7.5.

One network ``f(board) -> (p, v)`` gives a prior over moves and a value for
the player to move.  The loop, numbered as in the book's algorithm box:

1. **Self-play.**  Both sides are the current network.  Every move is chosen
   by the pUCT search of ``search/puct.py`` run over the *true* rules
   (``two_player=True``: negamax backups, terminal positions scored by the
   game), with Dirichlet noise on the root prior; the move is sampled from
   the visit counts for the first ``temperature_moves`` moves of a game
   (temperature 1) and is the most visited one afterwards (temperature 0).
2. **Targets.**  Each position is stored with the search's visit
   distribution ``pi`` (the improved policy) and, once the game is over, the
   outcome ``z`` from the point of view of the player who was to move there.
3. **Training.**  Adam on ``(z - v)^2 - pi^T log p`` (plus weight decay) over
   positions from the ``replay_games`` most recent games.
4. **Evaluation** every ``eval_every`` games: greedy search (no noise,
   most-visited move) against a uniformly random player, as each side.

Search is policy improvement: the visit counts are a better policy than the
prior that guided them, so the prior is trained towards them, and the next
search starts from a better prior.  The games are given as
:class:`mbrl_lessons.search.mcts.Game` (pure functions, with ``n_actions``,
``initial`` and ``encode``), e.g. ``tictactoe_game()``.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from mbrl_lessons.core.nets import mlp
from mbrl_lessons.core.progress import tqdm
from mbrl_lessons.search.mcts import Game, play_match, tictactoe_game
from mbrl_lessons.search.puct import (
    PUCTNode,
    RecurrentOutput,
    best_action,
    run_mcts,
    visit_policy,
)


@dataclass(frozen=True)
class AlphaZeroConfig:
    """AlphaZero settings; defaults are the tic-tac-toe benchmark's."""

    n_games: int = 1500
    """Self-play games in all."""
    n_simulations: int = 64
    """Search simulations per move (self-play and evaluation)."""
    games_per_update: int = 10
    """Self-play games between two rounds of training."""
    updates: int = 40
    """Adam steps per round of training."""
    batch_size: int = 128
    """Positions per Adam step."""
    replay_games: int = 300
    """The replay keeps the positions of this many most recent games."""
    lr: float = 3e-3
    """Adam step size (of the first round of training)."""
    lr_final: float | None = None
    """Adam step size of the last round, reached from ``lr`` by a cosine over
    the rounds (:func:`round_lr`); ``None`` keeps ``lr`` throughout.  Both
    papers decay the step size; on tic-tac-toe a constant one left MuZero's
    networks noisy to the end (one seed's share of winning moves its model
    missed went 3%, 6%, 16% over its last three checkpoints)."""
    weight_decay: float = 1e-4
    """L2 penalty (the paper's ``c ||theta||^2``)."""
    hidden: int = 64
    """Width of the two hidden layers of the network."""
    temperature_moves: int = 9
    """Moves of each game sampled from the visit counts (temperature 1);
    the rest take the most visited move (AlphaZero: the first 30 moves of
    chess).  A tic-tac-toe game has at most 9, and sampling all of them
    spreads self-play over more positions (measured: with 4, the second
    player still lost to perfect play after 600 games)."""
    dirichlet_alpha: float = 1.0
    """Root noise concentration; AlphaZero scales it as about 10 / (typical
    number of legal moves): 0.3 for chess, 0.03 for Go, ~1 for tic-tac-toe."""
    noise_fraction: float = 0.25
    """Share of the root prior replaced by noise in self-play."""
    c1: float = 1.25
    """pUCT exploration constant."""
    c2: float = 19652.0
    """pUCT visit-count scale."""
    augment: bool = True
    """Store every position under each of the game's symmetries (8 for
    tic-tac-toe), as AlphaGo Zero did; AlphaZero dropped this for chess and
    shogi, which are not symmetric."""
    eval_every: int = 50
    """Evaluate against a random player every this many games."""
    eval_games: int = 20
    """Evaluation games per side."""
    seed: int = 0
    """Seeds the network, the noise, the move sampling and the replay."""

    def __post_init__(self) -> None:
        for name in ("n_games", "n_simulations", "games_per_update", "updates",
                     "batch_size", "replay_games", "hidden", "eval_every",
                     "eval_games"):
            if getattr(self, name) < 1:
                raise ValueError(f"AlphaZeroConfig.{name} must be >= 1, "
                                 f"got {getattr(self, name)}")
        if self.temperature_moves < 0:
            raise ValueError("AlphaZeroConfig.temperature_moves must be >= 0")
        if not 0.0 <= self.noise_fraction <= 1.0:
            raise ValueError("AlphaZeroConfig.noise_fraction must be in [0, 1]")
        if self.dirichlet_alpha <= 0:
            raise ValueError("AlphaZeroConfig.dirichlet_alpha must be > 0")
        if self.lr <= 0 or (self.lr_final is not None and self.lr_final <= 0):
            raise ValueError("AlphaZeroConfig.lr and lr_final must be > 0")


def round_lr(cfg: AlphaZeroConfig, done: int) -> float:
    """The Adam step size of training round ``done`` (0-based) of the
    ``n_games // games_per_update`` rounds: ``lr`` when ``lr_final`` is
    ``None``, else a cosine from ``lr`` (round 0) to ``lr_final`` (last)."""
    if cfg.lr_final is None:
        return cfg.lr
    last = max(cfg.n_games // cfg.games_per_update - 1, 1)
    frac = min(done / last, 1.0)
    cosine = 0.5 * (1 + np.cos(np.pi * frac))
    return float(cfg.lr_final + (cfg.lr - cfg.lr_final) * cosine)


class PolicyValueNet(nn.Module):
    """``f(board) -> (logits [B, A], value [B])``; the value is squashed into
    ``[-1, 1]`` (loss to win for the player to move)."""

    def __init__(self, obs_dim: int, n_actions: int, hidden: int = 64,
                 seed: int = 0) -> None:
        super().__init__()
        self.body = mlp(obs_dim, n_actions + 1, hidden, 2, nn.ReLU, seed)

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.body(obs)
        return out[:, :-1], torch.tanh(out[:, -1])


class FrozenNet:
    """A numpy copy of the network for the search: one position per call, so
    torch's call overhead would dwarf the arithmetic."""

    def __init__(self, net: PolicyValueNet) -> None:
        self.layers = [(m.weight.detach().numpy().T.copy(),
                        m.bias.detach().numpy().copy())
                       for m in net.body if isinstance(m, nn.Linear)]

    def __call__(self, obs: np.ndarray) -> tuple[np.ndarray, float]:
        x = obs
        for i, (w, b) in enumerate(self.layers):
            x = x @ w + b
            if i < len(self.layers) - 1:
                x = np.maximum(x, 0.0)
        return x[:-1], float(np.tanh(x[-1]))


def evaluate(game: Game, net: FrozenNet, state) -> tuple[np.ndarray, float]:
    """Prior logits ``[A]`` (``-inf`` on illegal moves) and value of ``state``."""
    logits, value = net(game.encode(state))
    masked = np.full(game.n_actions, -np.inf)
    legal = game.legal_actions(state)
    masked[legal] = logits[legal]
    return masked, value


def rules_model(game: Game, net: FrozenNet) -> Callable[..., RecurrentOutput]:
    """The true simulator as a ``recurrent_fn``: the rules give the next state
    and the end of the game, the network the prior and value there."""

    def step(state, action: int) -> RecurrentOutput:
        nxt = game.play(state, action)
        if game.is_terminal(nxt):  # +1 to the mover for a win, 0 for a draw
            reward = float(game.winner(nxt) * game.to_play(state))
            return RecurrentOutput(reward, nxt, np.zeros(game.n_actions), 0.0, True)
        logits, value = evaluate(game, net, nxt)
        return RecurrentOutput(0.0, nxt, logits, value)

    return step


def search(game: Game, net: FrozenNet, state, cfg: AlphaZeroConfig,
           rng: np.random.Generator | None = None, explore: bool = False
           ) -> PUCTNode:
    """A two-player pUCT search from ``state`` over the true rules."""
    logits, value = evaluate(game, net, state)
    return run_mcts(state, logits, value, rules_model(game, net), cfg.n_simulations,
                    gamma=1.0, two_player=True, value_bounds=(-1.0, 1.0), rng=rng,
                    dirichlet_alpha=cfg.dirichlet_alpha,
                    noise_fraction=cfg.noise_fraction if explore else 0.0,
                    c1=cfg.c1, c2=cfg.c2)


class AlphaZeroPlayer:
    """Greedy play: the most visited move of a noise-free search."""

    def __init__(self, game: Game, net: FrozenNet, cfg: AlphaZeroConfig) -> None:
        self.game, self.net, self.cfg = game, net, cfg

    def __call__(self, state) -> int:
        return best_action(search(self.game, self.net, state, self.cfg),
                           two_player=True)


def random_player(game: Game, rng: np.random.Generator) -> Callable:
    def play(state) -> int:
        legal = game.legal_actions(state)
        return int(legal[rng.integers(len(legal))])
    return play


def self_play(game: Game, net: FrozenNet, cfg: AlphaZeroConfig,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One game of the network against itself: observations ``[T, O]``,
    visit distributions ``[T, A]`` and outcomes ``[T]`` for the player to move."""
    state, obs, pis, movers = game.initial, [], [], []
    while not game.is_terminal(state):
        root = search(game, net, state, cfg, rng, explore=True)
        temp = 1.0 if len(obs) < cfg.temperature_moves else 0.0
        action = int(rng.choice(game.n_actions, p=visit_policy(root, temp)))
        obs.append(game.encode(state))
        pis.append(visit_policy(root, 1.0))
        movers.append(game.to_play(state))
        state = game.play(state, action)
    z = game.winner(state) * np.array(movers, dtype=np.float32)
    return np.stack(obs), np.stack(pis).astype(np.float32), z


def augment(data: tuple[np.ndarray, np.ndarray, np.ndarray], symmetries
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every position of a game under every symmetry: a rotated board has the
    rotated visit distribution and the same outcome."""
    obs, pi, z = data
    return (np.concatenate([obs[:, o] for o, _ in symmetries]),
            np.concatenate([pi[:, a] for _, a in symmetries]),
            np.tile(z, len(symmetries)))


def alphazero_loss(net: PolicyValueNet, obs: torch.Tensor, pi: torch.Tensor,
                   z: torch.Tensor) -> torch.Tensor:
    """Value and policy losses ``[2]``: ``mean (z - v)^2`` and
    ``mean -pi^T log p`` (paper eq. 1, without the L2 term, which Adam's
    weight decay adds)."""
    logits, v = net(obs)
    value = ((z - v) ** 2).mean()
    policy = -(pi * torch.log_softmax(logits, -1)).sum(-1).mean()
    return torch.stack([value, policy])


def score_vs(game: Game, player: Callable, opponent: Callable, n: int
             ) -> np.ndarray:
    """``[2, 3]`` win / draw / loss fractions of ``player`` as first (row 0)
    and second (row 1) player over ``n`` games each."""
    out = np.zeros((2, 3))
    for _ in range(n):
        for side, (first, second) in enumerate([(player, opponent),
                                                (opponent, player)]):
            result = play_match(game, first, second) * (1 if side == 0 else -1)
            out[side, 1 - result] += 1  # +1 -> win column 0, -1 -> loss column 2
    return out / n


class Checkpoints:
    """Step 4 of both self-play learners (AlphaZero here, MuZero in
    ``muzero_games``): every ``cfg.eval_every`` games and after the last, keep
    the acting network and score its greedy player against a uniformly random
    one, ``cfg.eval_games`` games as each side.  ``make_player(game, net,
    cfg)`` builds the greedy player; ``rng`` is the random opponent's own
    stream, so evaluating more often changes no self-play game."""

    def __init__(self, game: Game, cfg: AlphaZeroConfig, make_player: Callable,
                 rng: np.random.Generator) -> None:
        self.game, self.cfg, self.make_player, self.rng = game, cfg, make_player, rng
        self.games: list[int] = []
        self.nets: list = []
        self.vs_random: list[np.ndarray] = []

    def due(self, n_played: int) -> bool:
        return n_played % self.cfg.eval_every == 0 or n_played == self.cfg.n_games

    def add(self, n_played: int, net) -> None:
        self.games.append(n_played)
        self.nets.append(net)
        self.vs_random.append(score_vs(
            self.game, self.make_player(self.game, net, self.cfg),
            random_player(self.game, self.rng), self.cfg.eval_games))


@dataclass
class AlphaZeroResult:
    """What :func:`train` returns; ``C`` checkpoints, ``U`` Adam steps."""

    net: PolicyValueNet
    checkpoint_games: np.ndarray    # [C] self-play games before each checkpoint
    checkpoints: list[FrozenNet]    # [C] the network at each checkpoint
    vs_random: np.ndarray           # [C, 2, 3] win/draw/loss as first/second
    game_lengths: np.ndarray        # [G] moves of each self-play game
    losses: np.ndarray              # [U, 2] value, policy
    seconds: float
    config: AlphaZeroConfig = field(repr=False, default=None)


def game_of(env) -> Game:
    """The rules of a two-player game: a ``Game`` as it is, ``None`` or the
    tic-tac-toe env for ``tictactoe_game()``, an env carrying its rules as
    ``.game`` (``ConnectFour``) for those."""
    if env is None or isinstance(env, Game):
        return env if env is not None else tictactoe_game()
    inner = getattr(env, "unwrapped", env)
    if isinstance(getattr(inner, "game", None), Game):
        return inner.game
    if type(inner).__name__ == "TicTacToe":
        return tictactoe_game()
    raise TypeError("AlphaZero needs the rules: a search.mcts.Game or an env with "
                    f"a .game (TicTacToe, ConnectFour), got {type(inner).__name__}")


def train(env=None, cfg: AlphaZeroConfig = AlphaZeroConfig(), *,
          progress: bool = False) -> AlphaZeroResult:
    """AlphaZero on a two-player game (a ``Game``, or an env whose rules
    :func:`game_of` finds; ``None`` means tic-tac-toe)."""
    game = game_of(env)
    if game.n_actions < 1 or game.encode is None or game.initial is None:
        raise ValueError("the Game needs n_actions, initial and encode for AlphaZero")
    t0 = time.time()
    # two named streams: self-play (noise, move sampling, replay) and the
    # random evaluation opponent, so evaluating more often changes no game
    rng, eval_rng = (np.random.default_rng(s)
                     for s in np.random.SeedSequence(cfg.seed).spawn(2))
    obs_dim = len(game.encode(game.initial))
    net = PolicyValueNet(obs_dim, game.n_actions, cfg.hidden, cfg.seed)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    replay: deque = deque(maxlen=cfg.replay_games)
    lengths, losses = [], []
    ckpt = Checkpoints(game, cfg, AlphaZeroPlayer, eval_rng)
    frozen = FrozenNet(net)
    for g in tqdm(range(cfg.n_games), desc="AlphaZero", disable=not progress):
        if ckpt.due(g):
            ckpt.add(g, frozen)
        # 1-2. self-play one game with the latest network, store its targets
        game_data = self_play(game, frozen, cfg, rng)
        lengths.append(len(game_data[2]))
        if cfg.augment and game.symmetries:
            game_data = augment(game_data, game.symmetries)
        replay.append(game_data)
        if (g + 1) % cfg.games_per_update:
            continue
        # 3. train on positions of the recent games
        obs, pi, z = (torch.as_tensor(np.concatenate([d[i] for d in replay]))
                      for i in range(3))
        for group in opt.param_groups:
            group["lr"] = round_lr(cfg, g // cfg.games_per_update)
        for _ in range(cfg.updates):
            idx = torch.as_tensor(rng.integers(len(z), size=cfg.batch_size))
            parts = alphazero_loss(net, obs[idx], pi[idx], z[idx])
            opt.zero_grad()
            parts.sum().backward()
            opt.step()
            losses.append(parts.detach().numpy())
        frozen = FrozenNet(net)
    ckpt.add(cfg.n_games, frozen)  # 4. (evaluation happens at every checkpoint)
    return AlphaZeroResult(net, np.array(ckpt.games), ckpt.nets,
                           np.array(ckpt.vs_random),
                           np.array(lengths), np.array(losses).reshape(-1, 2),
                           time.time() - t0, cfg)


__all__ = ["AlphaZeroConfig", "AlphaZeroPlayer", "AlphaZeroResult", "Checkpoints",
           "FrozenNet",
           "PolicyValueNet", "augment", "alphazero_loss", "evaluate", "game_of",
           "random_player",
           "round_lr", "rules_model", "score_vs", "search", "self_play", "train"]
