"""Plotting, widgets and ``show_source`` for the book."""

from mbrl_lessons.viz.source import show_source

__all__ = ["show_source"]
