"""How messages show labels (a few of them, and how many more), and where warnings point."""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterable
from pathlib import Path

__all__ = ["label_of", "show", "warn"]

_PACKAGE = str(Path(__file__).parent) + os.sep

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


def label_of(value: object) -> str:
    """Write a value as a label: a whole-number float without its decimal point.

    Examples
    --------
    >>> from bayesmi.messages import label_of
    >>> label_of(2.0), label_of(2.5), label_of("pre")
    ('2', '2.5', 'pre')
    """
    if isinstance(value, float) and value.is_integer():  # numpy floats are floats
        return str(int(value))
    return str(value)


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """Warn at the caller's line: the first frame outside bayesmi.

    What ``warnings.warn(..., skip_file_prefixes=...)`` does from Python 3.12: a warning of
    `bayesmi.impute` points at the user's call of it, however deep inside the package it was
    raised and whatever wraps the call.
    """
    level, frame = 2, sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
