"""Checks for ``exercises/ch05_models.ipynb`` (chapter 5)."""

from __future__ import annotations

import math

import numpy as np

from mbrl_lessons.grading.core import (
    Check,
    Exercise,
    as_array,
    assert_close,
    get_function,
)
from mbrl_lessons.grading.fixtures import encoder_and_transition_grads, latent_setup
from mbrl_lessons.grading.wire import RemoteTensor, fx


# ------------------------------------------------------- Gaussian NLL
def _ref_nll(mean, var, y):
    return float(np.mean(0.5 * (np.log(2 * np.pi * var) + (y - mean) ** 2 / var)))


def _nll(ns, mean, var, y):
    out = get_function(ns, "gaussian_nll")(mean, var, y)
    return as_array(out, "gaussian_nll's result", shape=())   # keeps its dtype


def nll_hand(ns):
    got = _nll(ns, np.zeros((1, 1)), np.ones((1, 1)), np.zeros((1, 1)))
    assert_close(got, 0.5 * math.log(2 * math.pi), "NLL of y = mean under N(0, 1)",
                 hint="include the constant 0.5 log(2 pi)")
    got = _nll(ns, np.zeros((1, 1)), np.full((1, 1), 4.0), np.full((1, 1), 2.0))
    assert_close(got, 0.5 * (math.log(2 * math.pi * 4.0) + 1.0),
                 "NLL of y = 2 under N(0, 4)",
                 hint="the squared error is divided by the VARIANCE, not the std")


def nll_random(ns):
    rng = np.random.default_rng(3)
    mean, y = rng.normal(size=(20, 3)), rng.normal(size=(20, 3))
    var = rng.uniform(0.1, 2.0, size=(20, 3))
    assert_close(_nll(ns, mean, var, y), _ref_nll(mean, var, y),
                 "mean NLL over every element of random [20, 3] arrays", atol=1e-8,
                 hint="average over both the batch and the dimensions")


# ------------------------------------------------ total variance split
def _split(ns, means, variances):
    out = get_function(ns, "split_uncertainty")(means, variances)
    if not (isinstance(out, tuple) and len(out) == 3):
        raise AssertionError("split_uncertainty should return (mean, aleatoric, "
                             "epistemic)")
    shape = means.shape[1:]
    return tuple(as_array(o, n, shape=shape)
                 for o, n in zip(out, ("mean", "aleatoric", "epistemic"), strict=True))


def split_hand(ns):
    means = np.array([[[1.0]], [[3.0]]])       # two members, one input, one dim
    variances = np.array([[[0.5]], [[1.5]]])
    mean, alea, epi = _split(ns, means, variances)
    assert_close(mean, [[2.0]], "the ensemble mean")
    assert_close(alea, [[1.0]], "aleatoric = mean of the members' variances")
    assert_close(epi, [[1.0]], "epistemic = variance of the members' means",
                 hint="population variance (divide by E, not E - 1)")


def split_random(ns):
    rng = np.random.default_rng(5)
    means = rng.normal(size=(5, 7, 2))
    variances = rng.uniform(0.1, 1.0, size=(5, 7, 2))
    mean, alea, epi = _split(ns, means, variances)
    assert_close(mean, means.mean(0), "mean on random members", atol=1e-8)
    assert_close(alea, variances.mean(0), "aleatoric on random members", atol=1e-8)
    assert_close(epi, means.var(0), "epistemic on random members", atol=1e-8)
    assert_close(alea + epi, (variances + means ** 2).mean(0) - means.mean(0) ** 2,
                 "aleatoric + epistemic = total predictive variance", atol=1e-8)


# ---------------------------------------------------- k-step loss
def _ref_kstep(predict, obs, act):
    s, total = obs[:, 0], 0.0
    k = act.shape[1]
    for j in range(k):
        s = predict(s, act[:, j])
        total += np.mean(np.sum((s - obs[:, j + 1]) ** 2, axis=-1))
    return total / k


def _kstep(ns, predict, obs, act):
    out = get_function(ns, "kstep_loss")(predict, obs, act)
    return as_array(out, "kstep_loss's result", shape=())


