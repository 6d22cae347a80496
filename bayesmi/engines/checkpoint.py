"""Checkpoints of a chained run: each chain's whole state, saved every few iterations.

``bm.impute(..., checkpoint="run.ckpt")`` makes ``run.ckpt`` a directory holding ``run.json``
(what identifies the run: seed, spec, settings and a hash of the data) and one
``chain<k>.pkl`` per chain: the iteration reached, the chain's random generator, its completed
data, every sampler's state (NUTS adaptation included) and the record so far. Each file is
written to a temporary name and renamed, so a run killed at any moment leaves the last
complete checkpoint. Calling `impute` again with the same arguments resumes every chain where
it was saved and gives exactly the result of an uninterrupted run; a finished run is rebuilt
from its checkpoint without sampling.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["CheckpointStore", "saved_iterations"]

_RUN_FILE = "run.json"


class CheckpointStore:
    """The checkpoint directory of one run.

    Parameters
    ----------
    directory : str or Path
        Where the chain states are kept (created if absent).
    """

    def __init__(self, directory: str | os.PathLike) -> None:
        self.directory = Path(directory)

    def stored_run(self) -> dict | None:
        """Return the identity of the run stored here, or None for a new directory."""
        path = self.directory / _RUN_FILE
        return json.loads(path.read_text()) if path.exists() else None

    def claim(self, run: dict) -> None:
        """Record `run` as this directory's run; refuse a directory of another run.

        Raises
        ------
        ValueError
            If the directory holds the checkpoint of a run with other data, spec, settings or
            seed.
        """
        stored = self.stored_run()
        if stored is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            _write_atomic(self.directory / _RUN_FILE, json.dumps(run).encode())
            return
        differing = sorted(
            key for key in run.keys() | stored.keys() if run.get(key) != stored.get(key)
        )
        if differing:
            raise ValueError(
                f"checkpoint {str(self.directory)!r} belongs to another run (it differs in "
                f"{', '.join(differing)}); pass the same data and arguments to resume it, or "
                "another checkpoint path (or delete this one) to start afresh."
            )

    def save(self, chain: int, state: dict) -> None:
        """Save one chain's state, atomically."""
        _write_atomic(self.directory / f"chain{chain}.pkl", pickle.dumps(state))

    def load(self, chain: int) -> dict | None:
        """Return one chain's saved state, or None."""
        path = self.directory / f"chain{chain}.pkl"
        return pickle.loads(path.read_bytes()) if path.exists() else None


def saved_iterations(directory: str | os.PathLike) -> dict[int, int]:
    """Return the iteration each chain of a checkpoint has reached, by chain.

    Examples
    --------
    >>> from bayesmi.engines.checkpoint import saved_iterations
    >>> saved_iterations("no-such-checkpoint")
    {}
    """
    store = CheckpointStore(directory)
    if not store.directory.is_dir():
        return {}
    iterations = {}
    for path in sorted(store.directory.glob("chain*.pkl")):
        chain = int(path.stem.removeprefix("chain"))
        iterations[chain] = store.load(chain)["iteration"]
    return iterations


def data_fingerprint(frame: pd.DataFrame) -> str:
    """Return a hash of a frame as given: its rows in order, row labels, columns and dtypes.

    Reordered, relabelled or edited rows, and renamed, reordered or retyped columns, give
    another fingerprint, so a checkpoint is never resumed onto other data.
    """
    digest = hashlib.sha256()
    digest.update(_hashed(pd.Series(frame.index)))
    for _, column in frame.items():
        digest.update(_hashed(column))
    digest.update(repr([(repr(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    return digest.hexdigest()


def _hashed(values: pd.Series) -> bytes:
    """Return a column's row hashes (of the values' reprs where pandas cannot hash them)."""
    try:
        rows = pd.util.hash_pandas_object(values, index=False)
    except (TypeError, ValueError):
        rows = pd.util.hash_pandas_object(values.map(repr), index=False)
    return np.ascontiguousarray(rows.to_numpy()).tobytes()


def _write_atomic(path: Path, content: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(content)
    os.replace(temporary, path)
