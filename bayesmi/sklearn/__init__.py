"""scikit-learn integration: `MultilevelImputer` (``pip install "bayesmi[sklearn]"``)."""

try:
    import sklearn  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        'bayesmi.sklearn needs scikit-learn: pip install "bayesmi[sklearn]".'
    ) from error

from bayesmi.sklearn.default_spec import default_spec
from bayesmi.sklearn.imputer import MultilevelImputer

__all__ = ["MultilevelImputer", "default_spec"]