def kstep_hand(ns):
    obs = np.array([[[0.0], [1.0], [2.0]]])   # truth: s' = s + a
    act = np.array([[[1.0], [1.0]]])
    # a model that always moves 1 too far: predictions 2, 4 against 1, 2:
    # errors 1 and 2 -> (1 + 4) / 2
    assert_close(_kstep(ns, fx("overshoot_predict"), obs, act), 2.5,
                 "two steps with a model that overshoots by 1",
                 hint="feed the model its OWN prediction, not the true state")


def kstep_random(ns):
    rng = np.random.default_rng(11)
    w = rng.normal(size=(3, 3)) * 0.5

    def predict(s, a):
        return s @ w + a

    obs = rng.normal(size=(4, 6, 3))
    act = rng.normal(size=(4, 5, 3))
    assert_close(_kstep(ns, fx("linear_predict", w=w), obs, act),
                 _ref_kstep(predict, obs, act),
                 "a linear model on random trajectories (k = 5)", atol=1e-8,
                 hint="sum the squared error over dimensions, average over the "
                      "batch, then average over the k steps")


# ---------------------------------------------------- change detection
def _alarm(ns, errors, reference, window, threshold):
    got = get_function(ns, "first_alarm")(errors.copy(), reference, window, threshold)
    if got is None:
        return None
    if isinstance(got, bool) or not isinstance(got, int | np.integer):
        raise AssertionError(f"first_alarm returned {got!r} ({type(got).__name__}); "
                             "return the step index as an int, or None")
    return int(got)


def _say(t):
    return "None (no alarm)" if t is None else f"step {t}"


def _expect_alarm(ns, errors, reference, window, threshold, what):
    from mbrl_lessons.models.adaptation import first_alarm as ref

    want = ref(errors, reference, window, threshold)
    got = _alarm(ns, errors, reference, window, threshold)
    if got == want:
        return
    hint = ("t is the LAST step of the first window whose median is too large, "
            "errors[t - window + 1 : t + 1]")
    if want is not None and got == want - window + 1:
        hint = ("you returned where that window STARTS; the alarm is raised at "
                "the step that completes it, start + window - 1")
    elif want is not None and got is not None and got < want:
        hint = ("an alarm came too early: use the MEDIAN of the window (a few large "
                "errors must not fire it), and a full window only")
    elif want is None and got is not None:
        hint = ("no window's median exceeds threshold * reference here; a mean, or "
                "a window that is not full yet, fires too soon")
    raise AssertionError(f"{what}: expected {_say(want)}, got {_say(got)}. "
                         f"Hint: {hint}")


def alarm_none(ns):
    quiet = np.ones(30)
    got = _alarm(ns, quiet, 1.0, 5, 4.0)
    if got is not None:
        raise AssertionError(f"30 errors all equal to the reference: expected None "
                             f"(no alarm), got {_say(got)}")
    got = _alarm(ns, np.full(3, 100.0), 1.0, 5, 4.0)
    if got is not None:
        raise AssertionError(f"3 huge errors but a window of 5: expected None (no "
                             f"full window yet), got {_say(got)}")


def alarm_hand(ns):
    jump = np.r_[np.ones(10), np.full(10, 10.0)]        # the change at step 10
    # the median of 5 exceeds 4 once 3 of the 5 lie after the change: t = 12
    _expect_alarm(ns, jump, 1.0, 5, 4.0, "ten errors of 1, then ten of 10 "
                  "(reference 1, window 5, threshold 4)")
    _expect_alarm(ns, jump, 1.0, 5, 20.0, "the same stream with threshold 20")
    _expect_alarm(ns, jump * 3, 3.0, 4, 2.0, "errors of 3 then 30, reference 3, "
                  "window 4, threshold 2 (the threshold is relative)")


def alarm_spikes(ns):
    spikes = np.ones(40)
    spikes[[5, 6, 20, 30, 31]] = 50.0                   # rare, badly predicted states
    _expect_alarm(ns, spikes, 1.0, 5, 4.0, "errors of 1 with isolated spikes of 50 "
                  "(never 3 in one window of 5)")


