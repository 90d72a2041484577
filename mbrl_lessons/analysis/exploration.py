"""§5.3: exploring where the model's ensemble disagrees, against ε-greedy.

The task is a *deep chain* (after the "deep sea" of Osband et al.'s
behaviour suite): ``n`` states in a row, the agent starts at the left end,
and a treasure worth 1 waits at the right end.  In every state one action
(which one is drawn at random per state, so that no fixed action preference
helps) moves right, with probability ``1 - slip`` (else the agent stays), at
a small cost ``cost / n``; the other moves left for free.  Until the treasure
has been found, every reward the agent has seen says "do not go right", so
dithering (ε-greedy) must string together about ``n`` lucky random moves,
which takes a number of episodes exponential in ``n``.

The learner is model-based: a count model of the chain
(:class:`~mbrl_lessons.mdp.learning.TabularModel`, untried pairs stay put
with reward 0) and value iteration on it after every real step.  Three
exploration rules share that learner and the same budget of real steps and
value-iteration sweeps:

- ``"egreedy"``: a random action with probability ``epsilon``;
- ``"disagreement"``: plan for ``R_hat + beta * sigma(s, a)``, where
  ``sigma`` is the spread of the next-state predictions of a bootstrapped
  ensemble of learned models (:class:`BootstrapTableEnsemble`), and act
  greedily;
- ``"count"``: plan for ``R_hat + beta / sqrt(N(s, a) + 1)``, the count
  bonus that the ensemble's spread approximates in a table.
"""

from __future__ import annotations

import numpy as np

from mbrl_lessons.core.seeding import make_rng, stream_rng, stream_seed
from mbrl_lessons.mdp.learning import TabularModel, epsilon_greedy

BONUSES = ("none", "disagreement", "count")


class DeepChain:
    """``n`` states in a row; start at 0; the treasure (reward 1, episode
    ends) at ``n - 1``; moving right costs ``cost / n`` and slips (the agent
    stays) with probability ``slip``; moving left is free.

    ``right_action[s]`` is the action that moves right in state ``s``, drawn
    per state from ``rng`` (a fixed action preference does not help)."""

    n_actions = 2

    def __init__(self, n: int, rng: np.random.Generator, *, slip: float = 0.1,
                 cost: float = 0.01) -> None:
        if n < 2:
            raise ValueError(f"a chain needs n >= 2 states, got {n}")
        if not 0.0 <= slip < 1.0:
            raise ValueError(f"slip must be in [0, 1), got {slip}")
        if cost < 0:
            raise ValueError(f"cost must be >= 0, got {cost}")
        self.n, self.slip, self.cost = n, slip, cost
        self.right_action = rng.integers(2, size=n)

    @property
    def n_states(self) -> int:
        return self.n

    def step(self, s: int, a: int, rng: np.random.Generator) -> tuple[int, float, bool]:
        """One real step: ``(next state, reward, terminated)``."""
        if not 0 <= s < self.n - 1:
            raise ValueError(f"state {s} is outside 0..{self.n - 2} (the treasure "
                             f"state {self.n - 1} ends the episode)")
        if a not in (0, 1):
            raise ValueError(f"action must be 0 or 1, got {a}")
        if a == self.right_action[s]:
            s2 = s + 1 if rng.random() >= self.slip else s
            r = -self.cost / self.n
        else:
            s2, r = max(s - 1, 0), 0.0
        done = s2 == self.n - 1
        return s2, r + (1.0 if done else 0.0), done


