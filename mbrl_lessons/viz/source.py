"""``show_source(fn)``: show package code inside the book, never paste it."""

from __future__ import annotations

import inspect


def show_source(obj, *, strip_docstring: bool = False):
    """Display the source of a function/class from the package, highlighted.

    In a notebook this returns an IPython ``Code`` object (rendered with syntax
    highlighting on the website); elsewhere it returns the source string.
    """
    try:
        source = inspect.getsource(obj)
    except (OSError, TypeError) as err:
        raise TypeError(
            f"show_source needs a function, class or module defined in a file; "
            f"got {obj!r} ({err})"
        ) from None
    if strip_docstring:
        doc = inspect.getdoc(obj)
        if doc:
            for quote in ('"""', "'''"):
                start = source.find(quote)
                if start != -1:
                    end = source.find(quote, start + 3)
                    if end != -1:
                        source = source[:start] + source[end + 3 :].lstrip("\n")
                        break
    try:
        from IPython.display import Code

        return Code(source, language="python")
    except ImportError:  # pragma: no cover - IPython ships with the book stack
        return source
