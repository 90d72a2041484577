"""Chapter 8: benefits and drawbacks of model-based RL, measured on the pendulum.

Three small experiments and a few probes, all on Pendulum-v1's dynamics:

- **Transfer** (:func:`transfer_experiment`): learn one dynamics model from
  random-torque data, then solve NEW tasks with MPC by handing the planner a
  new reward function only — no new data, no retraining.  Compared with MPC on
  the true dynamics (the ceiling), with a policy trained for the old task and
  used unchanged, and with a policy retrained inside the model for the new
  task (no new data, but new training).
- **Safety** (:func:`safety_experiment`): a bootstrapped ensemble trained only
  on slow states; the planner's objective subtracts ``penalty`` times the
  ensemble's disagreement beyond its typical level on the training data
  (pessimism), which keeps the real pendulum inside the region the data
  covered.  Steps outside that region are counted as violations.
- **Explainability** (:func:`vector_field`): the learned model's phase portrait
  next to the true one, with the ensemble's disagreement, so one can *see*
  where the model can be trusted.
- **Overheads** (:func:`seconds_per_action`, :func:`count_settings`): the
  compute per action and the number of settings of each agent.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import gymnasium as gym
import numpy as np
import torch

from mbrl_lessons.algorithms.schemes import model_return_loss
from mbrl_lessons.analysis.model_learning import pendulum_trajectories, transitions
from mbrl_lessons.core.nets import mlp
from mbrl_lessons.core.progress import tqdm
from mbrl_lessons.core.seeding import make_rng, stream_seed, torch_generator
from mbrl_lessons.envs.pendulum import (
    MAX_SPEED,
    MAX_TORQUE,
    angle_normalize,
    pendulum_reward,
    pendulum_step,
)
from mbrl_lessons.envs.rewards import RewardFn
from mbrl_lessons.models import MLPDynamics, ModelEnv, TrainConfig, TrueModel, fit_model
from mbrl_lessons.models.ensemble import (
    EnsembleTrainConfig,
    GaussianEnsemble,
    fit_ensemble,
)
from mbrl_lessons.planning import CEMPlanner, MPCAgent, PlannerConfig


# ----------------------------------------------------------------- new tasks
def _check_obs_act(obs: torch.Tensor, act: torch.Tensor) -> None:
    if obs.shape[-1] != 3 or act.shape[-1] != 1:
        raise ValueError(f"expected pendulum obs [..., 3] and act [..., 1], got "
                         f"{tuple(obs.shape)} and {tuple(act.shape)}")


def target_angle_reward(target: float) -> RewardFn:
    """Reward for holding the pole at angle ``target`` (radians, 0 = upright):
    ``-(angle_error^2 + 0.1 th_dot^2 + 0.001 u^2)``, the swing-up reward with
    its set point moved.  ``target=0`` gives back the swing-up reward."""
    if not math.isfinite(target):
        raise ValueError(f"target must be a finite angle in radians, got {target}")

    def reward(obs: torch.Tensor, act: torch.Tensor,
               next_obs: torch.Tensor | None = None) -> torch.Tensor:
        _check_obs_act(obs, act)
        th = torch.atan2(obs[..., 1], obs[..., 0])
        err = angle_normalize(th - target)
        u = act[..., 0].clamp(-MAX_TORQUE, MAX_TORQUE)
        return -(err.square() + 0.1 * obs[..., 2].square() + 0.001 * u.square())

    return reward


def spin_reward(speed: float) -> RewardFn:
    """Reward for spinning at angular speed ``speed`` (rad/s; positive is
    counter-clockwise): ``-(0.1 (th_dot - speed)^2 + 0.001 u^2)``."""
    if not 0 < abs(speed) <= MAX_SPEED:
        raise ValueError(f"speed must be non-zero with |speed| <= {MAX_SPEED}, "
                         f"got {speed}")

    def reward(obs: torch.Tensor, act: torch.Tensor,
               next_obs: torch.Tensor | None = None) -> torch.Tensor:
        _check_obs_act(obs, act)
        u = act[..., 0].clamp(-MAX_TORQUE, MAX_TORQUE)
        return -(0.1 * (obs[..., 2] - speed).square() + 0.001 * u.square())

    return reward


TASKS: dict[str, RewardFn] = {
    "swing-up": pendulum_reward,
    "horizontal": target_angle_reward(math.pi / 2),
    "tilted hang": target_angle_reward(math.pi - 0.35),
    "spin": spin_reward(5.0),
}
"""The old task (swing-up) and new ones: get the pole as close as possible to
horizontal (the motor is too weak to hold it there, see chapter 8); hang 0.35
rad (20 degrees) to the side of the bottom; spin counter-clockwise at 5 rad/s
(from a hanging start, short-horizon MPC does not find it: an exercise)."""


def episode_return(reward_fn: RewardFn, obs: np.ndarray, act: np.ndarray) -> float:
    """The return of a real trajectory ``obs [T + 1, 3], act [T, 1]`` under
    ``reward_fn`` (charged on the state before each step, as gymnasium does)."""
    if len(obs) != len(act) + 1:
        raise ValueError(f"obs needs one more row than act, got {len(obs)} and "
                         f"{len(act)}")
    with torch.no_grad():
        r = reward_fn(torch.as_tensor(obs[:-1], dtype=torch.float32),
                      torch.as_tensor(act, dtype=torch.float32),
                      torch.as_tensor(obs[1:], dtype=torch.float32))
    return float(r.sum())


def hanging_episode(act_fn: Callable, steps: int, seed: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """One real Pendulum-v1 episode of ``steps`` steps that starts hanging
    (angle within 0.2 rad of the bottom, speed within 0.2 rad/s, drawn from
    ``seed``), so every method faces the whole task.  Returns ``obs [T + 1, 3]``
    and ``act [T, 1]``."""
    env = gym.make("Pendulum-v1", max_episode_steps=steps)
    env.reset(seed=seed)
    rng = make_rng(seed)
    th, thdot = np.pi + rng.uniform(-0.2, 0.2), rng.uniform(-0.2, 0.2)
    env.unwrapped.state = np.array([th, thdot])
    obs = np.array([np.cos(th), np.sin(th), thdot], dtype=np.float32)
    observations, actions = [obs], []
    for _ in range(steps):
        a = np.clip(np.asarray(act_fn(obs), dtype=np.float32).reshape(1),
                    -MAX_TORQUE, MAX_TORQUE)
        obs, *_ = env.step(a)
        observations.append(obs)
        actions.append(a)
    return np.array(observations), np.array(actions)


def real_returns(act_fn_factory: Callable[[], Callable], reward_fn: RewardFn,
                 n_episodes: int, seed: int, steps: int = 200
                 ) -> tuple[list[float], list[np.ndarray]]:
    """Run ``n_episodes`` real episodes (see :func:`hanging_episode`) and score
    them with ``reward_fn``.  ``act_fn_factory()`` is called once per episode
    (so an MPC agent starts each episode afresh).  Episode ``ep`` starts from
    the named stream ``stream_seed(seed, "start", ep)``, so every method run
    with the same ``seed`` faces the same starts, and different seeds share
    none.  Returns the returns and the observation trajectories."""
    if n_episodes < 1 or steps < 1:
        raise ValueError(f"n_episodes and steps must be >= 1, got {n_episodes}, "
                         f"{steps}")
    rets, trajs = [], []
    for ep in range(n_episodes):
        obs, act = hanging_episode(act_fn_factory(), steps,
                                   stream_seed(seed, "start", ep))
        rets.append(episode_return(reward_fn, obs, act))
        trajs.append(obs)
    return rets, trajs


# ------------------------------------------------------------------ transfer
@dataclass(frozen=True)
class TransferConfig:
    """The transfer experiment (defaults: the full budget)."""

    n_traj: int = 200
    """Random-torque trajectories for the one model (start anywhere)."""
    length: int = 20
    """Steps per data trajectory (``n_traj * length`` transitions in all)."""
    hidden: int = 128
    """Width of the model's two hidden layers."""
    train: TrainConfig = field(default_factory=TrainConfig)
    """Model training."""
    planner: PlannerConfig = field(default_factory=lambda: PlannerConfig(
        horizon=25, n_candidates=300, n_iterations=4, n_elites=30))
    """CEM settings for every MPC agent (learned and true model alike)."""
    policy_steps: int = 400
    """Gradient steps of each policy trained inside the model (v2.0 style)."""
    policy_horizon: int = 20
    """Steps unrolled through the model per policy gradient step."""
    policy_batch: int = 128
    """Imagined start states per policy gradient step."""
    steps: int = 200
    """Length of each real evaluation episode."""
    n_episodes: int = 3
    """Real evaluation episodes per method and task."""
    tasks: tuple[str, ...] = ("swing-up", "horizontal", "tilted hang")
    """Keys of :data:`TASKS`; the first is the OLD task the policy learns."""


