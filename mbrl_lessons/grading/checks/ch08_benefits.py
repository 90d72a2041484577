"""Checks for ``exercises/ch08_benefits.ipynb`` (chapter 8).

Both exercises work on torch models and rewards, so torch is imported inside
the checks (the registry imports every check module; most never need torch).
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np

from mbrl_lessons.grading.core import (
    Check,
    Exercise,
    as_array,
    assert_close,
    get_function,
)
from mbrl_lessons.grading.fixtures import first_coord, random_ensemble, small_mlp
from mbrl_lessons.grading.wire import RemoteTensor, fx


def _numbers(value, name: str, shape: tuple):
    """A learner's tensor or array as a float numpy array of ``shape``."""
    return as_array(value, name, shape=shape)


def _line_model():
    return fx("line_model")


def _go_to(target: float):
    return fx("go_to", target=target)


# ------------------------------------------------- a new task, no new data
class _Plan:
    """What ``plan_new_task`` returned; each part is checked when it is used, so
    a wrong first action does not hide right scores (and vice versa)."""

    def __init__(self, ns, predict, reward_fn, obs0, candidates):
        out = get_function(ns, "plan_new_task")(predict, reward_fn, obs0.clone(),
                                                candidates.clone())
        if not (isinstance(out, tuple | list) and len(out) == 2):
            raise AssertionError("plan_new_task should return a pair (scores, "
                                 "best_first_action)")
        self.out, self.shape = out, candidates.shape

    @property
    def scores(self):
        return _numbers(self.out[0], "plan_new_task's scores", (self.shape[0],))

    @property
    def first(self):
        value = self.out[1]
        shape = tuple(value.shape) if isinstance(value, RemoteTensor | np.ndarray) \
            else None
        if shape == tuple(self.shape[1:]):
            raise AssertionError("best_first_action: you returned the whole best "
                                 f"sequence {shape}; return only its first action, "
                                 "candidates[best, 0]")
        return _numbers(value, "plan_new_task's best_first_action",
                        (self.shape[2],))


def _plan(ns, predict, reward_fn, obs0, candidates):
    return _Plan(ns, predict, reward_fn, obs0, candidates)


def plan_hand(ns):
    import torch

    obs0 = torch.zeros(1)
    cands = torch.tensor([[[-1.0], [-1.0]], [[0.0], [0.0]], [[1.0], [1.0]]])
    # go to +2: states 0, -1 / 0, 0 / 0, 1 -> -(4 + 9), -(4 + 4), -(4 + 1)
    scores = _plan(ns, _line_model(), _go_to(2.0), obs0, cands).scores
    hint = ("the reward of step k is r(s_k, a_k), charged on the state BEFORE the "
            "step, for k = 0 .. H - 1; start from obs0 and feed the model its own "
            "predictions")
    assert_close(scores, [-13.0, -8.0, -5.0], "scores of three constant sequences "
                 "(s' = s + a, from s = 0, H = 2) for the task 'go to +2'", hint=hint)
    scores = _plan(ns, _line_model(), _go_to(-2.0), obs0, cands).scores
    assert_close(scores, [-5.0, -8.0, -13.0], "the same model and sequences for the "
                 "NEW task 'go to -2'", hint=hint)


def plan_best_action(ns):
    import torch

    obs0 = torch.zeros(1)
    # H = 3; for +2 the first sequence wins (states 0, 1, 2), for -2 the second
    cands = torch.tensor([[[1.0], [1.0], [-1.0]], [[-1.0], [-1.0], [1.0]],
                          [[0.0], [0.0], [0.0]]])
    for target, want in ((2.0, 1.0), (-2.0, -1.0)):
        first = _plan(ns, _line_model(), _go_to(target), obs0, cands).first
        assert_close(first, [want], f"the first action of the best sequence for "
                     f"'go to {target:+g}'",
                     hint="take the sequence with the HIGHEST score and return its "
                          "first action, candidates[best, 0] (shape [A])")


def plan_random(ns):
    import torch

    from mbrl_lessons.analysis.benefits import TASKS
    from mbrl_lessons.envs.pendulum import pendulum_step
    from mbrl_lessons.models import ModelEnv

    gen = torch.Generator().manual_seed(5)
    learned = small_mlp()
    th = torch.tensor(math.pi - 0.1)
    obs0 = torch.stack([torch.cos(th), torch.sin(th), torch.tensor(0.3)])
    cands = 4.0 * torch.rand(48, 10, 1, generator=gen) - 2.0
    for model_name, predict, remote in (
            ("the true pendulum", pendulum_step, fx("pendulum_step")),
            ("a small MLPDynamics", learned.predict, fx("small_mlp_predict"))):
        for task in ("swing-up", "horizontal", "tilted hang"):
            with torch.no_grad():
                want = ModelEnv(SimpleNamespace(predict=predict),
                                TASKS[task]).returns(obs0, cands)
            plan = _plan(ns, remote, fx("task_reward", task=task), obs0, cands)
            scores, first = plan.scores, plan.first
            what = f"{model_name}, task {task!r}, 48 sequences of 10 steps"
            assert_close(scores, want.numpy(), f"scores: {what}, against the "
                         "package's ModelEnv.returns", atol=1e-4,
                         hint="sum reward_fn(obs, act) over the horizon while "
                              "obs = predict(obs, act) steps the model; all "
                              "sequences at once, as a batch")
            assert_close(first, cands[int(want.argmax()), 0].numpy(),
                         f"best first action: {what}", atol=1e-6)


