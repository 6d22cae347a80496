"""One progress bar per chain, drawn with rich (as PyMC draws its own)."""

from __future__ import annotations

from types import TracebackType

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


class ChainProgress:
    """Context manager showing the iterations done by each chain.

    Parameters
    ----------
    chains : int
        Number of chains (one bar each).
    iterations : int
        Iterations per chain.
    enabled : bool
        Draw nothing when False.
    """

    def __init__(self, chains: int, iterations: int, enabled: bool = True) -> None:
        self.enabled = enabled
        self._progress = Progress(
            TextColumn("chain {task.fields[chain]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("iterations"),
            TimeElapsedColumn(),
            disable=not enabled,
        )
        self._tasks = [
            self._progress.add_task("impute", total=iterations, chain=chain)
            for chain in range(chains)
        ]

    def __enter__(self) -> ChainProgress:
        """Start drawing the bars."""
        self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop drawing the bars."""
        self._progress.stop()

    def advance(self, chain: int, iteration: int) -> None:
        """Record that `chain` has finished `iteration` iterations."""
        self._progress.update(self._tasks[chain], completed=iteration)