def learn_pendulum_model(n_traj: int, length: int, hidden: int = 128,
                         train: TrainConfig | None = None, seed: int = 0
                         ) -> tuple[MLPDynamics, np.ndarray]:
    """Fit an :class:`MLPDynamics` to random-torque trajectories started
    anywhere in the state space; returns the model and the observations it
    saw (``[N, 3]``, used as start states for policy training).  The data,
    the initial weights and the minibatches draw from the named streams
    ``"data"``, ``"model_init"`` and ``"model_fit"`` of ``seed``."""
    obs, act, nxt = transitions(*pendulum_trajectories(
        n_traj, length, stream_seed(seed, "data")))
    model = MLPDynamics(3, 1, hidden, seed=stream_seed(seed, "model_init"))
    fit_model(model, obs, act, nxt, train or TrainConfig(),
              seed=stream_seed(seed, "model_fit"))
    for p in model.parameters():
        p.requires_grad_(False)
    return model, obs


def train_policy_in_model(model, reward_fn: RewardFn, starts: np.ndarray,
                          steps: int = 600, horizon: int = 25, batch: int = 256,
                          lr: float = 3e-3, seed: int = 0) -> torch.nn.Module:
    """Chapter 4's v2.0: a tanh policy trained by backpropagating the model's
    predicted return of ``reward_fn`` over ``horizon`` steps from start states
    drawn from ``starts [N, 3]``.  Uses no real data beyond ``starts``."""
    policy = mlp(3, 1, hidden=64, layers=2, seed=seed)
    opt = torch.optim.Adam(policy.parameters(), lr=lr)
    gen = torch_generator(seed)
    s = torch.as_tensor(starts, dtype=torch.float32)
    for _ in tqdm(range(steps), desc="policy", leave=False):
        idx = torch.randint(len(s), (batch,), generator=gen)
        loss = model_return_loss(policy, model, s[idx], horizon, reward_fn,
                                 max_action=MAX_TORQUE)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(policy.parameters(), 10.0)
        opt.step()
    return policy


