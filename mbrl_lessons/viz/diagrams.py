"""Block diagrams of the book, drawn with matplotlib (no pasted images).

* :func:`model_mappings` — the five kinds of mapping a dynamics model can
  learn (chapter 5.1): Markov, history, multi-step, latent, option;
* :func:`planning_questions` — the four questions of integrating planning
  and learning placed on the real/model loop (chapter 6);
* :func:`integration_channels` — the three channels between planner,
  policy/value and acting, and which method uses which (chapter 6.4);
* :func:`architecture` — the data flow of each chapter-7 algorithm: real
  environment, model, planner or learner, policy.

Every function returns a new :class:`matplotlib.figure.Figure` of the house
width (:mod:`mbrl_lessons.viz.style`), without showing it.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from mbrl_lessons.viz.style import FIG_WIDTH, fig_size

# one colour per role, the same in every diagram
COLOURS = {
    "env": "#f6d5a8",      # the real environment and real data
    "model": "#b9d7f0",    # learned model parts
    "plan": "#c9e8c2",     # planners, search, imagination
    "policy": "#e4cdee",   # policy, value, controller
    "data": "#eeeeee",     # buffers and plain quantities
}


def _canvas(xlim: float, ylim: float, ybottom: float = 0.0):
    """Axes of ``xlim`` by ``ylim`` units at equal scale across the house width
    (less the margin of 0.1 inch a side that a tight save adds)."""
    width = FIG_WIDTH - 0.25
    fig = plt.figure(figsize=fig_size(width * (ylim - ybottom) / xlim, width))
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_xlim(0, xlim)
    ax.set_ylim(ybottom, ylim)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


def _box(ax, x: float, y: float, text: str, role: str = "data", w: float = 1.9,
         h: float = 0.8, fontsize: float = 8) -> tuple[float, float, float, float]:
    """A rounded box centred at (x, y); returns its extent for arrows."""
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h,
                                boxstyle="round,pad=0.02,rounding_size=0.12",
                                facecolor=COLOURS[role], edgecolor="0.3", lw=0.9))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize)
    return (x, y, w, h)


def _edge(box, towards) -> tuple[float, float]:
    """The point where the line from ``box``'s centre to ``towards`` leaves it."""
    x, y, w, h = box
    dx, dy = towards[0] - x, towards[1] - y
    if dx == 0 and dy == 0:
        return x, y
    sx = (w / 2) / abs(dx) if dx else float("inf")
    sy = (h / 2) / abs(dy) if dy else float("inf")
    s = min(sx, sy)
    return x + dx * s, y + dy * s


def _arrow(ax, a, b, text: str = "", rad: float = 0.0, fontsize: float = 7,
           offset: tuple[float, float] = (0.0, 0.0), style: str = "-|>",
           colour: str = "0.2", ls: str = "-"):
    """Arrow from box (or point) ``a`` to box (or point) ``b`` with a label."""
    pa = a[:2] if len(a) == 2 else _edge(a, b[:2])
    pb = b[:2] if len(b) == 2 else _edge(b, a[:2])
    ax.add_patch(FancyArrowPatch(pa, pb, arrowstyle=style, mutation_scale=10,
                                 connectionstyle=f"arc3,rad={rad}", color=colour,
                                 lw=1.0, ls=ls, shrinkA=1, shrinkB=1))
    if text:
        mx, my = (pa[0] + pb[0]) / 2 + offset[0], (pa[1] + pb[1]) / 2 + offset[1]
        ax.text(mx, my, text, ha="center", va="center", fontsize=fontsize,
                color="0.15", bbox=dict(facecolor="white", edgecolor="none",
                                        alpha=0.85, pad=0.6))