def alarm_random(ns):
    rng = np.random.default_rng(17)
    for i, (window, threshold) in enumerate([(10, 4.0), (25, 4.0), (50, 3.0),
                                            (7, 6.0), (20, 2.0)]):
        n, change = 300, int(rng.integers(80, 260))
        errors = rng.lognormal(-3.0, 1.0, size=n)       # heavy-tailed, like a model's
        errors[change:] *= rng.uniform(1.5, 12.0)
        reference = float(np.median(errors[:change]))
        _expect_alarm(ns, errors, reference, window, threshold,
                      f"random stream {i} (change at step {change}, window "
                      f"{window}, threshold {threshold:g})")


# ------------------------------------------------ latent consistency
def _consistency(ns, encode, step, obs, act, **kw):
    r = get_function(ns, "latent_consistency").call(encode, step, obs, act, **kw)
    out = r.value
    if not isinstance(out, RemoteTensor) or out.numel() != 1:
        raise AssertionError(f"latent_consistency should return a scalar torch "
                             f"tensor, got {out!r}"[:300])
    return r


def consistency_hand(ns):
    import torch

    obs = torch.tensor([[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]]])   # B = 1, K = 2, Z = 2
    act = torch.tensor([[[1.0, 1.0], [0.0, 0.0]]])
    # observations are already codes; step(z, a) = z + a:
    # predictions (1, 1), (1, 1) against (1, 0), (1, 1): squared gaps 1 and 0
    enc, step = fx("identity_encode"), fx("add_step")
    got = _consistency(ns, enc, step, obs, act).value
    assert_close(got, 0.5, "two steps in a 2-d code space, by hand",
                 hint="SUM the squared gap over the code's numbers, average over "
                      "the batch, then average over the K steps; step from your "
                      "own prediction, never from the encoded true observation")
    obs2 = torch.cat([obs, obs + 1.0])                       # a batch of two
    got = _consistency(ns, enc, step, obs2, act.repeat(2, 1, 1)).value
    assert_close(got, 0.5, "the same window twice (B = 2)",
                 hint="average over the batch, do not sum over it")


def _model_fx(seed):
    return (fx("latent_model", key="model", attr="encode", seed=seed),
            fx("latent_model", key="model", attr="step", seed=seed))


def consistency_value(ns):
    from mbrl_lessons.models.latent import latent_losses

    model, obs, act = latent_setup(0)
    want = float(latent_losses(model, obs, act).consistency.detach())
    got = _consistency(ns, *_model_fx(0), obs, act).value
    assert_close(got, want, "on a small random LatentModel (B = 6, K = 3, Z = 3), "
                 "against the package's latent_losses", atol=1e-5,
                 hint="z = encode(obs[:, 0]); for k: z = step(z, act[:, k]) and "
                      "compare with encode(obs[:, k + 1])")


def consistency_gradient(ns):
    from mbrl_lessons.models.latent import latent_losses

    model, obs, act = latent_setup(1)
    r = _consistency(ns, *_model_fx(1), obs, act, backward=True, state=True)
    if r.no_grad:
        raise AssertionError("the loss carries no gradient at all: only the TARGETS "
                             "are detached; the start code and the steps keep theirs")
    st = r.state.get("model", {})
    got, trans_got = st.get("encoder"), st.get("transition")
    latent_losses(model, obs, act, stop_gradient=False).consistency.backward()
    no_sg = encoder_and_transition_grads(model)["encoder"]
    model.zero_grad(set_to_none=True)
    latent_losses(model, obs, act, stop_gradient=True).consistency.backward()
    ref = encoder_and_transition_grads(model)
    want = ref["encoder"]
    if trans_got is None:
        raise AssertionError("no gradient reached the transition: do not detach the "
                             "predicted codes")
    assert_close(trans_got, ref["transition"],
                 "gradient of the transition's first layer", atol=1e-5,
                 hint="the loss's value must be right first (see the checks "
                      "above); then the steps keep their gradient")
    got = np.asarray(got, dtype=float)
    scale = max(np.abs(want).max(), 1e-12)
    if got.shape == want.shape and np.abs(got - want).max() <= 1e-4 * scale + 1e-7:
        return
    if got.shape == want.shape and np.abs(got - no_sg).max() <= 1e-4 * scale + 1e-7:
        raise AssertionError("the encoder's gradient includes the path through the "
                             "TARGETS encode(obs[:, 1:]): the stop-gradient is "
                             "missing. Hint: compute the targets under "
                             "torch.no_grad() or call .detach() on them")
    if not np.abs(got).max(initial=0.0) > 0:
        raise AssertionError("the encoder gets no gradient at all; only the targets "
                             "are detached, the start code z = encode(obs[:, 0]) "
                             "keeps its gradient")
    assert_close(got, want, "the encoder's gradient (with the stop-gradient)",
                 atol=1e-4 * scale + 1e-7)


