"""Draw the top of a UCT search tree (chapter 6, §6.3)."""

from __future__ import annotations

import matplotlib.pyplot as plt

from mbrl_lessons.search.mcts import Node
from mbrl_lessons.viz.style import fig_size


def plot_tree(root: Node, depth: int = 2, ax=None, min_visits: int = 1,
              label=str):
    """Nodes as circles sized by visits and coloured by the mover's mean value
    ``V``; edges labelled with the action.  Children with fewer than
    ``min_visits`` visits are left out to keep the picture readable."""
    if depth < 1:
        raise ValueError("depth must be >= 1")
    if ax is None:
        _, ax = plt.subplots(figsize=fig_size(4))
    leaves: list[Node] = []

    def collect(node, d):
        kids = [node.children[a] for a in sorted(node.children)
                if node.children[a].N >= min_visits]
        if d == depth or not kids:
            leaves.append(node)
        for c in kids:
            collect(c, d + 1) if d < depth else None

    collect(root, 0)
    pos: dict[int, tuple[float, float]] = {}

    def place(node, d):
        kids = [node.children[a] for a in sorted(node.children)
                if node.children[a].N >= min_visits] if d < depth \
            else []
        if not kids:
            x = float(leaves.index(node))
        else:
            xs = [place(c, d + 1) for c in kids]
            x = sum(xs) / len(xs)
        pos[id(node)] = (x, -d)
        return x

    place(root, 0)
    xs, ys, sizes, colours = [], [], [], []

    def draw(node, d):
        x, y = pos[id(node)]
        xs.append(x)
        ys.append(y)
        sizes.append(30 + 600 * node.N / max(root.N, 1))
        colours.append(node.V)
        if d >= depth:
            return
        for a, c in sorted(node.children.items()):
            if c.N < min_visits:
                continue
            cx, cy = pos[id(c)]
            ax.plot([x, cx], [y, cy], color="0.7", lw=0.8, zorder=0)
            if d == 0:
                ax.text((x + cx) / 2, (y + cy) / 2, label(a), fontsize=8,
                        ha="center", va="center", color="0.3")
            draw(c, d + 1)

    draw(root, 0)
    sc = ax.scatter(xs, ys, s=sizes, c=colours, cmap="coolwarm_r", vmin=0, vmax=1,
                    edgecolors="k", linewidths=0.5)
    plt.colorbar(sc, ax=ax, label="mean result for the player who moved")
    ax.set_yticks([-d for d in range(depth + 1)],
                  [f"depth {d}" for d in range(depth + 1)])
    ax.set_xticks([])
    ax.set_title(f"Search tree after {root.N} simulations (size = visits)")
    return ax