# --------------------------------------- pessimism about the model's gaps
def _pess(ns, members, reward_fn, obs0, actions, penalty, u_ref):
    out = get_function(ns, "pessimistic_returns")(members, reward_fn, obs0.clone(),
                                                  actions.clone(), penalty, u_ref)
    return _numbers(out, "pessimistic_returns's result", (actions.shape[0],))


_two_members = fx("two_members")
_first_coord = fx("first_coord")


def _reference_pess(members, reward_fn, obs0, actions, penalty, u_ref):
    import torch

    from mbrl_lessons.analysis.benefits import PessimisticModelEnv

    with torch.no_grad():
        return PessimisticModelEnv(SimpleNamespace(predict_members=members),
                                   reward_fn, penalty, u_ref).returns(obs0, actions)


def pess_zero(ns):
    import torch

    members, gen = random_ensemble(11)
    obs0 = torch.tensor([0.2, -0.9, 1.0])
    actions = 4.0 * torch.rand(16, 6, 1, generator=gen) - 2.0
    want = _reference_pess(members, first_coord, obs0, actions, 0.0, 1.0)
    got = _pess(ns, fx("random_ensemble", seed=11), _first_coord, obs0, actions,
                0.0, 1.0)
    assert_close(got, want.numpy(), "penalty 0 (the plain planner on the ensemble "
                 "mean), 16 sequences of 6 steps", atol=1e-4,
                 hint="step with the MEAN of the members' predictions; the reward "
                      "of step t is reward_fn(obs_t, act_t), before the step")


def pess_hand(ns):
    import torch

    obs0 = torch.zeros(2)
    actions = torch.tensor([[[1.0], [1.0]], [[0.0], [0.0]]])   # B = 2, H = 2
    # sequence 0: r = 0 then 1.3 (mean state (1.3, 1.4)); sequence 1: 0 then 0.3
    got = _pess(ns, _two_members, _first_coord, obs0, actions, 2.0, 1.0)
    assert_close(got, [1.3, 0.3], "two members, u = 0.5 below u_ref = 1: no cost",
                 hint="the cost is penalty * max(0, u / u_ref - 1): nothing while "
                      "the disagreement u stays below u_ref; and step with the "
                      "members' MEAN")
    got = _pess(ns, _two_members, _first_coord, obs0, actions, 2.0, 0.25)
    assert_close(got, [1.3 - 4.0, 0.3 - 4.0], "the same with u_ref = 0.25: u / u_ref "
                 "- 1 = 1 costs penalty 2 at each of the 2 steps",
                 hint="u is the NORM over the state's numbers of the members' "
                      "POPULATION standard deviation, std(0, unbiased=False): "
                      "here ||(0.3, 0.4)|| = 0.5")


def pess_random(ns):
    import torch

    from mbrl_lessons.envs.pendulum import pendulum_reward

    members, gen = random_ensemble(13, n_members=5)
    th = torch.tensor(2.5)
    obs0 = torch.stack([torch.cos(th), torch.sin(th), torch.tensor(-1.0)])
    actions = 4.0 * torch.rand(32, 8, 1, generator=gen) - 2.0
    with torch.no_grad():   # a typical disagreement level, as the chapter measures
        u = members(obs0.expand(32, -1), actions[:, 0]).std(0, unbiased=False)
        u_med = float(u.norm(dim=-1).median())
    for penalty, u_ref in ((3.0, u_med), (30.0, 0.5 * u_med), (1.0, 2.0 * u_med)):
        want = _reference_pess(members, pendulum_reward, obs0, actions, penalty, u_ref)
        got = _pess(ns, fx("random_ensemble", seed=13, n_members=5),
                    fx("pendulum_reward"), obs0, actions, penalty, u_ref)
        assert_close(got, want.numpy(), f"5 random linear members, swing-up reward, "
                     f"penalty {penalty:g}, u_ref {u_ref:.3g}, against the package's "
                     "PessimisticModelEnv", atol=1e-3,
                     hint="per step: predictions [E, B, O]; add reward_fn(obs, act); "
                          "subtract penalty * relu(u / u_ref - 1) with u = "
                          "std(0, unbiased=False).norm(dim=-1); obs = mean(0)")


EXERCISES = [
    Exercise("ch08_plan_new_task", "Planning a new task with the same model",
             "ch08_benefits", ("plan_new_task",),
             (Check("scores by hand, one model and two rewards", 2, plan_hand),
              Check("the first action of the best sequence", 1, plan_best_action),
              Check("the pendulum's tasks vs the package", 2, plan_random)),
             hint="obs = obs0 for every sequence; for t: total += reward_fn(obs, "
                  "a_t); obs = predict(obs, a_t); best = total.argmax()",
             forbidden=("mbrl_lessons.models.dynamics.ModelEnv",), torch=True),
    Exercise("ch08_pessimistic_returns", "A planner that distrusts its model",
             "ch08_benefits", ("pessimistic_returns",),
             (Check("penalty 0 is the plain mean-model planner", 1, pess_zero),
              Check("two members, by hand", 2, pess_hand),
              Check("a random ensemble vs the package", 2, pess_random)),
             hint="per step: nxt = predict_members(obs, a_t); total += reward; "
                  "total -= penalty * relu(u / u_ref - 1); obs = nxt.mean(0)",
             forbidden=("mbrl_lessons.analysis.benefits.PessimisticModelEnv",),
             torch=True),
]