# -------------------------------------------------------- option model
def _option(ns, P, R, gamma, policy, beta):
    S = P.shape[0]
    out = get_function(ns, "option_model")(P.copy(), R.copy(), gamma, policy.copy(),
                                          beta.copy())
    if not (isinstance(out, tuple | list) and len(out) == 2):
        raise AssertionError("option_model should return a pair (R_o, P_o)")
    return (as_array(out[0], "R_o", shape=(S,)),
            as_array(out[1], "P_o", shape=(S, S)))


def _random_mdp(rng, S, A):
    P = rng.random((S, A, S)) ** 3
    P /= P.sum(-1, keepdims=True)
    return P, rng.normal(size=(S, A))


def option_primitive(ns):
    P, R = _random_mdp(np.random.default_rng(21), 6, 3)
    R_o, P_o = _option(ns, P, R, 0.9, np.full(6, 2), np.ones(6))
    assert_close(R_o, R[:, 2], "R_o of the option 'take action 2 once' (beta = 1 "
                 "everywhere)", atol=1e-8,
                 hint="an option that stops after one step pays R[s, a]")
    assert_close(P_o, 0.9 * P[:, 2], "P_o of the option 'take action 2 once'",
                 atol=1e-8, hint="P_o = gamma * P[:, a] for one step: the "
                 "discount of the step is inside P_o")


def option_hand(ns):
    P = np.zeros((3, 1, 3))
    P[[0, 1, 2], 0, [1, 2, 2]] = 1.0                 # a corridor 0 -> 1 -> 2
    R = np.array([[1.0], [4.0], [0.0]])
    R_o, P_o = _option(ns, P, R, 0.5, np.zeros(3, dtype=int),
                       np.array([0.0, 0.0, 1.0]))   # stop on reaching state 2
    assert_close(R_o, [1 + 0.5 * 4, 4, 0], "R_o along the corridor 0 -> 1 -> 2 "
                 "(rewards 1, 4, 0; gamma 0.5; stops on arriving in 2)",
                 hint="the option passes through 1 without stopping, so from 0 it "
                      "collects 1 + gamma * 4")
    assert_close(P_o[:, 2], [0.25, 0.5, 0.5], "P_o(s, 2) along the corridor",
                 hint="two steps from state 0 give gamma^2; beta is checked in the "
                      "state the option ARRIVES in (B multiplies P_pi from the right)")
    assert_close(P_o[:, :2], np.zeros((3, 2)), "P_o(s, 0) and P_o(s, 1): the "
                 "option never stops there")
    # one state that loops on itself, stopping with probability 1/2 each step
    R_o, P_o = _option(ns, np.ones((1, 1, 1)), np.ones((1, 1)), 0.5,
                       np.zeros(1, dtype=int), np.array([0.5]))
    assert_close(R_o, [1 / 0.75], "R_o of a self-loop paying 1 that stops with "
                 "probability 1/2 (gamma 0.5): 1 + 0.25 + 0.25^2 + ...",
                 hint="R_o = r + gamma (1 - beta) R_o")
    assert_close(P_o, [[0.25 / 0.75]], "P_o of the same self-loop",
                 hint="P_o = gamma beta + gamma (1 - beta) P_o")


