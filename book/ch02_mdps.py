# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: mystnb,tags,-all
#     formats: ipynb,py:percent
#     notebook_metadata_filter: kernelspec,jupytext
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
# ---

# %% [markdown]
# # Chapter 2: Markov decision processes
#
# *About 10 minutes: 9 to read, 1 to run at FAST.*
#
# Before an agent can plan with a model, we need a precise language for what a
# model *is* and what "planning well" means. That language is the Markov
# decision process. This chapter builds it up from the tuple to the Bellman
# equations, then solves a small grid world three ways and watches each
# solver converge.
#
# ```{admonition} Learning goals
# :class: tip
# After this chapter you can
# - write down the MDP tuple and say what each part means for an agent;
# - define returns, state values $V^\pi$ and action values $Q^\pi$;
# - derive the Bellman expectation and optimality equations;
# - run policy evaluation, value iteration and policy iteration, and explain
#   why each converges and how fast.
# ```

# %% tags=["remove-input"]
# Running in Colab? Install this course's release and run the FAST budget
# (Colab's free CPU; a no-op elsewhere). Written by tools/colab_cells.py from
# _config.yml: change the release there, not here.
import os
import sys
if "google.colab" in sys.modules:
    import subprocess
    os.environ.setdefault("MBRL_LESSONS_FAST", "1")
    # pip adds only what Colab lacks: Colab's torch, numpy and ipywidgets
    # already satisfy the package's version ranges and are left as they are
    subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                    "mbrl-lessons @ git+https://github.com/mbrl-lessons/mbrl-lessons@v0.1.0"], check=True)

# %%
import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from mbrl_lessons.envs.gridworld import GridWorld
from mbrl_lessons.mdp import (
    TabularMDP,
    bellman_optimality_backup,
    policy_evaluation,
    policy_evaluation_exact,
    policy_iteration,
    q_from_v,
    value_iteration,
)
from mbrl_lessons.viz import live_figure, plot_grid_values, show_source
from mbrl_lessons.viz.style import fig_size

# %% [markdown]
# ## The MDP tuple
#
# ```{prf:definition} Markov decision process
# :label: def-mdp
# A Markov decision process is a tuple
# $\mathcal{M} = (\mathcal{S}, \mathcal{A}, P, R, p(s_0), \gamma)$ where
# $\mathcal{S}$ is the set of states, $\mathcal{A}$ the set of actions,
# $P(s_{t+1} \mid s_t, a_t)$ the transition distribution, $R(s_t, a_t, s_{t+1})$
# the reward, $p(s_0)$ the distribution of the first state and
# $\gamma \in [0, 1]$ the discount factor {cite}`puterman2014mdp`.
# ```
#
# The word *Markov* carries the weight: the next state depends on the past only
# through the current state and action. Everything the agent would need to
# predict the future is in $s_t$. In the rest of the book, $P$ and $R$ together
# are **the model**. A planner is handed them; a model-based learner has to
# estimate them from experience and plan with its estimates $\hat P, \hat R$.
# From here on we write $R(s, a) = \sum_{s'} P(s' \mid s, a)\, R(s, a, s')$
# for the expected reward of an action, which is all that the values below
# depend on.
#
# Our running example is a grid world. The agent starts at the dashed cell,
# pays $-1$ per step, and wants to reach the green goal; the red trap ends the
# episode with a penalty of $-20$. With probability `slip` the floor is
# slippery and the agent moves in one of the other three directions instead.
# Because the environment is tiny, we can write its model down exactly:
# `transition_model()` returns the array `P[s, a, s']` and the expected reward
# `R[s, a]`.

# %%
env = GridWorld(slip=0.1)
P, R = env.transition_model()
print("grid:", env.n_rows, "x", env.n_cols, "| states", env.n_states,
      "| actions", env.n_actions)
print("".join("".join(row) + "\n" for row in env.grid))
s = env.state_of(2, 3)
print("from cell (2, 3), moving right: P(next cell) =",
      {env.cell_of(int(t)): round(float(P[s, 1, t]), 3) for t in np.flatnonzero(P[s, 1])})