def policy_act_fn(policy: torch.nn.Module) -> Callable:
    """``obs -> action`` for a tanh policy from :func:`train_policy_in_model`."""
    @torch.no_grad()
    def act(obs):
        o = torch.as_tensor(obs, dtype=torch.float32)
        return (MAX_TORQUE * torch.tanh(policy(o))).numpy()
    return act


def mpc_factory(model, reward_fn: RewardFn, cfg: PlannerConfig, seed: int
                ) -> Callable[[], Callable]:
    """A factory of fresh MPC agents (CEM on ``model`` with ``reward_fn``)."""
    def make():
        planner = CEMPlanner(ModelEnv(model, reward_fn), -MAX_TORQUE, MAX_TORQUE,
                             cfg, seed=seed)
        return MPCAgent(planner).act
    return make


def random_factory(seed: int) -> Callable[[], Callable]:
    """A factory of uniformly random torque policies."""
    rng = make_rng(seed)
    return lambda: (lambda obs: rng.uniform(-MAX_TORQUE, MAX_TORQUE, 1))


TRANSFER_METHODS = ("random", "old-task policy", "policy retrained in model",
                    "MPC, learned model", "MPC, true model")


class TransferResult(NamedTuple):
    tasks: tuple[str, ...]
    returns: dict[str, dict[str, list[float]]]  # task -> method -> returns
    score: dict[str, dict[str, float]]  # task -> method -> normalised score
    trajectories: dict[str, dict[str, np.ndarray]]  # task -> method -> obs [T+1, 3]
    train_seconds: dict[str, float]  # model fit, each policy fit
    n_transitions: int