def model_mappings() -> Figure:
    """Chapter 5.1: what a model maps to what, in five variants.

    1 Markov ``s_t, a_t -> s_{t+1}``; 2 partial observability (a history);
    3 multi-step (an action sequence); 4 state abstraction (a latent
    ``z``); 5 temporal abstraction (an option ``u_t`` reaching ``s_{t+n}``).
    """
    fig, ax = _canvas(10.0, 6.9)
    # each row: (x, text, role) boxes, joined left to right by "+" or an arrow
    rows = [
        ("1  Markov", [(3.0, "$s_t$", "env"), (4.6, "$a_t$", "data"),
                       (6.4, "model", "model"), (8.2, "$s_{t+1}$", "env")],
         ["+", "", ""]),
        ("2  partial\n    observability",
         [(3.0, "$s_0 \\ldots s_t$", "env"), (4.6, "$a_t$", "data"),
          (6.4, "model", "model"), (8.2, "$s_{t+1}$", "env")], ["+", "", ""]),
        ("3  multi-step", [(3.0, "$s_t$", "env"),
                           (4.6, "$a_t \\ldots a_{t+n-1}$", "data"),
                           (6.4, "model", "model"), (8.2, "$s_{t+n}$", "env")],
         ["+", "", ""]),
        ("4  state\n    abstraction",
         [(2.3, "$s_t$", "env"), (3.6, "$z_t$", "model"), (4.9, "$a_t$", "data"),
          (6.2, "model", "model"), (7.5, "$z_{t+1}$", "model"),
          (8.8, "$s_{t+1}$", "env")], ["encode", "+", "", "", "decode"]),
        ("5  temporal\n    abstraction",
         [(3.0, "$s_t$", "env"), (4.6, "$u_t$ (option)", "policy"),
          (6.4, "model", "model"), (8.2, "$s_{t+n}$", "env")], ["+", "", ""]),
    ]
    for i, (name, boxes, joins) in enumerate(rows):
        y = 6.2 - i * 1.35
        ax.text(0.1, y, name, ha="left", va="center", fontsize=8, fontweight="bold")
        drawn = [_box(ax, x, y, t, role, w=1.45 if len(t) > 12 else 1.05, h=0.6)
                 for x, t, role in boxes]
        for a, b, join in zip(drawn[:-1], drawn[1:], joins, strict=True):
            if join == "+":
                ax.text((a[0] + a[2] / 2 + b[0] - b[2] / 2) / 2, y, "+",
                        ha="center", va="center", fontsize=9)
            else:
                _arrow(ax, a, b)
                if join:
                    ax.text((a[0] + b[0]) / 2, y - 0.42, join, ha="center",
                            va="top", fontsize=6, color="0.35")
    ax.text(5.0, 0.05, "2–5 each change one part of mapping 1; they can be combined",
            ha="center", va="bottom", fontsize=7, style="italic")
    return fig


def planning_questions() -> Figure:
    """Chapter 6: the real/model loop and where the four questions sit.

    1 where to start planning; 2 how much to plan per real step; 3 which
    planning algorithm; 4 how the plan's output feeds back into learning and
    acting.
    """
    fig, ax = _canvas(10.0, 4.8, 0.7)
    env = _box(ax, 1.5, 4.2, "real\nenvironment", "env", w=2.0, h=0.95)
    data = _box(ax, 5.0, 4.2, "experience\n(real transitions)", "data", w=2.3, h=0.95)
    model = _box(ax, 8.5, 4.2, "learned\nmodel", "model", w=1.8, h=0.95)
    plan = _box(ax, 8.5, 1.3, "planning\n(with the model)", "plan", w=2.1, h=0.95)
    pv = _box(ax, 1.5, 1.3, "policy / value", "policy", w=2.0, h=0.95)
    _arrow(ax, env, data, "collect")
    _arrow(ax, data, model, "fit")
    _arrow(ax, model, plan, "simulate")
    _arrow(ax, plan, pv, "④ how does the output feed back?", offset=(0, 0.35))
    _arrow(ax, pv, env, "act")
    ax.text(5.0, 2.7, "① which state to start planning from?\n"
            "② how much planning per real step?\n"
            "③ which planning algorithm?", ha="center", va="center", fontsize=8,
            bbox=dict(facecolor=COLOURS["plan"], edgecolor="0.3",
                      boxstyle="round,pad=0.3", alpha=0.6))
    _arrow(ax, (6.6, 2.7), plan, ls="--", colour="0.4")
    _arrow(ax, data, (5.0, 3.25), "start states", ls="--", colour="0.4",
           offset=(0.9, 0.0))
    return fig


# which channel each method uses (chapter 6.4): planning input from the
# policy/value, planning output as a training target, action chosen by the
# planner (else by the learned policy)
INTEGRATION = {
    "MPC / PETS": (False, False, True),
    "Dyna-Q": (False, True, False),
    "MBPO": (True, True, False),
    "World Models": (True, True, False),
    "Dreamer": (True, True, False),
    "AlphaZero / MuZero": (True, True, True),
}