# %% [markdown]
# ## Policies, returns and values
#
# A **policy** $\pi(a \mid s)$ says how the agent chooses actions. The
# **return** from time $t$ is the discounted sum of what follows,
# $G_t = \sum_{k \ge 0} \gamma^k r_{t+k}$. A discount below one makes an
# infinite sum finite and expresses a preference for reward sooner rather than
# later. Values are expected returns:
#
# $$
# V^\pi(s) = \mathbb{E}_\pi\!\left[\sum_{k=0}^\infty \gamma^k r_{t+k} \,\middle|\, s_t = s\right],
# \qquad
# Q^\pi(s, a) = \mathbb{E}_\pi\!\left[\sum_{k=0}^\infty \gamma^k r_{t+k} \,\middle|\, s_t = s, a_t = a\right].
# $$
#
# Splitting off the first step of the sum gives the **Bellman expectation
# equations**, the recursive statement that a state is worth its immediate
# reward plus the discounted worth of where it leads:
#
# $$
# V^\pi(s) = \sum_a \pi(a \mid s) \Big[ R(s, a) + \gamma \sum_{s'} P(s' \mid s, a)\, V^\pi(s') \Big],
# \qquad
# Q^\pi(s, a) = R(s, a) + \gamma \sum_{s'} P(s' \mid s, a) \sum_{a'} \pi(a' \mid s')\, Q^\pi(s', a').
# $$
#
# In matrix form, with $P_\pi[s, s'] = \sum_a \pi(a\mid s) P(s'\mid s,a)$ and
# $r_\pi[s] = \sum_a \pi(a\mid s) R(s,a)$, the first equation reads
# $V^\pi = r_\pi + \gamma P_\pi V^\pi$, so for $\gamma < 1$
#
# $$
# V^\pi = (I - \gamma P_\pi)^{-1} r_\pi .
# $$
#
# An optimal policy $\pi^\star$ has the largest value in every state. Its values
# satisfy the **Bellman optimality equations**, in which the average over the
# policy becomes a maximum {cite}`bellman1957dp`:
#
# $$
# V^\star(s) = \max_a \Big[ R(s, a) + \gamma \sum_{s'} P(s' \mid s, a)\, V^\star(s') \Big],
# \qquad
# Q^\star(s, a) = R(s, a) + \gamma \sum_{s'} P(s' \mid s, a) \max_{a'} Q^\star(s', a').
# $$
#
# Once we have $Q^\star$, acting optimally is a lookup: pick
# $\arg\max_a Q^\star(s, a)$.
#
# ## Policy evaluation
#
# The linear system above can be solved directly, which costs $O(|\mathcal S|^3)$.
# The iterative alternative applies the expectation equation as an update,
# $V_{k+1} = r_\pi + \gamma P_\pi V_k$. This map is a $\gamma$-contraction in
# the max norm, so the error shrinks by at least a factor $\gamma$ per sweep and
# the iterates converge to $V^\pi$ from any start. Both live in the package
# (`policy_evaluation_exact` solves the linear system); here is the iterative
# one:

# %%
show_source(policy_evaluation)

# %% [markdown]
# Let us evaluate the uniformly random policy both ways and check that they
# agree.

# %% mystnb={"image": {"alt": "Heat map of the grid world: the value of each cell under the uniformly random policy, with walls dark grey, the goal green, the trap red and the start cell outlined; values are highest next to the goal."}}
mdp = TabularMDP.from_env(env, gamma=0.95)
uniform = np.full((mdp.n_states, mdp.n_actions), 0.25)
iterative = policy_evaluation(mdp, uniform, tol=1e-10)
exact = policy_evaluation_exact(mdp, uniform)
print(f"{iterative.iterations} sweeps; largest gap to the linear solve: "
      f"{np.abs(iterative.V - exact).max():.2e}")

fig, ax = plt.subplots(figsize=fig_size(3.4))
plot_grid_values(env, exact, ax=ax, title="$V^\\pi$ of the uniformly random policy")
plt.show()

