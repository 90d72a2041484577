"""Plotting, widgets, diagrams and ``show_source`` for the book."""

from mbrl_lessons.viz.plots import plot_grid_values, plot_learning_curves
from mbrl_lessons.viz.source import show_source
from mbrl_lessons.viz.style import FIG_WIDTH, fig_size
from mbrl_lessons.viz.widgets import live_figure

__all__ = ["FIG_WIDTH", "fig_size", "live_figure", "plot_grid_values",
           "plot_learning_curves", "show_source"]