def integration_channels() -> Figure:
    """Chapter 6.4: the three channels and which methods combine which.

    Left, the loop with the channels numbered; right, a table of methods
    against channels (``INTEGRATION``).
    """
    fig, ax = _canvas(10.0, 4.9, 0.6)
    pv = _box(ax, 1.3, 4.0, "policy /\nvalue", "policy", w=1.7, h=0.9)
    plan = _box(ax, 4.3, 4.0, "planner", "plan", w=1.6, h=0.9)
    act = _box(ax, 2.8, 1.2, "action in the\nreal world", "env", w=2.0, h=0.9)
    _arrow(ax, pv, plan, "① input", rad=-0.35, offset=(0, 0.55))
    _arrow(ax, plan, pv, "② target", rad=-0.35, offset=(0, -0.55))
    _arrow(ax, plan, act, "③ plan\nacts", offset=(0.45, 0.0))
    _arrow(ax, pv, act, "or the\npolicy acts", ls="--", offset=(-0.5, 0.0))
    cols = ["①\ninput", "②\ntarget", "③\nplan acts"]
    x0, y0 = 7.0, 4.45
    for j, c in enumerate(cols):
        ax.text(x0 + 0.6 + 0.95 * j, y0, c, ha="center", va="center", fontsize=7,
                fontweight="bold")
    for i, (method, uses) in enumerate(INTEGRATION.items()):
        y = y0 - 0.6 - 0.6 * i
        ax.text(x0, y, method, ha="right", va="center", fontsize=7)
        for j, used in enumerate(uses):
            ax.text(x0 + 0.6 + 0.95 * j, y, "●" if used else "–", ha="center",
                    va="center", fontsize=10 if used else 8,
                    color="#2e7d32" if used else "0.6")
    return fig


def _world_models(ax):
    env = _box(ax, 1.2, 3.9, "real\nenvironment", "env", w=1.8, h=0.85)
    vae = _box(ax, 4.2, 3.9, "V: VAE\n$o_t \\to z_t$", "model", w=1.8, h=0.85)
    rnn = _box(ax, 7.6, 3.9, "M: MDN-RNN\n$p(z_{t+1} | z_t, a_t, h_t)$", "model",
               w=2.6, h=0.85)
    ctrl = _box(ax, 1.2, 1.2, "C: controller\n$a_t = C(z_t, h_t)$", "policy",
                w=2.0, h=0.85)
    cma = _box(ax, 4.2, 1.2, "CMA-ES\n(evolution)", "plan", w=1.8, h=0.85)
    dream = _box(ax, 7.6, 1.2, "dream: roll out M\nwith the controller", "plan",
                 w=2.6, h=0.85)
    _arrow(ax, env, vae, "frames $o_t$")
    _arrow(ax, vae, rnn, "$z_t$")
    _arrow(ax, rnn, dream, "imagined $z$")
    _arrow(ax, dream, cma, "dream\nreturns")
    _arrow(ax, cma, ctrl, "new\nweights")
    _arrow(ax, ctrl, dream, "actions in the dream", rad=-0.3, offset=(0, 0.55))
    _arrow(ax, ctrl, env, "acts (after training)", ls="--", offset=(0.0, 0.0))


def _pets(ax):
    env = _box(ax, 1.2, 3.9, "real\nenvironment", "env", w=1.8, h=0.85)
    buf = _box(ax, 4.2, 3.9, "all real\ntransitions", "data", w=1.9, h=0.85)
    ens = _box(ax, 7.6, 3.9, "ensemble of B\nGaussian nets", "model", w=2.3, h=0.85)
    ts = _box(ax, 7.6, 1.2, "trajectory sampling:\nparticles through members",
              "plan", w=2.7, h=0.85)
    cem = _box(ax, 4.2, 1.2, "CEM over action\nsequences (MPC)", "plan", w=2.2,
               h=0.85)
    _arrow(ax, env, buf, "$(s, a, s')$")
    _arrow(ax, buf, ens, "fit each episode")
    _arrow(ax, ens, ts, "$\\mu_b, \\Sigma_b$")
    _arrow(ax, cem, ts, "candidate\nsequences", rad=0.3, offset=(0, 0.55))
    _arrow(ax, ts, cem, "mean predicted\nreturn", rad=0.3, offset=(0, -0.6))
    _arrow(ax, cem, env, "first action,\nre-plan each step", offset=(-0.4, 0.1))


