"""Chapter 4: v2.0 overfits a wrong model, and two regularisers against it.

Version 2.0 trains a policy by gradient ascent on the return the model
*predicts* (:func:`mbrl_lessons.algorithms.schemes.model_return_loss`).  An
optimiser that follows the model's gradients also follows the model's
errors: wherever the model is wrong in the policy's favour, the policy learns
to go there.  This module measures that on the sled of
:mod:`mbrl_lessons.envs.ice`, whose random data never reach the ice, so a
model fitted to them is wrong exactly where the goal lies.  It trains the
same policy, from the same initial weights on the same start batches, four
ways:

- ``"true"``: backprop through the true sled (the control: the model is the
  world, so predicted and real return agree exactly);
- ``"single"``: through one MLP fitted to the data (plain v2.0);
- ``"ensemble"``: through every member of a bootstrap ensemble, each member
  rolling out its own trajectory, the loss the mean over members (the
  policy must do well in every model the data allow, not in one);
- ``"penalty"``: through the ensemble's mean prediction, with each reward
  reduced by ``penalty`` times the members' disagreement (pessimism where
  the data are thin, as MOPO does, Yu et al. 2020);
- ``"strong penalty"``: the same with the weight ``strong_penalty``.

Every ``eval_every`` policy steps it records, from a fixed set of start
states, the episode return the policy's model predicts and the return the
policy really gets (the true batched dynamics, which are the env's own step).
The gap between them is the overfitting.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from mbrl_lessons.core.nets import mlp
from mbrl_lessons.core.seeding import make_rng, stream_seed, torch_generator
from mbrl_lessons.envs import make
from mbrl_lessons.envs.ice import EPISODE_STEPS, crashed, ice_reward, ice_step
from mbrl_lessons.models import MLPDynamics, TrainConfig, fit_model
from mbrl_lessons.planning import run_episode

ICE_ID = "mbrl_lessons/IceSlide-v0"
OBS, ACT = 2, 1

VARIANTS = ("true", "single", "ensemble", "penalty", "strong penalty")


@dataclass(frozen=True)
class OverfitConfig:
    """One run of the experiment (defaults: the settings of the full-budget
    run, ``benchmarks/ch04_v2_overfit.py``)."""

    seed: int = 0
    """Seed of every random draw (data, models, policy, start states)."""
    n_data_episodes: int = 10
    """Episodes of random pushes the models are fitted on (v0.5's data on
    the sled: they never reach the ice)."""
    ensemble_size: int = 5
    """Members of the bootstrap ensemble (``"ensemble"``, ``"penalty"``)."""
    hidden: int = 64
    """Width of each model's two hidden layers."""
    train: TrainConfig = field(default_factory=lambda: TrainConfig(batch_size=64))
    """Model fitting (the same for every model)."""
    horizon: int = EPISODE_STEPS
    """Steps unrolled through the model per policy-gradient step."""
    policy_steps: int = 200
    """Policy-gradient steps."""
    batch: int = 32
    """Imagined start states per gradient step."""
    lr: float = 3e-3
    """Adam learning rate of the policy."""
    grad_clip: float = 10.0
    """Gradient-norm clipping (as ``v2_0_backprop``)."""
    penalty: float = 10.0
    """``"penalty"``: weight of the disagreement subtracted from each reward."""
    strong_penalty: float = 100.0
    """``"strong penalty"``: the same weight, larger."""
    eval_every: int = 25
    """Policy steps between two measurements of predicted and real return."""
    n_eval_starts: int = 16
    """Start states of every measurement (the same ones each time)."""

    def __post_init__(self) -> None:
        for name in ("n_data_episodes", "ensemble_size", "hidden", "horizon",
                     "batch", "eval_every", "n_eval_starts"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 1:
                raise ValueError(f"OverfitConfig.{name} must be a positive int, "
                                 f"got {v!r}")
        if self.ensemble_size < 2:
            raise ValueError("OverfitConfig.ensemble_size must be >= 2 (a "
                             f"disagreement needs two members), got "
                             f"{self.ensemble_size}")
        for name in ("policy_steps", "penalty", "strong_penalty"):
            if getattr(self, name) < 0:
                raise ValueError(f"OverfitConfig.{name} must be >= 0, got "
                                 f"{getattr(self, name)!r}")


def random_data(n_episodes: int, seed: int
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(obs, act, next_obs)`` of ``n_episodes`` episodes of uniformly random
    pushes on the sled, ``[N, 2], [N, 1], [N, 2]``."""
    env, rng = make(ICE_ID), make_rng(stream_seed(seed, "data actions"))
    obs, act, nxt = [], [], []
    for ep in range(n_episodes):
        _, o, a = run_episode(env, lambda _: rng.uniform(-1.0, 1.0, size=ACT),
                              stream_seed(seed, "data episode", ep))
        obs.append(o[:-1])
        act.append(a)
        nxt.append(o[1:])
    return tuple(np.concatenate(x) for x in (obs, act, nxt))


def fit_models(data, cfg: OverfitConfig) -> tuple[MLPDynamics, list[MLPDynamics]]:
    """The single model (all the data) and the ensemble (each member on its
    own bootstrap resample of the data, with its own initial weights)."""
    obs, act, nxt = data
    single = MLPDynamics(OBS, ACT, cfg.hidden, seed=stream_seed(cfg.seed, "single"))
    fit_model(single, obs, act, nxt, cfg.train, seed=stream_seed(cfg.seed, "single"))
    rng = make_rng(stream_seed(cfg.seed, "bootstrap"))
    members = []
    for k in range(cfg.ensemble_size):
        idx = rng.integers(len(obs), size=len(obs))
        m = MLPDynamics(OBS, ACT, cfg.hidden, seed=stream_seed(cfg.seed, "member", k))
        fit_model(m, obs[idx], act[idx], nxt[idx], cfg.train,
                  seed=stream_seed(cfg.seed, "member", k))
        members.append(m)
    for m in (single, *members):
        for p in m.parameters():
            p.requires_grad_(False)
    return single, members


class StackedModels:
    """``K`` fitted :class:`MLPDynamics` evaluated in one batched pass: their
    weights stacked to ``[K, in, out]``, so ``predict(obs [K, B, O], act
    [K, B, A]) -> [K, B, O]`` gives member ``k`` its own rows, as ``K`` calls
    of ``members[k].predict`` would (tested), at a fraction of the cost."""

    def __init__(self, members: list[MLPDynamics]) -> None:
        layers = [[m for m in mem.net if isinstance(m, torch.nn.Linear)]
                  for mem in members]
        self.weights = [torch.stack([ls[i].weight.detach().T for ls in layers])
                        for i in range(len(layers[0]))]  # [K, in, out]
        self.biases = [torch.stack([ls[i].bias.detach() for ls in layers])[:, None]
                       for i in range(len(layers[0]))]  # [K, 1, out]
        stat = {k: torch.stack([getattr(m, k) for m in members])[:, None]
                for k in ("in_mean", "in_std", "out_mean", "out_std")}
        self.in_mean, self.in_std = stat["in_mean"], stat["in_std"]
        self.out_mean, self.out_std = stat["out_mean"], stat["out_std"]
        self.size = len(members)

    def predict(self, obs: torch.Tensor, act: torch.Tensor) -> torch.Tensor:
        h = (torch.cat([obs, act], -1) - self.in_mean) / self.in_std
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            h = torch.baddbmm(b, h, w)
            if i < len(self.weights) - 1:
                h = torch.relu(h)
        return obs + h * self.out_std + self.out_mean


class TrueDynamics:
    """The true sled as a one-member "stack" (``predict`` takes any leading
    dimensions)."""

    size = 1

    @staticmethod
    def predict(obs: torch.Tensor, act: torch.Tensor) -> torch.Tensor:
        return ice_step(obs, act)


def _act(policy, obs):
    return torch.tanh(policy(obs))  # pushes in [-1, 1]


def rollout_return(policy, models, starts: torch.Tensor, horizon: int,
                   penalty: float = 0.0, mean_of_members: bool = False
                   ) -> torch.Tensor:
    """Predicted return ``[B]`` of ``policy`` from ``starts [B, 2]`` through
    ``models`` (a :class:`StackedModels` or :class:`TrueDynamics`), with the
    sled's reward and crash penalty.

    With ``mean_of_members=False`` every member rolls out its own trajectory
    and the returns are averaged over members (the ``"ensemble"`` objective;
    with one member, plain v2.0).  With ``mean_of_members=True`` one
    trajectory follows the members' mean prediction, and each reward is
    reduced by ``penalty`` times the members' disagreement, the norm of their
    standard deviation over the next observation (the ``"penalty"``
    objective)."""
    K, B = models.size, len(starts)
    if mean_of_members:
        obs, total = starts, torch.zeros(B)
        for _ in range(horizon):
            act = _act(policy, obs)
            preds = models.predict(obs.expand(K, B, OBS), act.expand(K, B, ACT))
            nxt = preds.mean(0)
            total = total + ice_reward(obs, act, nxt)
            if penalty:
                total = total - penalty * preds.std(0).norm(dim=-1)
            obs = nxt
        return total
    obs, total = starts.expand(K, B, OBS), torch.zeros(K, B)
    for _ in range(horizon):
        act = _act(policy, obs)
        nxt = models.predict(obs, act)
        total = total + ice_reward(obs, act, nxt)
        obs = nxt
    return total.mean(0)


def start_states(n: int, gen: torch.Generator) -> torch.Tensor:
    """``n`` start observations as the sled's ``reset`` draws them (at rest,
    ``x`` uniform in [-0.1, 0.1])."""
    x = 0.2 * torch.rand(n, generator=gen) - 0.1
    return torch.stack([x, torch.zeros(n)], -1)


def train_policy(variant: str, models: tuple[MLPDynamics, list[MLPDynamics]],
                 cfg: OverfitConfig) -> dict:
    """Train one policy by backprop through ``variant``'s model(s).

    Returns its curves, each the mean over ``n_eval_starts`` fixed start
    states, measured every ``eval_every`` steps: ``"predicted"``, the
    episode return the variant's model predicts (the quantity the optimiser
    raises; for the penalised variants without the penalty); ``"real"``, the same
    policy's true return from the same starts; ``"crashed"``, the share of
    those real episodes that hit the wall too fast.  ``"gap"`` is the last
    ``predicted - real``: the overfitting."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    single, members = models
    stack = {"true": TrueDynamics(), "single": StackedModels([single])}.get(
        variant) or StackedModels(members)
    mean_of_members = variant in ("penalty", "strong penalty")
    pen = {"penalty": cfg.penalty, "strong penalty": cfg.strong_penalty}.get(
        variant, 0.0)
    # every variant: the same initial policy, start batches and test starts
    policy = mlp(OBS, ACT, hidden=32, layers=2, seed=stream_seed(cfg.seed, "policy"))
    opt = torch.optim.Adam(policy.parameters(), lr=cfg.lr)
    gen = torch_generator(stream_seed(cfg.seed, "policy batches"))
    test = start_states(cfg.n_eval_starts,
                        torch_generator(stream_seed(cfg.seed, "test starts")))
    out = {"step": [], "predicted": [], "real": [], "crashed": []}

    def measure(step):
        with torch.no_grad():
            pred = rollout_return(policy, stack, test, cfg.horizon,
                                  mean_of_members=mean_of_members)
            real = rollout_return(policy, TrueDynamics(), test, cfg.horizon)
            out["crashed"].append(float(real_crashes(policy, test,
                                                     cfg.horizon).mean()))
        out["step"].append(step)
        out["predicted"].append(float(pred.mean()))
        out["real"].append(float(real.mean()))

    measure(0)
    for step in range(1, cfg.policy_steps + 1):
        loss = -rollout_return(policy, stack, start_states(cfg.batch, gen),
                               cfg.horizon, pen, mean_of_members).mean()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(policy.parameters(), cfg.grad_clip)
        opt.step()
        if step % cfg.eval_every == 0 or step == cfg.policy_steps:
            measure(step)
    for k in ("predicted", "real", "crashed"):
        out[f"final_{k}"] = out[k][-1]
    out["gap"] = out["final_predicted"] - out["final_real"]
    return out


def real_crashes(policy, starts: torch.Tensor, horizon: int) -> torch.Tensor:
    """Whether each real episode of ``policy`` from ``starts`` crashed ``[B]``."""
    obs, hit = starts, torch.zeros(len(starts), dtype=torch.bool)
    with torch.no_grad():
        for _ in range(horizon):
            act = _act(policy, obs)
            nxt = ice_step(obs, act)
            hit |= crashed(obs, act, nxt)
            obs = nxt
    return hit.float()


def overfit_experiment(cfg: OverfitConfig = OverfitConfig(),
                       variants: tuple[str, ...] = VARIANTS) -> dict:
    """One seed: fit the models once, then train one policy per variant."""
    models = fit_models(random_data(cfg.n_data_episodes, cfg.seed), cfg)
    return {v: train_policy(v, models, cfg) for v in variants}