def option_random(ns):
    from mbrl_lessons.mdp.options import Option
    from mbrl_lessons.mdp.options import option_model as ref
    from mbrl_lessons.mdp.tabular import TabularMDP

    rng = np.random.default_rng(23)
    for i in range(4):
        S, A = int(rng.integers(4, 9)), int(rng.integers(2, 4))
        P, R = _random_mdp(rng, S, A)
        gamma = float(rng.choice([0.8, 0.9, 0.99]))
        policy = rng.integers(0, A, size=S)
        beta = rng.uniform(0.0, 1.0, size=S)
        beta[rng.random(S) < 0.3] = 0.0          # some states never stop it
        want = ref(TabularMDP(P, R, gamma),
                   Option("random", np.ones(S, dtype=bool), policy, beta))
        R_o, P_o = _option(ns, P, R, gamma, policy, beta)
        what = f"random MDP {i} ({S} states, {A} actions, gamma {gamma:g})"
        assert_close(R_o, want.R, f"R_o on {what}, against the package", atol=1e-8,
                     hint="P_pi[s] = P[s, policy[s]]; solve (I - gamma P_pi C) R_o "
                          "= r_pi with C = diag(1 - beta)")
        assert_close(P_o, want.P, f"P_o on {what}, against the package", atol=1e-8,
                     hint="solve (I - gamma P_pi C) P_o = gamma P_pi diag(beta)")


# ---------------------------------------------------------- Bayes filter
def _tiger():
    P = np.zeros((2, 3, 2))
    P[:, 0, :] = np.eye(2)       # listening leaves the tiger where it is
    P[:, 1:, :] = 0.5            # opening a door resets it
    Z = np.full((3, 2, 2), 0.5)
    Z[0] = [[0.85, 0.15], [0.15, 0.85]]
    return P, Z


def _belief(ns, b, a, o, P, Z):
    out = get_function(ns, "belief_update")(np.asarray(b, float), a, o, P, Z)
    return as_array(out, "belief_update's result", shape=(P.shape[0],))


def belief_hand(ns):
    P, Z = _tiger()
    b1 = _belief(ns, [0.5, 0.5], 0, 0, P, Z)
    assert_close(b1, [0.85, 0.15], "one growl on the left, from [0.5, 0.5]",
                 hint="multiply by Z[a, :, o] and normalise")
    b2 = _belief(ns, b1, 0, 0, P, Z)
    assert_close(b2, [0.7225 / 0.745, 0.0225 / 0.745], "a second growl on the left")


def belief_predict(ns):
    P, Z = _tiger()
    assert_close(_belief(ns, [0.97, 0.03], 1, 0, P, Z), [0.5, 0.5],
                 "after opening a door the tiger is reset",
                 hint="predict first: b @ P[:, a, :], then weigh by Z")


def belief_random(ns):
    rng = np.random.default_rng(7)
    S, A, K = 5, 3, 4
    P = rng.dirichlet(np.ones(S), size=(S, A))
    Z = rng.dirichlet(np.ones(K), size=(A, S))
    b = rng.dirichlet(np.ones(S))
    joint = b[:, None] * P[:, 2, :] * Z[2, None, :, 1]
    assert_close(_belief(ns, b, 2, 1, P, Z), joint.sum(0) / joint.sum(),
                 "a random POMDP with 5 states", atol=1e-10)


# --------------------------------------- ensemble disagreement of tables
def _ref_disagreement(weights):
    p = weights / weights.sum(axis=3, keepdims=True)
    return ((p - p.mean(axis=0)) ** 2).sum(axis=3).mean(axis=0)


def _disagreement(ns, weights):
    out = get_function(ns, "table_disagreement")(weights)
    return as_array(out, "table_disagreement's result", shape=weights.shape[1:3])


def disagreement_hand(ns):
    opposite = np.array([[[[1.0, 0.0]]], [[[0.0, 1.0]]]])    # E=2, S=1, A=1, S'=2
    assert_close(_disagreement(ns, opposite), [[0.5]],
                 "two members sure of different next states",
                 hint="each member is 0.5 from the mean in squared distance "
                      "(0.25 + 0.25); average over members, do not sum")
    agree = np.array([[[[2.0, 6.0]]], [[[1.0, 3.0]]]])
    assert_close(_disagreement(ns, agree), [[0.0]],
                 "two members whose counts differ but whose distributions agree",
                 hint="normalise each member's weights into a distribution "
                      "before comparing")