def normalised_score(ret: float, random_ret: float, ceiling_ret: float) -> float:
    """``(ret - random) / (ceiling - random)``: 0 = random torques, 1 = MPC on
    the true dynamics.  Returns are negative costs, so a ratio of raw returns
    would mislead."""
    if ceiling_ret <= random_ret:
        raise ValueError(f"the ceiling ({ceiling_ret:.1f}) must beat random "
                         f"({random_ret:.1f}) for a normalised score")
    return (ret - random_ret) / (ceiling_ret - random_ret)


def transfer_experiment(cfg: TransferConfig = TransferConfig(), seed: int = 0
                        ) -> TransferResult:
    """Learn one model; solve every task in ``cfg.tasks`` with it (see the
    module docstring).  The first task is the old one.  Every method is scored
    on the same real episode starts (``real_returns`` with ``seed``); each
    policy trained in the model starts from the same initial weights (stream
    ``"policy"``), and every planner searches with stream ``"planner"``."""
    unknown = [t for t in cfg.tasks if t not in TASKS]
    if unknown or not cfg.tasks:
        raise ValueError(f"tasks must be keys of TASKS {sorted(TASKS)}, got "
                         f"{cfg.tasks}")
    secs: dict[str, float] = {}
    t0 = time.perf_counter()
    model, starts = learn_pendulum_model(cfg.n_traj, cfg.length, cfg.hidden,
                                         cfg.train, seed)
    secs["model"] = time.perf_counter() - t0
    old = cfg.tasks[0]
    t0 = time.perf_counter()
    policy_seed, plan_seed = stream_seed(seed, "policy"), stream_seed(seed, "planner")
    old_policy = train_policy_in_model(model, TASKS[old], starts, cfg.policy_steps,
                                       cfg.policy_horizon, cfg.policy_batch,
                                       seed=policy_seed)
    secs[f"policy for {old}"] = time.perf_counter() - t0
    true_model = TrueModel(pendulum_step)
    returns: dict = {}
    trajs: dict = {}
    for task in tqdm(cfg.tasks, desc="tasks", leave=False):
        reward_fn = TASKS[task]
        if task == old:
            new_policy = old_policy
        else:
            t0 = time.perf_counter()
            new_policy = train_policy_in_model(model, reward_fn, starts,
                                               cfg.policy_steps, cfg.policy_horizon,
                                               cfg.policy_batch, seed=policy_seed)
            secs[f"policy for {task}"] = time.perf_counter() - t0
        factories = {
            "random": random_factory(stream_seed(seed, "random_torque")),
            "old-task policy": lambda p=old_policy: policy_act_fn(p),
            "policy retrained in model": lambda p=new_policy: policy_act_fn(p),
            "MPC, learned model": mpc_factory(model, reward_fn, cfg.planner,
                                              plan_seed),
            "MPC, true model": mpc_factory(true_model, reward_fn, cfg.planner,
                                           plan_seed),
        }
        returns[task], trajs[task] = {}, {}
        for name in TRANSFER_METHODS:
            rets, obs = real_returns(factories[name], reward_fn, cfg.n_episodes,
                                     seed, cfg.steps)
            returns[task][name] = rets
            trajs[task][name] = obs[0]
    score = {task: {name: normalised_score(float(np.mean(r)),
                                           float(np.mean(returns[task]["random"])),
                                           float(np.mean(
                                               returns[task]["MPC, true model"])))
                    for name, r in returns[task].items()}
             for task in cfg.tasks}
    return TransferResult(tuple(cfg.tasks), returns, score, trajs, secs, len(starts))