# %% [markdown]
# The random walker is in trouble almost everywhere: even the cells next to
# the goal are worth many steps of cost, because a random step is as likely to
# lead away from the goal as towards it, and the trap sits in the middle.
#
# ## Value iteration
#
# Value iteration applies the optimality equation as an update:
# $V_{k+1}(s) = \max_a [R(s,a) + \gamma \sum_{s'} P(s'\mid s,a) V_k(s')]$.
# The max is also a $\gamma$-contraction, so $V_k \to V^\star$. A practical
# stopping rule halts when $\max_s |V_{k+1}(s) - V_k(s)| < \varepsilon$; then
# $\lVert V_{k+1} - V^\star \rVert_\infty \le \varepsilon\gamma/(1-\gamma)$.
#
# ```{prf:algorithm} Value iteration
# :label: alg-value-iteration
# **Inputs** $P, R, \gamma$, tolerance $\varepsilon$
#
# 1. $V \leftarrow 0$
# 2. **repeat**: $V' \leftarrow \max_a \big[R + \gamma P V\big]$; $\Delta \leftarrow \max_s |V' - V|$; $V \leftarrow V'$
# 3. **until** $\Delta < \varepsilon$
# 4. **return** $V$ and the greedy policy $\pi(s) = \arg\max_a [R(s,a) + \gamma \sum_{s'} P(s'\mid s,a) V(s')]$
# ```

# %%
show_source(value_iteration)

# %% [markdown]
# ## Policy iteration
#
# Policy iteration {cite}`howard1960dp` alternates two steps: evaluate the
# current policy exactly, then make it greedy with respect to its own values.
# The policy improvement theorem guarantees each new policy is at least as good
# as the last, and since a finite MDP has finitely many deterministic
# policies, the loop ends — usually after a handful of rounds.

# %% tags=["hide-input"] mystnb={"image": {"alt": "Two panels. Left: on a log axis, the largest change per sweep of value iteration and of iterative policy evaluation falls geometrically, below the dotted gamma-to-the-k bound. Right: the number of states whose action changes in each round of policy iteration drops to zero after a few rounds."}}
vi = value_iteration(mdp, tol=1e-10)
pi = policy_iteration(mdp)
print(f"value iteration: {vi.iterations} sweeps; policy iteration: {pi.iterations} "
      f"rounds; max |V_VI - V_PI| = {np.abs(vi.V - pi.V).max():.1e}")

fig, axes = plt.subplots(1, 2, figsize=fig_size(3.6))
ev = policy_evaluation(mdp, pi.policy, tol=1e-10)
axes[0].semilogy(vi.deltas, label="value iteration")
axes[0].semilogy(ev.deltas, label="evaluating $\\pi^\\star$ iteratively")
axes[0].semilogy(0.95 ** np.arange(len(vi.deltas)) * vi.deltas[0], "k:",
                 label="$\\gamma^k$ bound")
axes[0].set_xlabel("sweep $k$")
axes[0].set_ylabel("$\\max_s |V_{k+1}(s) - V_k(s)|$")
axes[0].set_title("Convergence of the sweeps")
axes[0].legend()
axes[1].plot(np.arange(1, len(pi.policy_changes) + 1), pi.policy_changes, "o-")
axes[1].set_xticks(np.arange(1, len(pi.policy_changes) + 1))  # whole rounds
axes[1].set_xlabel("policy-iteration round")
axes[1].set_ylabel("states whose action changed")
axes[1].set_title("Policy iteration settles in a few rounds")
plt.tight_layout()
plt.show()

# %% [markdown]
# The left panel shows the contraction at work: the change per sweep falls
# geometrically, no slower than $\gamma^k$. The right panel shows why policy
# iteration needs so few rounds: two improvements already give the optimal
# policy (the right panel counts how many states changed their action in
# each round), and the third round only confirms that nothing changes any
# more.

# %% tags=["hide-input"] mystnb={"image": {"alt": "Heat map of the grid world with the optimal value of each cell and an arrow for the greedy action; the arrows lead from the start around the trap to the goal."}}
fig, ax = plt.subplots(figsize=fig_size(3.4))
plot_grid_values(env, vi.V, vi.policy, ax=ax, title="$V^\\star$ and the greedy policy")
plt.show()

