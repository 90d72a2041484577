"""Live inputs the checks hand to a learner's function: toy environments,
callbacks, small torch models.

They are built *inside the submission's process* from a spec the trusted
side sends (``wire.fx(name, **params)``), because the learner's function must
call them.  Nothing here computes an exercise's answer: these are the
questions, never the reference solutions.  A fixture with internal state
(what an environment executed, a model's gradients) reports it through a
``grader_state()`` method; the state travels back by value and the trusted
side judges it.  The same builders give the trusted side identical objects
(same seeds) for computing the expected answers.
"""

from __future__ import annotations

import numpy as np


# --------------------------------------------------------------- chapter 4
class ToyEnv:
    """A 1-D toy: obs is the step count; reward = -|action - obs|; 5 steps."""

    def __init__(self):
        self.t = 0
        self.executed = []

    def reset(self, seed=None):
        self.t = 0
        self.executed = []
        return np.array([0.0]), {}

    def step(self, action):
        a = float(np.asarray(action).reshape(-1)[0])
        self.executed.append(a)
        r = -abs(a - self.t)
        self.t += 1
        return np.array([float(self.t)]), r, False, self.t >= 5, {}

    def grader_state(self):
        return {"executed": list(self.executed)}


class FirstGoodPlanner:
    """Plans ``[[o], [o + 100], [o + 200]]``: only the first action is good."""

    def __init__(self):
        self.seen = []

    def __call__(self, obs):
        self.seen.append(float(np.asarray(obs).reshape(-1)[0]))
        o = self.seen[-1]
        return np.array([[o], [o + 100.0], [o + 200.0]])

    def grader_state(self):
        return {"seen": list(self.seen)}


def v2_setup():
    """The v2.0-loss check's policy, linear model, reward and start states."""
    import torch

    gen = torch.Generator().manual_seed(0)
    policy = torch.nn.Linear(2, 1)
    with torch.no_grad():
        policy.weight.copy_(torch.tensor([[-0.5, 0.2]]))
        policy.bias.zero_()
    A = torch.tensor([[0.9, 0.1], [0.0, 0.95]])

    def model_step(obs, act):
        return obs @ A.T + torch.cat([torch.zeros_like(act), act], -1)

    def reward_fn(obs, act):
        return -(obs ** 2).sum(-1) - 0.1 * (act ** 2).sum(-1)

    starts = torch.randn(16, 2, generator=gen)
    return policy, model_step, reward_fn, starts


class _GradReport:
    """Wraps a torch module so its gradients can be reported after backward."""

    def __init__(self, module, names):
        self.module, self.names = module, names

    def grader_state(self):
        params = dict(self.module.named_parameters())
        return {n: (None if params[n].grad is None else params[n].grad.detach().numpy())
                for n in self.names}


def _v2_policy():
    policy = v2_setup()[0]
    policy.grader_state = _GradReport(policy, ["weight", "bias"]).grader_state
    return policy


# --------------------------------------------------------------- chapter 5
def _overshoot_predict():
    def predict(s, a):  # a model that always moves 1 too far
        return s + a + 1.0
    return predict


def _linear_predict(w):
    w = np.asarray(w, dtype=float)

    def predict(s, a):
        return s @ w + a
    return predict


def _identity_encode():
    def encode(o):
        return o
    return encode


def _add_step():
    def step(z, a):
        return z + a
    return step


def latent_setup(seed=0):
    """A small LatentModel whose transition does work, and a batch of windows."""
    import torch

    from mbrl_lessons.models.latent import LatentConfig, LatentModel

    cfg = LatentConfig(image_size=4, latent_dim=3, hidden=16, trans_hidden=16,
                       seed=seed)
    model = LatentModel(cfg)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():  # the package starts f(z, a) = z; make the step do work
        last = model.transition[-1]
        last.weight.copy_(0.3 * torch.randn(last.weight.shape, generator=gen))
        last.bias.copy_(0.1 * torch.randn(last.bias.shape, generator=gen))
    obs = torch.rand(6, 4, 2, 4, 4, generator=gen)      # B = 6 windows, K = 3
    act = 2.0 * torch.rand(6, 3, 1, generator=gen) - 1.0
    return model, obs, act


