"""Each diagram of the book draws, within the website's column, with the
parts its chapter names."""

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from mbrl_lessons.viz import diagrams  # noqa: E402
from mbrl_lessons.viz.style import COLUMN_PX, DPI  # noqa: E402

CASES = {
    "model_mappings": (diagrams.model_mappings, ["Markov", "multi-step", "option",
                                                 "$z_t$", "encode", "decode"]),
    "planning_questions": (diagrams.planning_questions, [
        "which state to start planning from", "how much planning",
        "which planning algorithm", "feed back", "learned\nmodel"]),
    "integration_channels": (diagrams.integration_channels, [
        "planner", "① input", "MBPO", "AlphaZero / MuZero"]),
}
for _name in diagrams.ARCHITECTURES:
    CASES[f"architecture_{_name}"] = (
        lambda n=_name: diagrams.architecture(n), ["real"])
WORDS = {"architecture_world_models": ["VAE", "MDN-RNN", "CMA-ES", "dream"],
         "architecture_pets": ["ensemble", "CEM", "trajectory sampling"],
         "architecture_mbpo": ["SAC", "model buffer", "k-step"],
         "architecture_dreamer": ["RSSM", "actor", "critic", "imagined"],
         "architecture_muzero": ["representation", "MCTS", "g:", "f:"]}


def _texts(fig):
    return "\n".join(t.get_text() for ax in fig.axes for t in ax.texts)


@pytest.mark.parametrize("name", sorted(CASES))
def test_diagram_draws_its_parts_within_the_column(name):
    draw, words = CASES[name]
    fig = draw()
    text = _texts(fig) + "\n" + "\n".join(ax.get_title() for ax in fig.axes)
    for w in words + WORDS.get(name, []):
        assert w in text, f"{name}: {w!r} missing from the diagram"
    boxes = [p for ax in fig.axes for p in ax.patches
             if type(p).__name__ == "FancyBboxPatch"]
    arrows = [p for ax in fig.axes for p in ax.patches
              if type(p).__name__ == "FancyArrowPatch"]
    assert len(boxes) >= 3 and len(arrows) >= 3, (len(boxes), len(arrows))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    width = int.from_bytes(buf.getvalue()[16:20], "big")  # PNG IHDR width
    assert 0 < width <= COLUMN_PX


def test_every_chapter7_algorithm_has_an_architecture():
    assert set(diagrams.ARCHITECTURES) == {"world_models", "pets", "mbpo",
                                           "dreamer", "muzero"}
    with pytest.raises(ValueError, match="unknown algorithm 'ppo'"):
        diagrams.architecture("ppo")


def test_integration_table_matches_the_lecture():
    """MPC acts by its plan only; Dyna-Q trains from its planning only;
    AlphaZero and MuZero use all three channels."""
    t = diagrams.INTEGRATION
    assert t["MPC / PETS"] == (False, False, True)
    assert t["Dyna-Q"] == (False, True, False)
    assert t["AlphaZero / MuZero"] == (True, True, True)