class BootstrapTableEnsemble:
    """An ensemble of ``n_members`` tabular next-state models, each fitted to
    its own bootstrap resample of the data.

    Member ``k`` predicts ``p_k(. | s, a)``: the weighted frequencies of the
    next states it was given, plus ``prior_weight`` pseudo-observations of a
    next state drawn at random for it at the start (its *random prior*, which
    plays the part of a network's random initial weights: without it a table
    says nothing about a pair it has no data for).  Each real transition
    reaches member ``k`` with a weight drawn from Poisson(1), the online
    version of a bootstrap resample (a sample of size N with replacement
    holds each point a Binomial(N, 1/N) number of times, close to
    Poisson(1)).

    :meth:`disagreement` is the spread of the members' predictions,
    ``(1/E) sum_k ||p_k(. | s, a) - p_bar(. | s, a)||^2``: the trace of the
    epistemic part of the law-of-total-variance split, with the next state
    one-hot encoded."""

    def __init__(self, n_states: int, n_actions: int, rng: np.random.Generator, *,
                 n_members: int = 10, prior_weight: float = 1.0) -> None:
        if n_members < 2:
            raise ValueError(f"an ensemble needs n_members >= 2, got {n_members}")
        if prior_weight <= 0:
            raise ValueError(f"prior_weight must be > 0, got {prior_weight}")
        self.rng = rng
        E, S, A = n_members, n_states, n_actions
        self.weights = np.zeros((E, S, A, S))
        prior = rng.integers(S, size=(E, S, A))
        e, s, a = np.indices((E, S, A))
        self.weights[e, s, a, prior] = prior_weight
        self._spread = np.zeros((S, A))
        for s_ in range(S):
            for a_ in range(A):
                self._spread[s_, a_] = self._pair_spread(s_, a_)

    @property
    def n_members(self) -> int:
        return self.weights.shape[0]

    def _pair_spread(self, s: int, a: int) -> float:
        w = self.weights[:, s, a, :]
        p = w / w.sum(axis=1, keepdims=True)
        return float(((p - p.mean(axis=0)) ** 2).sum(axis=1).mean())

    def update(self, s: int, a: int, s2: int) -> None:
        """Give the transition ``(s, a) -> s2`` to every member, with its own
        Poisson(1) weight."""
        self.weights[:, s, a, s2] += self.rng.poisson(1.0, self.n_members)
        self._spread[s, a] = self._pair_spread(s, a)

    def predictions(self) -> np.ndarray:
        """The members' next-state distributions, ``[E, S, A, S]``."""
        return self.weights / self.weights.sum(axis=3, keepdims=True)

    def disagreement(self) -> np.ndarray:
        """``[S, A]``: the members' spread, ``(1/E) sum_k ||p_k - p_bar||^2``."""
        return self._spread.copy()


def plan_q(model: TabularModel, bonus: np.ndarray, gamma: float, q: np.ndarray,
           sweeps: int) -> np.ndarray:
    """``sweeps`` value-iteration sweeps of ``Q`` (warm-started from ``q``) on
    the count model's MDP with reward ``R_hat + bonus``."""
    mdp = model.to_mdp(gamma)
    R = mdp.R + bonus
    alive = ~mdp.terminal
    for _ in range(sweeps):
        v = q.max(axis=1) * alive
        q = R + gamma * mdp.P @ v
    return q


def explore_chain(seed: int, n: int = 10, bonus: str = "disagreement",
                  beta: float = 0.1, epsilon: float = 0.0, n_episodes: int = 100,
                  slip: float = 0.1, gamma: float = 0.99, n_members: int = 10,
                  sweeps: int | None = None) -> dict:
    """One run of the model-based learner on a :class:`DeepChain` of ``n``
    states for ``n_episodes`` episodes of ``2 n`` steps.

    ``bonus`` is ``"none"`` (plan for the model's reward; with ``epsilon``
    > 0 this is ε-greedy), ``"disagreement"`` (plus ``beta`` times the
    ensemble's spread ``sigma = sqrt(disagreement)``) or ``"count"`` (plus
    ``beta / sqrt(N(s, a) + 1)``).  Every variant updates the same count
    model and the same ensemble after every real step and runs ``sweeps``
    (default ``n``) value-iteration sweeps, so they differ only in how they
    choose actions.

    Returns the episode in which the treasure was first reached (1-based,
    ``None`` if never), the number of episodes that reached it, the total
    reward, the real steps and sweeps spent, and the fraction of
    state-action pairs ever tried."""
    if bonus not in BONUSES:
        raise ValueError(f"bonus must be one of {BONUSES}, got {bonus!r}")
    if not 0.0 <= epsilon <= 1.0:
        raise ValueError(f"epsilon must be in [0, 1], got {epsilon}")
    if beta < 0:
        raise ValueError(f"beta must be >= 0, got {beta}")
    if n_episodes < 1:
        raise ValueError(f"n_episodes must be >= 1, got {n_episodes}")
    sweeps = n if sweeps is None else sweeps
    env = DeepChain(n, stream_rng(seed, "chain_layout"), slip=slip)
    env_rng, act_rng = stream_rng(seed, "chain_steps"), stream_rng(seed, "actions")
    S, A = env.n_states, env.n_actions
    model = TabularModel(S, A)
    ensemble = BootstrapTableEnsemble(S, A, stream_rng(seed, "ensemble"),
                                      n_members=n_members)
    q = np.zeros((S, A))
    first = None
    found = total = steps = n_sweeps = 0
    for episode in range(1, n_episodes + 1):
        s = 0
        for _ in range(2 * n):
            if bonus == "disagreement":
                b = beta * np.sqrt(ensemble.disagreement())
            elif bonus == "count":
                b = beta / np.sqrt(model.visits + 1.0)
            else:
                b = np.zeros((S, A))
            q = plan_q(model, b, gamma, q, sweeps)
            n_sweeps += sweeps
            a = epsilon_greedy(q[s], epsilon, act_rng)
            s2, r, done = env.step(s, a, env_rng)
            model.update(s, a, r, s2, done)
            ensemble.update(s, a, s2)
            total, steps = total + r, steps + 1
            s = s2
            if done:
                found += 1
                first = episode if first is None else first
                break
    return {"first_treasure_episode": first, "treasure_episodes": found,
            "total_reward": float(total), "real_steps": steps, "sweeps": n_sweeps,
            "pairs_tried": float((model.visits[: n - 1] > 0).mean())}