def encoder_and_transition_grads(model):
    enc = np.concatenate([p.grad.flatten().numpy() if p.grad is not None
                          else np.zeros(p.numel()) for p in model.encoder.parameters()])
    w = model.transition[0].weight.grad
    return {"encoder": enc, "transition": None if w is None else w.numpy()}


class _LatentHolder:
    def __init__(self, seed):
        self.model = latent_setup(seed)[0]
        self.encode, self.step = self.model.encode, self.model.step

    def grader_state(self):
        return encoder_and_transition_grads(self.model)


# --------------------------------------------------------------- chapter 7
def _ones_policy():
    def policy(s):
        return np.ones((len(s), 1))
    return policy


def _counting_model():
    def model(s, a):            # move by the action; reward = the state itself
        return s + a, s[:, 0].copy()
    return model


def branched_setup():
    rng = np.random.default_rng(2)
    w, u = rng.normal(size=(3, 3)) * 0.4, rng.normal(size=(3, 2))

    def policy(s):
        return np.tanh(s @ u)

    def model(s, a):
        s2 = s @ w + 0.1 * a.sum(1, keepdims=True)
        return s2, -np.sum(s2 ** 2, axis=1)

    return policy, model, rng.normal(size=(8, 3))


# --------------------------------------------------------------- chapter 8
def line_model(s, a):
    """A 1-d world: the action is added to the state."""
    return s + a


def go_to(target: float):
    """Reward ``-(s - target)^2`` (charged on the state before each step)."""
    def reward(obs, act, next_obs=None):  # the package convention, next_obs unused
        return -(obs[..., 0] - target) ** 2
    return reward


def two_members(obs, act):
    """Two members that differ by (0.6, 0.8): population std (0.3, 0.4), u = 0.5."""
    import torch

    base = obs + act
    return torch.stack([base, base + torch.tensor([0.6, 0.8])])


def first_coord(obs, act, next_obs=None):
    return obs[..., 0]


def random_ensemble(seed: int, n_members: int = 4):
    import torch

    gen = torch.Generator().manual_seed(seed)
    W = torch.eye(3) + 0.15 * torch.randn(n_members, 3, 3, generator=gen)
    U = 0.3 * torch.randn(n_members, 1, 3, generator=gen)
    b = 0.05 * torch.randn(n_members, 1, 3, generator=gen)

    def predict_members(obs, act):   # [B, 3], [B, 1] -> [E, B, 3]
        return obs @ W + act @ U + b

    return predict_members, gen


def _pendulum_step():
    from mbrl_lessons.envs.pendulum import pendulum_step
    return pendulum_step


def _pendulum_reward():
    from mbrl_lessons.envs.pendulum import pendulum_reward
    return pendulum_reward


def small_mlp():
    from mbrl_lessons.models import MLPDynamics
    return MLPDynamics(3, 1, hidden=16, seed=3)   # untrained: any model will do


def _task_reward(task):
    from mbrl_lessons.analysis.benefits import TASKS
    return TASKS[task]


BUILDERS = {
    "rng": lambda seed: np.random.default_rng(seed),
    "toy_env": ToyEnv,
    "first_good_planner": FirstGoodPlanner,
    "constant_planner": lambda value: (lambda obs: np.array([[float(value)]])),
    "v2_policy": _v2_policy,
    "v2_model_step": lambda: v2_setup()[1],
    "v2_reward": lambda: v2_setup()[2],
    "overshoot_predict": _overshoot_predict,
    "linear_predict": _linear_predict,
    "identity_encode": _identity_encode,
    "add_step": _add_step,
    "latent_model": _LatentHolder,
    "ones_policy": _ones_policy,
    "counting_model": _counting_model,
    "branched_policy": lambda: branched_setup()[0],
    "branched_model": lambda: branched_setup()[1],
    "line_model": lambda: line_model,
    "go_to": go_to,
    "two_members": lambda: two_members,
    "first_coord": lambda: first_coord,
    "random_ensemble": lambda seed, n_members=4: random_ensemble(seed, n_members)[0],
    "pendulum_step": _pendulum_step,
    "pendulum_reward": _pendulum_reward,
    "small_mlp_predict": lambda: small_mlp().predict,
    "task_reward": _task_reward,
}
