"""Experiments and reports that span chapters (chapter 8 and the appendices)."""
