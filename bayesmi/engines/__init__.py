"""The engines: `impute` (the front door), the chained and the joint engine, and their plumbing.

`impute` (in `dispatch`) checks every argument (`options`) and dispatches to the chained
engine (`chained`: one chain of conditional updates; `parallel`: chains in processes or on an
executor; `updaters`: NUTS and Gibbs steps; `checkpoint`: saved chain states; `progress`: the
bars) or to the joint engine (`joint`).
"""

from bayesmi.engines.dispatch import impute

__all__ = ["impute"]