def make_ensemble(n_states: int, n_actions: int, seed: int,
                  **kw) -> BootstrapTableEnsemble:
    """A :class:`BootstrapTableEnsemble` seeded with an int (for the book)."""
    return BootstrapTableEnsemble(n_states, n_actions, make_rng(seed), **kw)


# ------------------------------------------------ the continuous version
class ContinuousChain:
    """The deep chain with a continuous position ``x`` in ``[0, 1]``: action
    1 moves right by ``step`` plus Gaussian noise (std ``noise``) at a cost
    ``cost * step``, action 0 moves left by ``step`` for free (not below 0);
    reaching ``x >= 1`` pays 1 and ends the episode.  No two visited states
    repeat, so there is nothing to count."""

    n_actions = 2

    def __init__(self, step: float = 0.1, noise: float = 0.02,
                 cost: float = 0.5) -> None:
        if not 0 < step < 1:
            raise ValueError(f"step must be in (0, 1), got {step}")
        if noise < 0 or cost < 0:
            raise ValueError("noise and cost must be >= 0")
        self.step_size, self.noise, self.cost = step, noise, cost

    def step(self, x: float, a: int, rng: np.random.Generator
             ) -> tuple[float, float, bool]:
        """One real step: ``(next x, reward, terminated)``."""
        if a not in (0, 1):
            raise ValueError(f"action must be 0 or 1, got {a}")
        if a == 1:
            x2 = x + self.step_size + self.noise * rng.normal()
            r = -self.cost * self.step_size
        else:
            x2, r = x - self.step_size, 0.0
        x2 = max(x2, 0.0)
        done = x2 >= 1.0
        return float(x2), r + (1.0 if done else 0.0), bool(done)


class BatchedEnsemble:
    """``n_members`` MLPs (two hidden SiLU layers) evaluated in one batch;
    input ``(x, a)``, output ``(dx, r)``.  Member ``k`` weighs each
    transition by its own Poisson(1) draw (an online bootstrap)."""

    def __init__(self, n_members: int, seed: int, hidden: int = 32,
                 lr: float = 3e-3) -> None:
        import torch

        if n_members < 2:
            raise ValueError(f"an ensemble needs n_members >= 2, got {n_members}")
        gen = torch.Generator().manual_seed(stream_seed(seed, "ensemble init"))
        E, h = n_members, hidden

        def init(fan_in, fan_out):
            w = torch.randn(E, fan_in, fan_out, generator=gen) / fan_in ** 0.5
            return w.requires_grad_()

        self.params = [init(2, h), torch.zeros(E, 1, h, requires_grad=True),
                       init(h, h), torch.zeros(E, 1, h, requires_grad=True),
                       init(h, 2), torch.zeros(E, 1, 2, requires_grad=True)]
        self.opt = torch.optim.Adam(self.params, lr=lr)
        self.gen = torch.Generator().manual_seed(stream_seed(seed, "minibatches"))
        self.rng = stream_rng(seed, "bootstrap weights")
        self.n_members = E

    def forward(self, inp):
        """``inp [E, B, 2]`` -> ``[E, B, 2]``."""
        import torch

        w1, b1, w2, b2, w3, b3 = self.params
        h = torch.nn.functional.silu(inp @ w1 + b1)
        h = torch.nn.functional.silu(h @ w2 + b2)
        return h @ w3 + b3

    def fit(self, X: np.ndarray, Y: np.ndarray, W: np.ndarray, steps: int,
            batch: int = 64) -> None:
        """``steps`` Adam steps on minibatches of ``(X, Y)`` rows with the
        members' bootstrap weights ``W [N, E]``."""
        import torch

        X_t = torch.as_tensor(X, dtype=torch.float32)
        Y_t = torch.as_tensor(Y, dtype=torch.float32)
        W_t = torch.as_tensor(W, dtype=torch.float32)
        for _ in range(steps):
            idx = torch.randint(len(X_t), (min(batch, len(X_t)),), generator=self.gen)
            pred = self.forward(X_t[idx].expand(self.n_members, -1, -1))
            err = ((pred - Y_t[idx]) ** 2).sum(-1)            # [E, B]
            w = W_t[idx].T                                     # [E, B]
            loss = ((w * err).sum(1) / w.sum(1).clamp(min=1.0)).sum()
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()