def _mbpo(ax):
    env = _box(ax, 1.2, 3.9, "real\nenvironment", "env", w=1.8, h=0.85)
    real = _box(ax, 4.1, 3.9, "real buffer", "data", w=1.8, h=0.85)
    ens = _box(ax, 7.4, 3.9, "ensemble\nmodel", "model", w=1.8, h=0.85)
    roll = _box(ax, 7.4, 1.2, "k-step branches\nfrom real states", "plan", w=2.3,
                h=0.85)
    mbuf = _box(ax, 4.1, 1.2, "model buffer", "data", w=1.8, h=0.85)
    sac = _box(ax, 1.2, 1.2, "SAC\n(actor-critic)", "policy", w=1.8, h=0.85)
    _arrow(ax, env, real, "$(s, a, r, s')$")
    _arrow(ax, real, ens, "fit")
    _arrow(ax, ens, roll, "simulate")
    _arrow(ax, real, roll, "start states", ls="--", offset=(-0.2, 0.25))
    _arrow(ax, roll, mbuf, "imagined")
    _arrow(ax, mbuf, sac, "G updates\nper real step")
    _arrow(ax, sac, env, "acts")
    _arrow(ax, sac, roll, "policy", rad=-0.35, ls="--", offset=(0, 0.95))


def _dreamer(ax):
    env = _box(ax, 1.2, 3.9, "real\nenvironment", "env", w=1.8, h=0.85)
    buf = _box(ax, 4.0, 3.9, "sequences\n$(o, a, r)$", "data", w=1.8, h=0.85)
    rssm = _box(ax, 7.3, 3.9, "RSSM world model\nencoder, $p(z' | h, z, a)$,\n"
                "reward, decoder", "model", w=2.8, h=1.05)
    imag = _box(ax, 7.3, 1.2, "imagined latent\nrollouts of H steps", "plan",
                w=2.6, h=0.85)
    ac = _box(ax, 3.6, 1.2, "actor $\\pi(a|z)$ and\ncritic $V(z)$", "policy",
              w=2.4, h=0.85)
    _arrow(ax, env, buf, "frames")
    _arrow(ax, buf, rssm, "learn")
    _arrow(ax, rssm, imag, "dream")
    _arrow(ax, imag, ac, "λ-returns,\nbackprop", rad=0.3, offset=(0, -0.6))
    _arrow(ax, ac, imag, "actions", rad=0.3, offset=(0, 0.5))
    _arrow(ax, ac, env, "acts (encoder\nfilters the state)", offset=(-0.55, 0.1))


def _muzero(ax):
    env = _box(ax, 1.2, 3.9, "real environment\n(or game)", "env", w=2.0, h=0.85)
    h = _box(ax, 4.3, 3.9, "h: representation\n$s^0 = h(o_{1:t})$", "model",
             w=2.2, h=0.85)
    mcts = _box(ax, 7.6, 3.9, "MCTS in latent space\nwith g and f", "plan",
                w=2.6, h=0.85)
    gf = _box(ax, 7.6, 1.2, "g: $s^{k+1}, r^k = g(s^k, a^k)$\n"
              "f: $p^k, v^k = f(s^k)$", "model", w=2.6, h=0.85)
    buf = _box(ax, 1.3, 1.2, "replay: visit counts,\nrewards, returns", "data",
               w=2.3, h=0.85)
    _arrow(ax, env, h, "observations")
    _arrow(ax, h, mcts, "$s^0$")
    _arrow(ax, mcts, gf, "expand", rad=0.25, offset=(0.45, 0))
    _arrow(ax, gf, mcts, "$r, p, v$", rad=0.25, offset=(-0.45, 0))
    _arrow(ax, mcts, env, "act by visit counts", rad=-0.4, offset=(0, -0.8))
    _arrow(ax, env, buf, "trajectories")
    _arrow(ax, buf, gf, "train h, g, f on K-step unrolls")


ARCHITECTURES = {
    "world_models": ("World Models (Ha & Schmidhuber 2018)", _world_models),
    "pets": ("PETS (Chua et al. 2018)", _pets),
    "mbpo": ("MBPO (Janner et al. 2019)", _mbpo),
    "dreamer": ("Dreamer (Hafner et al. 2020–2023)", _dreamer),
    "muzero": ("MuZero (Schrittwieser et al. 2020); AlphaZero: g is the "
               "known rules", _muzero),
}


def architecture(name: str) -> Figure:
    """The data flow of one chapter-7 algorithm: real environment (orange),
    learned model (blue), planner or imagination (green), policy (purple).

    ``name`` is one of :data:`ARCHITECTURES`.
    """
    if name not in ARCHITECTURES:
        raise ValueError(f"unknown algorithm {name!r}; choose one of "
                         f"{sorted(ARCHITECTURES)}")
    title, draw = ARCHITECTURES[name]
    fig, ax = _canvas(9.6, 4.9, 0.15)
    draw(ax)
    ax.set_title(title, fontsize=9)
    return fig
