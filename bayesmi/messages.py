"""How error and warning messages show labels: a few of them, and how many more."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["show"]

SHOWN = 5
"""Labels shown before the rest are counted."""


def show(labels: Iterable, limit: int = SHOWN) -> str:
    """Format labels as ``a, b, c`` with at most `limit` shown and the rest counted.

    Examples
    --------
    >>> from bayesmi.messages import show
    >>> show(range(8))
    '0, 1, 2, 3, 4 and 3 more'
    """
    labels = list(labels)
    text = ", ".join(str(label) for label in labels[:limit])
    if len(labels) > limit:
        text += f" and {len(labels) - limit} more"
    return text