def disagreement_random(ns):
    rng = np.random.default_rng(11)
    weights = rng.poisson(2.0, size=(6, 4, 3, 5)) + rng.uniform(0.1, 1, (6, 4, 3, 5))
    assert_close(_disagreement(ns, weights), _ref_disagreement(weights),
                 "six members on random [4, 3, 5] weights", atol=1e-8,
                 hint="sum the squared gap over next states, then average over "
                      "members")


# ---------------------------------------- a last layer's Laplace posterior
def _ref_laplace(psi, y, noise_var, prior_precision, psi_star):
    cov = np.linalg.inv(psi.T @ psi / noise_var
                        + prior_precision * np.eye(psi.shape[1]))
    mean = cov @ psi.T @ y / noise_var
    return (mean, cov, psi_star @ mean,
            np.einsum("nf,fg,ng->n", psi_star, cov, psi_star) + noise_var)


def _laplace(ns, psi, y, noise_var, prior_precision, psi_star):
    out = get_function(ns, "laplace_last_layer")(psi, y, noise_var, prior_precision,
                                                 psi_star)
    if not isinstance(out, (tuple, list)) or len(out) != 4:
        raise AssertionError("laplace_last_layer must return four things (mean, cov, "
                             f"pred_mean, pred_var), got {type(out).__name__}")
    d, n = psi.shape[1], len(psi_star)
    return (as_array(out[0], "the posterior mean", shape=(d,)),
            as_array(out[1], "the posterior covariance", shape=(d, d)),
            as_array(out[2], "the predictive mean", shape=(n,)),
            as_array(out[3], "the predictive variance", shape=(n,)))


def laplace_hand(ns):
    # two orthogonal unit features, one observation each: Sigma = 1 / (1/s2 + lam)
    psi = np.array([[1.0, 0.0], [0.0, 1.0]])
    y = np.array([2.0, -1.0])
    m, c, pm, pv = _laplace(ns, psi, y, 0.5, 2.0, np.array([[1.0, 1.0]]))
    assert_close(c, np.eye(2) / 4.0, "Psi = I, noise 0.5, prior precision 2: "
                 "Sigma = (I / 0.5 + 2 I)^-1 = I / 4",
                 hint="Sigma = inv(Psi^T Psi / noise_var + prior_precision I)")
    assert_close(m, [1.0, -0.5], "the same: m = Sigma Psi^T y / noise_var",
                 hint="m = Sigma @ Psi.T @ y / noise_var")
    assert_close(pm, [0.5], "the predictive mean at psi* = (1, 1)",
                 hint="psi*^T m")
    assert_close(pv, [0.5 + 0.5], "the predictive variance at psi* = (1, 1): "
                 "psi*^T Sigma psi* = 0.5 plus the noise 0.5",
                 hint="psi*^T Sigma psi* + noise_var (the noise stays in)")


def laplace_random(ns):
    rng = np.random.default_rng(11)
    for n, d, s2, lam in ((40, 5, 0.3, 1.0), (8, 12, 0.05, 0.2), (200, 3, 2.0, 10.0)):
        psi = np.concatenate([rng.normal(size=(n, d - 1)), np.ones((n, 1))], 1)
        y = psi @ rng.normal(size=d) + np.sqrt(s2) * rng.normal(size=n)
        star = np.concatenate([rng.normal(size=(7, d - 1)), np.ones((7, 1))], 1)
        got = _laplace(ns, psi, y, s2, lam, star)
        for g, r, what in zip(got, _ref_laplace(psi, y, s2, lam, star),
                              ("posterior mean", "posterior covariance",
                               "predictive mean", "predictive variance"), strict=True):
            assert_close(g, r, f"{n} random points, {d} features (the last a 1), "
                         f"noise {s2}, prior precision {lam}: the {what}",
                         atol=1e-7)