# %% [markdown]
# Every route to the goal runs through the cell just above the trap and then
# along the top row, so the optimal policy cannot avoid the danger, only
# limit it: it crosses that cell in one step and turns away from the trap at
# once. With slip 0.1, the step there is a gamble, which is why the values
# around the trap are lower than the distance to the goal alone would give.
#
# ## Try it: discount and slip
#
# Move the sliders to redraw $V^\star$ and the greedy policy. A small $\gamma$
# makes the agent short-sighted: far from the goal, all actions look equally
# bad. A large slip lowers the values most near the trap, since the only route
# passes beside it; the arrows hardly change, because there is no safer route
# to switch to. (Exercise: design a layout with a long safe route, and find
# the slip at which the policy switches to it.)

# %% mystnb={"image": {"alt": "Heat map of the grid world with optimal values and greedy arrows at discount 0.95 and slip 0.1, the setting the sliders start from."}}
def draw_optimal(gamma=0.95, slip=0.1):
    world = GridWorld(slip=slip)
    sol = value_iteration(TabularMDP.from_env(world, gamma))
    fig, ax = plt.subplots(figsize=fig_size(3.4))
    plot_grid_values(world, sol.V, sol.policy, ax=ax,
                     title=f"$V^\\star$, $\\gamma$={gamma:.2f}, slip={slip:.2f}")


live_figure(
    draw_optimal,
    caption="Optimal values and policy at gamma 0.95, slip 0.1.",
    gamma=widgets.FloatSlider(value=0.95, min=0.5, max=0.99, step=0.01,
                              description="gamma"),
    slip=widgets.FloatSlider(value=0.1, min=0.0, max=0.6, step=0.05,
                             description="slip"),
)

# %% [markdown]
# ## One backup by hand
#
# A single optimality backup from $V = 0$ gives each state the best immediate
# reward, and the greedy policy from it is blind beyond one step. It takes
# about as many backups as the goal is steps away before the start state
# "sees" the goal: its four action values stay equal until the news arrives.
# Compare the two numbers printed below:

# %%
start = env.start_states[0]
V = np.zeros(mdp.n_states)
for k in range(1, 101):
    V = bellman_optimality_backup(mdp, V)
    q_start = q_from_v(mdp, V)[start]
    if k in (1, 2) or np.ptp(q_start) > 1e-9:
        print(f"after {k:2d} backups, Q at the start:", np.round(q_start, 3))
    if np.ptp(q_start) > 1e-9:  # the actions differ: the news has arrived
        break
from mbrl_lessons.envs.mazes import shortest_path_length  # noqa: E402

print("shortest path from the start to the goal:", shortest_path_length(env), "steps")

# %% [markdown]
# ## Exercises
#
# The graded exercises for this chapter are in
# [`exercises/ch02_mdp.ipynb`](https://colab.research.google.com/github/mbrl-lessons/mbrl-lessons/blob/main/exercises/ch02_mdp.ipynb):
# iterative policy evaluation, the Bellman optimality backup, value iteration
# with a stopping rule, and greedy policy improvement. Each is checked against
# hand-computed cases and against the package on random MDPs; see
# {doc}`ch00_checking_your_work`.
#
# ```{exercise}
# :label: ex-ch02-contraction
# Show that the optimality backup $T$ is a $\gamma$-contraction:
# $\lVert TV - TU \rVert_\infty \le \gamma \lVert V - U \rVert_\infty$.
# Hint: $|\max_a f(a) - \max_a g(a)| \le \max_a |f(a) - g(a)|$.
# ```
#
# ```{exercise}
# :label: ex-ch02-gamma-one
# With $\gamma = 1$ and no slip (`GridWorld(slip=0)`),
# `policy_evaluation_exact` fails for some policies of our grid world but not
# for others. Which ones, and why? Try the policy that always moves left.
# Then put the slip back to 0.1: the same policy now gets a finite, hugely
# negative value. Why, and how long does the agent wander on average?
# ```
#
# ## References
#
# The MDP formalism and its dynamic programming solutions are treated in depth
# by Puterman {cite}`puterman2014mdp`; value iteration goes back to Bellman
# {cite}`bellman1957dp` and policy iteration to Howard {cite}`howard1960dp`;
# chapters 3–4 of Sutton and Barto {cite}`sutton2018rl` are a gentle companion.