def explore_continuous(seed: int, bonus: bool = True, beta: float = 1.0,
                       epsilon: float = 0.0, n_episodes: int = 30, horizon: int = 15,
                       n_candidates: int = 128, n_members: int = 5,
                       fit_steps: int = 100, gamma: float = 0.99) -> dict:
    """Model-based exploration of a :class:`ContinuousChain` with a neural
    ensemble: before each action, plan ``n_candidates`` action sequences of
    ``horizon`` steps through the ensemble's mean prediction and score them
    by the predicted reward plus (with ``bonus``) ``beta`` times the members'
    standard deviation of ``dx`` at every imagined step; take the best
    sequence's first action (a random one with probability ``epsilon``);
    refit the ensemble after every episode of at most 20 steps.

    Returns the episode of the first treasure (``None`` if never), the
    treasure episodes and the farthest position reached."""
    import torch

    if beta < 0 or not 0 <= epsilon <= 1 or n_episodes < 1 or horizon < 1:
        raise ValueError("need beta >= 0, epsilon in [0, 1], n_episodes >= 1 and "
                         "horizon >= 1")
    env = ContinuousChain()
    env_rng, plan_rng = stream_rng(seed, "chain_steps"), stream_rng(seed, "plans")
    act_rng = stream_rng(seed, "actions")
    model = BatchedEnsemble(n_members, seed)
    X, Y, W = [], [], []
    first, found, farthest = None, 0, 0.0
    disc = torch.as_tensor(gamma ** np.arange(horizon), dtype=torch.float32)
    # one episode of uniformly random actions first, the same for every rule
    x = 0.0
    for _ in range(20):
        a = int(act_rng.integers(2))
        x2, r, _ = env.step(x, a, env_rng)
        X.append((x, a))
        Y.append((x2 - x, r))
        W.append(model.rng.poisson(1.0, n_members))
        x = x2
    model.fit(np.array(X), np.array(Y), np.array(W), fit_steps)
    for episode in range(1, n_episodes + 1):
        x = 0.0
        for _ in range(20):
            # candidate sequences: each with its own probability of moving right
            p = plan_rng.uniform(size=(n_candidates, 1))
            seqs = (plan_rng.uniform(size=(n_candidates, horizon)) < p).astype(float)
            seqs[0], seqs[1] = 0.0, 1.0
            with torch.no_grad():
                xs = torch.full((n_candidates,), x)
                score = torch.zeros(n_candidates)
                a_t = torch.as_tensor(seqs, dtype=torch.float32)
                for t in range(horizon):
                    inp = torch.stack([xs, a_t[:, t]], -1)
                    out = model.forward(inp.expand(n_members, -1, -1))  # [E, C, 2]
                    gain = out[..., 1].mean(0)
                    if bonus:
                        gain = gain + beta * out[..., 0].std(0)
                    score += disc[t] * gain
                    xs = (xs + out[..., 0].mean(0)).clamp(min=0.0)
            a = int(seqs[int(score.argmax())][0])
            if act_rng.random() < epsilon:
                a = int(act_rng.integers(2))
            x2, r, done = env.step(x, a, env_rng)
            X.append((x, a))
            Y.append((x2 - x, r))
            W.append(model.rng.poisson(1.0, n_members))
            farthest = max(farthest, x2)
            x = x2
            if done:
                found += 1
                first = episode if first is None else first
                break
        model.fit(np.array(X), np.array(Y), np.array(W), fit_steps)
    return {"first_treasure_episode": first, "treasure_episodes": found,
            "farthest": float(farthest)}