# ------------------------------------- an inverse model of the pendulum, exact
def _pendulum_pairs(rng, n):
    """Random states and torques in Pendulum-v1's ranges, stepped by the
    package's true dynamics (float64)."""
    import torch

    from mbrl_lessons.envs.pendulum import pendulum_step

    th = rng.uniform(-np.pi, np.pi, n)
    obs = np.stack([np.cos(th), np.sin(th), rng.uniform(-8.0, 8.0, n)], 1)
    u = rng.uniform(-2.0, 2.0, n)
    nxt = pendulum_step(torch.as_tensor(obs), torch.as_tensor(u[:, None])).numpy()
    return obs, nxt, u


def _inverse(ns, obs, nxt):
    out = get_function(ns, "inverse_torque")(obs, nxt)
    # NaN is an answer here (a clipped speed), so as_array's finiteness check is off
    arr = as_array(out, "inverse_torque's result", shape=(len(obs),), kind="")
    if not np.issubdtype(arr.dtype, np.floating):
        raise AssertionError(f"inverse_torque should return floats (NaN where the "
                             f"speed was clipped), got dtype {arr.dtype}")
    if np.isinf(arr).any():
        raise AssertionError("inverse_torque returned inf; check for a division "
                             "by zero")
    return arr


def inverse_hand(ns):
    # at rest at theta = pi/2 (sin = 1): gravity alone adds 15 * 0.05 = 0.75 rad/s;
    # the next speed 0.9 means 3 u * 0.05 = 0.15, u = 1
    obs = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 2.0], [1.0, 0.0, 7.9]])
    nxt = np.array([[0.0, 1.0, 0.9], [1.0, 0.0, 1.85], [1.0, 0.0, 8.0]])
    got = _inverse(ns, obs, nxt)
    assert_close(got[:2], [1.0, -1.0],
                 "theta = pi/2 at rest, next speed 0.9 (torque 1); theta = 0 at "
                 "speed 2, next speed 1.85 (torque -1)",
                 hint="u = (m l^2 / 3) ((thdot' - thdot) / dt - 3 g / (2 l) sin theta)")
    if not np.isnan(got[2]):
        raise AssertionError(
            f"the next speed is 8.0, the limit: the speed was clipped and many torques "
            f"give this transition, so the answer must be NaN; got {got[2]:.4g}. Hint: "
            "return NaN where abs(thdot') >= MAX_SPEED - 1e-5")


def inverse_random(ns):
    rng = np.random.default_rng(17)
    obs, nxt, u = _pendulum_pairs(rng, 500)
    got = _inverse(ns, obs, nxt)
    at_limit = np.abs(nxt[:, 2]) >= 8.0 - 1e-5
    assert at_limit.any() and not at_limit.all()
    assert_close(got[~at_limit], u[~at_limit],
                 f"{int((~at_limit).sum())} random transitions whose speed stayed "
                 "inside the limit: the torques that produced them", atol=1e-6,
                 hint="sin theta_t is s_t[1]; use the speed change, not the angle "
                      "change")
    if not np.isnan(got[at_limit]).all():
        raise AssertionError(
            f"{int(at_limit.sum())} random transitions ended at the speed limit "
            f"(|thdot'| = 8); {int((~np.isnan(got[at_limit])).sum())} of them got a "
            "number instead of NaN. Hint: the clip loses the torque there")
    if np.isnan(got[~at_limit]).any():
        raise AssertionError("NaN returned for a transition that did not reach the "
                             "speed limit")