# -------------------------------------------------------------------- safety
class EnsembleDynamics:
    """The package's :class:`~mbrl_lessons.models.ensemble.GaussianEnsemble`,
    fitted to the change of state and read as dynamics.

    ``predict_members(obs [B, 3], act [B, 1]) -> [E, B, 3]`` next observations,
    one per member (each member's mean); :meth:`predict` is their mean (a
    ``DynamicsModel``).  :func:`~mbrl_lessons.models.ensemble.fit_ensemble`
    trains every member on its own bootstrap resample of all the rows (no
    held-out split) for ``epochs * ceil(N / batch_size)`` steps of
    ``batch_size`` rows, by the plain Gaussian NLL (``beta=0``).  The initial
    weights and the resamples draw from the streams ``"ensemble_init"`` and
    ``"ensemble_fit"`` of ``seed``."""

    def __init__(self, obs: np.ndarray, act: np.ndarray, next_obs: np.ndarray,
                 n_members: int = 5, hidden: int = 64, epochs: int = 100,
                 seed: int = 0, batch_size: int = 128, lr: float = 3e-3) -> None:
        if n_members < 2:
            raise ValueError(f"an ensemble needs n_members >= 2, got {n_members}")
        x = np.hstack([obs, act]).astype(np.float32)
        d = (next_obs - obs).astype(np.float32)
        self.model = GaussianEnsemble(x.shape[1], d.shape[1], n_members, hidden,
                                      layers=2,
                                      seed=stream_seed(seed, "ensemble_init"))
        steps = epochs * math.ceil(len(x) / batch_size)
        self.fit = fit_ensemble(self.model, x, d, EnsembleTrainConfig(
            steps=steps, batch_size=batch_size, lr=lr, beta=0.0),
            seed=stream_seed(seed, "ensemble_fit"))
        self.model.requires_grad_(False)
        self.n_members = n_members

    @torch.no_grad()
    def predict_members(self, obs: torch.Tensor, act: torch.Tensor) -> torch.Tensor:
        """``obs [B, 3], act [B, 1] -> [E, B, 3]``: each member's next obs."""
        _check_obs_act(obs, act)
        x = torch.cat([obs, act], -1).expand(self.n_members, -1, -1)
        deltas, _ = self.model.predict(x)  # the means; the variances are not used
        return obs + deltas

    def predict(self, obs: torch.Tensor, act: torch.Tensor) -> torch.Tensor:
        return self.predict_members(obs, act).mean(0)

    def disagreement(self, obs: torch.Tensor, act: torch.Tensor) -> torch.Tensor:
        """``[B]``: the norm of the members' standard deviation of the next
        observation (epistemic uncertainty)."""
        return self.predict_members(obs, act).std(0, unbiased=False).norm(dim=-1)


