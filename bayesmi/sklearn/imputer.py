"""`MultilevelImputer`: bayesmi's multilevel multiple imputation as a scikit-learn transformer.

``fit`` imputes the training data with `bayesmi.impute` (every feature's model fitted, even
of features complete there: ``fit_complete=True``), ``transform`` imputes any data with the
fitted run (`bayesmi.impute_new`: known clusters keep their effects, new clusters draw
theirs from the population), and ``fit_transform`` returns the training data's own
imputations. A transformer returns one table: by default the average of the m imputations
(the most frequent category for a factor), or one chosen imputation; ``transform_all`` and
``completed_`` give all m completed frames for Rubin's rules.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from numbers import Integral

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from bayesmi.engines import impute
from bayesmi.newdata import impute_new
from bayesmi.result.read import completed
from bayesmi.sklearn.default_spec import default_spec
from bayesmi.spec.model import ImputationModel

__all__ = ["MultilevelImputer"]


class MultilevelImputer(TransformerMixin, BaseEstimator):
    """Multilevel multiple imputation as a scikit-learn transformer.

    Parameters
    ----------
    cluster : str, int or sequence of them
        The cluster column (a position for an array), or nested grouping columns, outermost
        first. Grouping columns are not imputed and, unless `keep_cluster`, not returned.
    spec : mapping of str to ImputationModel, optional
        The models, as `bayesmi.impute` takes them; default every feature from all the others
        with a random intercept of the cluster (`bayesmi.sklearn.default_spec`).
    time : str, optional
        Longitudinal data: the column ordering each person's occasions (`bayesmi.impute`).
    chains, iterations, draws : int, default=5, 30, 1
        As `bayesmi.impute`: m = chains x draws imputations.
    imputation : "mean" or int, default="mean"
        What `transform` returns: the average of the m imputations (a factor's most frequent
        category), or the imputation of that number (0 to m - 1).
    keep_cluster : bool, default=False
        Return the grouping columns too.
    random_state : int or numpy.random.Generator, optional
        Seed of the fit and of every transform: the same seed, the same tables.
    cores : int, default=1
        Processes for the chains of the fit.

    Attributes
    ----------
    idata_ : arviz.InferenceData
        The fitted run.
    spec_ : dict
        The models fitted.
    completed_ : list of pandas.DataFrame
        The training data's m completed frames.
    n_features_in_ : int
        Columns seen in `fit`, grouping columns included.
    feature_names_in_ : numpy.ndarray
        Their names, when `fit` was given a DataFrame of string column names.

    Examples
    --------
    >>> from bayesmi.sklearn import MultilevelImputer
    >>> imputer = MultilevelImputer("school", chains=2, iterations=5, random_state=1)
    >>> table = imputer.fit_transform(df[["school", "popular", "sex", "texp"]])
    >>> int(table["popular"].isna().sum()), list(table.columns)
    (0, ['popular', 'sex', 'texp'])
    """

    def __init__(
        self,
        cluster: Hashable | Sequence[Hashable] = None,
        spec: dict[str, ImputationModel] | None = None,
        *,
        time: str | None = None,
        chains: int = 5,
        iterations: int = 30,
        draws: int = 1,
        imputation: str | int = "mean",
        keep_cluster: bool = False,
        random_state: int | np.random.Generator | None = None,
        cores: int = 1,
    ) -> None:
        self.cluster = cluster
        self.spec = spec
        self.time = time
        self.chains = chains
        self.iterations = iterations
        self.draws = draws
        self.imputation = imputation
        self.keep_cluster = keep_cluster
        self.random_state = random_state
        self.cores = cores

    def fit(self, X, y=None) -> MultilevelImputer:
        """Impute `X` and keep the run (`y` is ignored)."""
        self._fit(X)
        return self

    def fit_transform(self, X, y=None, **fit_params):
        """Impute `X`; return its imputations as `transform` would (see `imputation`)."""
        frame = self._fit(X)
        return self._output(self.completed_, frame, X)

    def transform(self, X):
        """Impute the missing cells of `X` with the fitted run (`bayesmi.impute_new`)."""
        frames, frame = self._imputed(X)
        return self._output(frames, frame, X)

    def transform_all(self, X) -> list[pd.DataFrame]:
        """Return the m completed frames of `X` (every column), for Rubin's rules."""
        return self._imputed(X)[0]

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the columns `transform` returns: the features (and grouping columns)."""
        check_is_fitted(self, "idata_")
        names = [str(name) for name in self._columns]
        grouping = {str(name) for name in self._grouping}
        return np.array(
            [name for name in names if self.keep_cluster or name not in grouping], dtype=object
        )

    def __sklearn_tags__(self):
        """Missing values are what it takes (``allow_nan``)."""
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        return tags

    def _fit(self, X) -> pd.DataFrame:
        frame = self._frame(X, fitting=True)
        grouping = self._grouping_columns(frame)
        if len(frame) == 1:
            raise ValueError(
                "X has 1 sample: multilevel imputation needs rows of two clusters or more."
            )
        if frame.shape[1] == len(grouping):
            raise ValueError(
                f"X has {frame.shape[1]} feature(s), all grouping columns: there is nothing "
                "to impute."
            )
        spec = (
            dict(self.spec)
            if self.spec is not None
            else default_spec(frame, grouping, grouping[-1])
        )
        self.idata_ = impute(
            frame,
            spec,
            grouping if len(grouping) > 1 else grouping[0],
            time=self.time,
            chains=self.chains,
            iterations=self.iterations,
            draws=self.draws,
            seed=self._seed(),
            cores=self.cores,
            fit_complete=True,
            progressbar=False,
        )
        self.spec_ = spec
        self.completed_ = list(completed(self.idata_))
        self._grouping = grouping
        self._columns = list(frame.columns)
        self._check_imputation()
        return frame

    def _imputed(self, X) -> tuple[list[pd.DataFrame], pd.DataFrame]:
        check_is_fitted(self, "idata_")
        frame = self._frame(X, fitting=False)
        return impute_new(self.idata_, frame, seed=self._seed()), frame

    def _frame(self, X, fitting: bool) -> pd.DataFrame:
        """Return `X` as a frame of the fitted columns (an array's columns named x0, x1, ...)."""
        if sparse.issparse(X):
            raise TypeError(
                "sparse input is not supported: missing cells are NaN in a dense array or a "
                "DataFrame (X.toarray())."
            )
        if isinstance(X, pd.DataFrame):
            frame = X
            names = np.asarray(frame.columns, dtype=object)
            if fitting:
                self.n_features_in_ = frame.shape[1]
                if all(isinstance(name, str) for name in names):
                    self.feature_names_in_ = names
                elif hasattr(self, "feature_names_in_"):
                    del self.feature_names_in_
        else:
            array = np.asarray(X)
            if array.ndim != 2:
                raise ValueError(
                    f"X must be 2-dimensional (rows, columns), got an array of shape {array.shape}."
                )
            if np.iscomplexobj(array):
                raise ValueError("Complex data not supported: give real numbers.")
            frame = pd.DataFrame(array, columns=[f"x{k}" for k in range(array.shape[1])])
            if fitting:
                self.n_features_in_ = frame.shape[1]
                if hasattr(self, "feature_names_in_"):
                    del self.feature_names_in_
        for count, what in ((frame.shape[1], "feature(s)"), (frame.shape[0], "sample(s)")):
            if count == 0:
                raise ValueError(
                    f"Found array with 0 {what} (shape={frame.shape}) while a minimum of 1 is "
                    "required by MultilevelImputer."
                )
        if not fitting:
            if frame.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"X has {frame.shape[1]} features, but MultilevelImputer was fitted with "
                    f"{self.n_features_in_} features."
                )
            if isinstance(X, pd.DataFrame) and list(frame.columns) != self._columns:
                raise ValueError(
                    "X has other columns than the data the imputer was fitted on "
                    f"({', '.join(map(str, self._columns))}): pass the same columns."
                )
        return frame

    def _grouping_columns(self, frame: pd.DataFrame) -> list[Hashable]:
        """Return the grouping columns, as the frame names them."""
        if self.cluster is None:
            raise ValueError(
                "MultilevelImputer needs cluster=: the column of each row's cluster (a "
                "position for an array), or nested grouping columns, outermost first."
            )
        given = self.cluster if isinstance(self.cluster, list | tuple) else [self.cluster]
        columns = []
        for column in given:
            if isinstance(column, Integral) and column not in frame.columns:
                if not 0 <= column < frame.shape[1]:
                    raise ValueError(f"cluster position {column} is not a column of X.")
                column = frame.columns[column]
            if column not in frame.columns:
                raise ValueError(f"cluster column {column!r} is not a column of X.")
            columns.append(column)
        return columns

    def _check_imputation(self) -> None:
        m = len(self.completed_)
        chosen = self.imputation
        if chosen == "mean":
            return
        if isinstance(chosen, bool) or not isinstance(chosen, Integral) or not 0 <= chosen < m:
            raise ValueError(
                f"imputation must be 'mean' or a number from 0 to {m - 1} (m = chains x draws "
                f"= {m}), got {chosen!r}."
            )

    def _seed(self):
        state = self.random_state
        if isinstance(state, np.random.Generator):
            return int(state.integers(2**32))
        return state

    def _output(self, frames: list[pd.DataFrame], frame: pd.DataFrame, X):
        """Return one table of the m completed frames: their average, or the chosen one."""
        if self.imputation == "mean":
            table = _average(frames)
        else:
            table = frames[int(self.imputation)]
        if not self.keep_cluster:
            table = table.drop(columns=self._grouping)
        if isinstance(X, pd.DataFrame):
            return table
        return table.to_numpy()


def _average(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Average numeric columns over the frames; other columns take each cell's modal value."""
    table = frames[0].copy()
    for column in table.columns:
        stacked = [frame[column] for frame in frames]
        if pd.api.types.is_numeric_dtype(table[column]) and table[column].dtype != bool:
            mean = np.mean([series.to_numpy(dtype=float) for series in stacked], axis=0)
            whole = pd.api.types.is_integer_dtype(table[column])
            table[column] = np.round(mean).astype(table[column].dtype) if whole else mean
        else:
            values = pd.concat(stacked, axis=1)
            table[column] = values.mode(axis=1)[0].astype(table[column].dtype)
    return table