EXERCISES = [
    Exercise("ch05_gaussian_nll", "The Gaussian negative log-likelihood",
             "ch05_models", ("gaussian_nll",),
             (Check("by hand, including the constant", 2, nll_hand),
              Check("random data vs the reference", 2, nll_random)),
             hint="0.5 * (log(2 pi var) + (y - mean)^2 / var), averaged",
             forbidden=("mbrl_lessons.models.ensemble.gaussian_nll",)),
    Exercise("ch05_split_uncertainty", "Aleatoric and epistemic variance",
             "ch05_models", ("split_uncertainty",),
             (Check("two members, by hand", 2, split_hand),
              Check("random members; the parts add up", 2, split_random)),
             hint="aleatoric: mean of variances; epistemic: variance of means"),
    Exercise("ch05_kstep_loss", "The k-step unrolled loss", "ch05_models",
             ("kstep_loss",),
             (Check("a model that overshoots, by hand", 2, kstep_hand),
              Check("a linear model on random trajectories", 2, kstep_random)),
             hint="s = obs[:, 0]; for each j: s = predict(s, act[:, j]); add the "
                  "error against obs[:, j + 1]"),
    Exercise("ch05_first_alarm", "A running-median change detector", "ch05_models",
             ("first_alarm",),
             (Check("no alarm on quiet or short streams", 1, alarm_none),
              Check("a clean jump, by hand", 2, alarm_hand),
              Check("isolated spikes do not fire", 1, alarm_spikes),
              Check("heavy-tailed random streams vs the package", 1, alarm_random)),
             hint="for t from window - 1 on: if np.median(errors[t - window + 1 : "
                  "t + 1]) > threshold * reference: return t",
             forbidden=("mbrl_lessons.models.adaptation.first_alarm",)),
    Exercise("ch05_latent_consistency", "The latent consistency loss", "ch05_models",
             ("latent_consistency",),
             (Check("an identity encoder, by hand", 2, consistency_hand),
              Check("a small LatentModel vs the package", 1, consistency_value),
              Check("the stop-gradient on the targets", 2, consistency_gradient)),
             hint="z = encode(obs[:, 0]); targets = encode(obs[:, 1:]).detach(); "
                  "step K times, add the summed squared gap, divide by K",
             forbidden=("mbrl_lessons.models.latent.latent_losses",), torch=True),
    Exercise("ch05_option_model", "The multi-time model of an option", "ch05_models",
             ("option_model",),
             (Check("a one-step option is a primitive action", 1, option_primitive),
              Check("a corridor and a self-loop, by hand", 2, option_hand),
              Check("random MDPs and options vs the package", 2, option_random)),
             hint="M = I - gamma * P_pi * (1 - beta); R_o = solve(M, r_pi); "
                  "P_o = solve(M, gamma * P_pi * beta)",
             forbidden=("mbrl_lessons.mdp.options.option_model",)),
    Exercise("ch05_belief_update", "The Bayes filter of a belief state",
             "ch05_models", ("belief_update",),
             (Check("the tiger problem's belief, by hand", 2, belief_hand),
              Check("the transition model predicts before the update", 1,
                    belief_predict),
              Check("a random POMDP against the joint posterior", 2,
                    belief_random)),
             forbidden=("mbrl_lessons.mdp.pomdp.belief_update",)),
    Exercise("ch05_table_disagreement", "An ensemble's disagreement, in tables",
             "ch05_models", ("table_disagreement",),
             (Check("two members, by hand", 2, disagreement_hand),
              Check("random members vs the reference", 2, disagreement_random)),
             hint="p = weights / weights.sum(axis=3, keepdims=True); spread = "
                  "((p - p.mean(0)) ** 2).sum(axis=3).mean(axis=0)",
             forbidden=("mbrl_lessons.analysis.exploration.BootstrapTableEnsemble",)),
    Exercise("ch05_laplace_last_layer", "A last layer's Laplace posterior",
             "ch05_models", ("laplace_last_layer",),
             (Check("two orthogonal features, by hand", 2, laplace_hand),
              Check("random features against the reference", 2, laplace_random)),
             hint="Sigma = inv(Psi^T Psi / noise_var + prior_precision I); "
                  "m = Sigma Psi^T y / noise_var; "
                  "var* = psi*^T Sigma psi* + noise_var"),
    Exercise("ch05_inverse_model", "The pendulum's torque from two states",
             "ch05_models", ("inverse_torque",),
             (Check("three transitions, by hand", 2, inverse_hand),
              Check("random transitions against their torques", 2, inverse_random)),
             hint="u = (m l^2 / 3) ((thdot' - thdot) / dt - 3 g / (2 l) sin theta); "
                  "NaN where abs(thdot') >= 8 - 1e-5"),
]