class PessimisticModelEnv:
    """A model environment whose returns are penalised by disagreement:

    ``J(a_{0:H}) = sum_t [ r(s_t, a_t) - penalty * max(0, u(s_t, a_t) / u_ref - 1) ]``,

    with ``s_{t+1}`` the ensemble mean, ``u`` its disagreement and ``u_ref`` a
    level of disagreement the ensemble shows on its own training data (below
    it, a state counts as known and costs nothing; above it, the cost grows
    linearly, in units of ``u_ref``).  ``penalty=0`` is the plain mean-model
    planner.  Plugs into :class:`CEMPlanner`, which only calls
    :meth:`returns`."""

    def __init__(self, ensemble: EnsembleDynamics, reward_fn: RewardFn,
                 penalty: float, u_ref: float = 1.0) -> None:
        if penalty < 0:
            raise ValueError(f"penalty must be >= 0, got {penalty}")
        if u_ref <= 0:
            raise ValueError(f"u_ref must be > 0, got {u_ref}")
        self.ensemble, self.reward_fn = ensemble, reward_fn
        self.penalty, self.u_ref = penalty, u_ref

    @torch.no_grad()
    def returns(self, obs0: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        if actions.ndim != 3:
            raise ValueError(f"actions must be [B, H, A], got {tuple(actions.shape)}")
        B, H, _ = actions.shape
        obs = obs0.expand(B, -1) if obs0.ndim == 1 else obs0
        total = torch.zeros(B)
        for t in range(H):
            nxt = self.ensemble.predict_members(obs, actions[:, t])
            mean = nxt.mean(0)
            total += self.reward_fn(obs, actions[:, t], mean)
            if self.penalty > 0:
                u = nxt.std(0, unbiased=False).norm(dim=-1)
                total -= self.penalty * torch.relu(u / self.u_ref - 1.0)
            obs = mean
        return total


@dataclass(frozen=True)
class SafetyConfig:
    """The safety experiment (defaults: the full budget)."""

    speed_limit: float = 4.0
    """The data (and the safe region) only covers ``|th_dot| <= speed_limit``."""
    n_train: int = 3000
    """Training transitions, states uniform in the safe region."""
    n_members: int = 5
    """Ensemble members."""
    hidden: int = 64
    """Width of each member's two hidden layers."""
    epochs: int = 100
    """Passes over the data (of 128-row minibatches): the most gradient steps
    per member."""
    planner: PlannerConfig = field(default_factory=lambda: PlannerConfig(
        horizon=15, n_candidates=150, n_iterations=3, n_elites=15))
    """CEM settings."""
    penalties: tuple[float, ...] = (0.0, 3.0, 10.0, 30.0)
    """Disagreement penalties compared (0 = the plain mean-model planner)."""
    known_quantile: float = 0.5
    """``u_ref`` is this quantile of the disagreement on the training data."""
    steps: int = 200
    """Length of each real episode."""
    n_episodes: int = 3
    """Real episodes per penalty."""


def safe_region_data(n: int, speed_limit: float, seed: int = 0
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` true transitions from states uniform in angle and in
    ``|th_dot| <= speed_limit``, with uniform torques (a cautious operator's
    log)."""
    if not 0 < speed_limit <= MAX_SPEED:
        raise ValueError(f"speed_limit must be in (0, {MAX_SPEED}], got "
                         f"{speed_limit}")
    rng = make_rng(seed)
    th = rng.uniform(-np.pi, np.pi, n)
    thdot = rng.uniform(-speed_limit, speed_limit, n)
    obs = torch.tensor(np.stack([np.cos(th), np.sin(th), thdot], -1),
                       dtype=torch.float32)
    act = torch.tensor(rng.uniform(-MAX_TORQUE, MAX_TORQUE, (n, 1)),
                       dtype=torch.float32)
    return obs.numpy(), act.numpy(), pendulum_step(obs, act).numpy()


class SafetyResult(NamedTuple):
    penalties: tuple[float, ...]
    returns: dict[float, list[float]]      # swing-up return per episode
    violations: dict[float, list[float]]   # share of steps with |th_dot| > limit
    trajectories: dict[float, np.ndarray]  # first episode's obs [T+1, 3]
    speed_limit: float
    ensemble: EnsembleDynamics
    u_ref: float                           # disagreement counted as "known"


def safety_experiment(cfg: SafetyConfig = SafetyConfig(), seed: int = 0
                      ) -> SafetyResult:
    """Swing-up with an ensemble trained on slow states only, for each
    disagreement penalty; counts the real steps outside the data's region.
    The training data, the sample that sets ``u_ref``, the ensemble and the
    planner draw from the named streams ``"data"``, ``"u_ref_data"``,
    ``"ensemble"`` and ``"planner"`` of ``seed``; every penalty is scored on the
    same real episode starts (``real_returns`` with ``seed``)."""
    if not cfg.penalties:
        raise ValueError("penalties must name at least one value")
    ens = EnsembleDynamics(*safe_region_data(cfg.n_train, cfg.speed_limit,
                                             stream_seed(seed, "data")),
                           n_members=cfg.n_members, hidden=cfg.hidden,
                           epochs=cfg.epochs, seed=stream_seed(seed, "ensemble"))
    o, a, _ = safe_region_data(cfg.n_train, cfg.speed_limit,
                               stream_seed(seed, "u_ref_data"))
    plan_seed = stream_seed(seed, "planner")
    u_train = ens.disagreement(torch.as_tensor(o), torch.as_tensor(a)).numpy()
    u_ref = float(np.quantile(u_train, cfg.known_quantile))
    returns, viol, trajs = {}, {}, {}
    for pen in tqdm(cfg.penalties, desc="penalties", leave=False):
        menv = PessimisticModelEnv(ens, pendulum_reward, pen, u_ref)

        def make(menv=menv):
            planner = CEMPlanner(menv, -MAX_TORQUE, MAX_TORQUE, cfg.planner,
                                 seed=plan_seed)
            return MPCAgent(planner).act

        rets, obs = real_returns(make, pendulum_reward, cfg.n_episodes, seed,
                                 cfg.steps)
        returns[pen] = rets
        viol[pen] = [float(np.mean(np.abs(o[1:, 2]) > cfg.speed_limit)) for o in obs]
        trajs[pen] = obs[0]
    return SafetyResult(tuple(cfg.penalties), returns, viol, trajs, cfg.speed_limit,
                        ens, u_ref)


# ------------------------------------------------------------ explainability
class VectorField(NamedTuple):
    th: np.ndarray        # [n] grid of angles
    thdot: np.ndarray     # [m] grid of speeds
    true: np.ndarray      # [m, n, 2] true (d th, d th_dot) per step
    predicted: np.ndarray  # [m, n, 2] the model's
    disagreement: np.ndarray | None  # [m, n] ensemble disagreement, if any


@torch.no_grad()
def vector_field(model, n: int = 25, m: int = 21, torque: float = 0.0
                 ) -> VectorField:
    """The one-step change of ``(th, th_dot)`` on a grid over the whole state
    space with a constant ``torque``, from the true dynamics and from
    ``model`` (anything with ``predict``; an :class:`EnsembleDynamics` also
    gives its disagreement)."""
    if n < 2 or m < 2:
        raise ValueError(f"need a grid of at least 2 x 2, got n={n}, m={m}")
    th = np.linspace(-np.pi, np.pi, n)
    thdot = np.linspace(-MAX_SPEED, MAX_SPEED, m)
    T, W = np.meshgrid(th, thdot)
    obs = torch.tensor(np.stack([np.cos(T), np.sin(T), W], -1).reshape(-1, 3),
                       dtype=torch.float32)
    act = torch.full((len(obs), 1), float(torque))

    def change(nxt):
        dth = angle_normalize(torch.atan2(nxt[:, 1], nxt[:, 0])
                              - torch.atan2(obs[:, 1], obs[:, 0]))
        return torch.stack([dth, nxt[:, 2] - obs[:, 2]], -1).numpy().reshape(m, n, 2)

    dis = None
    if isinstance(model, EnsembleDynamics):
        dis = model.disagreement(obs, act).numpy().reshape(m, n)
    return VectorField(th, thdot, change(pendulum_step(obs, act)),
                       change(model.predict(obs, act)), dis)


# ---------------------------------------------------------------- overheads
def seconds_per_action(act_fn: Callable, obs: np.ndarray, n_calls: int = 20
                       ) -> float:
    """Median wall-clock seconds of ``act_fn(obs)`` over ``n_calls`` calls."""
    if n_calls < 1:
        raise ValueError(f"n_calls must be >= 1, got {n_calls}")
    times = []
    for _ in range(n_calls):
        t0 = time.perf_counter()
        act_fn(obs)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def count_settings(*configs: type) -> dict[str, int]:
    """The number of fields of each config dataclass (its tunable settings)."""
    out = {}
    for c in configs:
        if not dataclasses.is_dataclass(c):
            raise TypeError(f"expected a dataclass type, got {c!r}")
        out[c.__name__] = len(dataclasses.fields(c))
    return out
