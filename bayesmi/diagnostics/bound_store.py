"""R-hat noise bounds kept on disk: each is simulated once per machine, not once per process.

A noise bound (`bayesmi.diagnostics.kernels.rhat_noise_bound`) is the quantile of R-hat over
thousands of simulated well-mixed chains: up to a second of arithmetic, the same numbers every
time (a fixed seed). `bayesmi.impute` needs a few per run, so a fresh Python session paid for
them on every first run. They are kept in ``rhat_noise_bounds.json`` under the directory
``BAYESMI_CACHE_DIR`` names, else ``$XDG_CACHE_HOME/bayesmi`` (``~/.cache/bayesmi``), with
the version of the simulation that made them; a file of another version is ignored. Writing is
atomic (a temporary file renamed), so processes writing at once lose at most an entry, which is
simulated again; a directory that cannot be written leaves the bounds in memory only.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

__all__ = ["VERSION", "load_bounds", "save_bound", "store_path"]

VERSION = "rhat-noise-bound-1"
"""The simulation the stored bounds come from; change it when the simulation changes."""


def store_path() -> Path:
    """Return the file the bounds are kept in."""
    directory = os.environ.get("BAYESMI_CACHE_DIR")
    if not directory:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        directory = os.path.join(base, "bayesmi")
    return Path(directory) / "rhat_noise_bounds.json"


def load_bounds() -> dict[str, float]:
    """Return the stored bounds by key (empty when none are stored, or of another version)."""
    try:
        content = json.loads(store_path().read_text())
    except (OSError, ValueError):  # no file yet, or one cut short: simulate again
        return {}
    if not isinstance(content, dict) or content.get("version") != VERSION:
        return {}
    bounds = content.get("bounds")
    return {str(key): float(value) for key, value in bounds.items()} if bounds else {}


def save_bound(key: str, value: float) -> None:
    """Add one bound to the stored ones (atomically; nothing is kept where writing fails)."""
    path = store_path()
    bounds = load_bounds() | {key: value}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".bounds-", suffix=".json")
    except OSError:  # a read-only cache directory: the bound stays in this process's memory
        return
    try:
        with os.fdopen(handle, "w") as file:
            json.dump({"version": VERSION, "bounds": bounds}, file)
        os.replace(temporary, path)
    except OSError:  # a full disk: the same, and no temporary file left behind
        Path(temporary).unlink(missing_ok=True)
