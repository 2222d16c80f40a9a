"""Small result objects: fields readable as attributes and as ``r["name"]``, with ``summary()``.

:class:`Result` is the base of every result; :class:`CoefficientResult` is the one contract of
every coefficient estimator in :mod:`helpers.models`: ``params``, ``std_errors``, ``tstats``,
``pvalues``, ``cov``, ``conf_int(level)``, ``to_frame()``, ``summary()`` (text) and an HTML
repr for notebooks. Intervals that are not Wald intervals (bootstrap, likelihood-ratio sets,
simulation draws) live under their own names in the subclasses (``boot_ci``, ``lr_ci``, ...).

Two input helpers live here too, in the lowest layer, so that every layer shares them:
:func:`as_list` (one column name or a list of names) and :class:`MissingColumnError`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
from scipy import special


class MissingColumnError(KeyError, ValueError):
    """A column the caller named is not in the data frame.

    Subclasses both :class:`KeyError` and :class:`ValueError`, so ``except KeyError`` and
    ``except ValueError`` clauses written against earlier versions still catch it. The message
    names the function, the missing column(s) and the columns the frame has.
    """

    def __init__(self, name: str, missing, columns, what: str = "column"):
        self.missing = list(missing)
        self.columns = list(columns)
        shown = self.columns if len(self.columns) <= 30 else [*self.columns[:30], "..."]
        super().__init__(f"{name}: missing {what}(s) {self.missing}; the data have columns {shown}")

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


def require_columns(df: pd.DataFrame, cols, name: str, what: str = "column") -> None:
    """Raise :class:`MissingColumnError` naming every column of ``cols`` absent from ``df``."""
    missing = [c for c in dict.fromkeys(cols) if c not in df.columns]
    if missing:
        raise MissingColumnError(name, missing, df.columns, what)


def as_list(x, what: str = "columns") -> list[str]:
    """A column name or a sequence of them as a list (a string is one name, never its letters).

    >>> as_list("va_index"), as_list(("a", "b")), as_list(None)
    (['va_index'], ['a', 'b'], [])
    """
    if x is None:
        return []
    if isinstance(x, str):
        return [x]
    try:
        out = list(x)
    except TypeError:
        raise TypeError(f"{what} must be a column name or a list of names, got {type(x).__name__}") from None
    bad = [c for c in out if not isinstance(c, str)]
    if bad:
        raise TypeError(f"{what} must be column names (strings), got {bad[0]!r}")
    return out


def fmt_table(df: pd.DataFrame, digits: int = 4) -> str:
    """A frame as fixed-width text with ``digits`` decimals (blank for NaN)."""
    return df.to_string(float_format=lambda v: f"{v:.{digits}f}", na_rep="")


@dataclass
class Result:
    """Base class for estimator and measurement results.

    Subclasses are dataclasses; every field (and every public property) can be read as
    ``r.name`` or ``r["name"]``. ``summary()`` returns a readable multi-line string.
    """

    def __getitem__(self, key: str):
        if key not in self.keys() and not isinstance(getattr(type(self), key, None), property):
            raise KeyError(f"{type(self).__name__} has no field {key!r}; fields: {self.keys()}")
        return getattr(self, key)

    def keys(self) -> list[str]:
        return [f.name for f in fields(self)]

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.keys()}

    def _format_value(self, v) -> str:
        if isinstance(v, (pd.Series, pd.DataFrame)):
            return "\n" + v.to_string(float_format=lambda x: f"{x:.4f}")
        if isinstance(v, (float, np.floating)):
            return f"{v:.4f}"
        if isinstance(v, np.ndarray):
            return np.array2string(v, precision=4)
        if isinstance(v, tuple) and all(isinstance(x, (float, np.floating)) for x in v):
            return "(" + ", ".join(f"{x:.4f}" for x in v) + ")"
        return str(v)

    def summary(self) -> str:
        lines = [type(self).__name__, "=" * len(type(self).__name__)]
        for k in self.keys():
            if k.startswith("_"):
                continue
            lines.append(f"{k}: {self._format_value(getattr(self, k))}")
        return "\n".join(lines)

    def __repr__(self) -> str:  # keep notebook output readable and deterministic
        return self.summary()


@dataclass(repr=False, kw_only=True)
class CoefficientResult(Result):
    r"""The results contract of every coefficient estimator.

    Attributes
    ----------
    params, std_errors, pvalues : Series
        Estimates, standard errors and two-sided p-values by coefficient name.
    cov : DataFrame
        Estimated covariance of ``params`` (NaN where it is not estimated, e.g. between
        coefficients of separately fitted equations).
    df_resid : float or None
        Degrees of freedom of a Student-t reference distribution; ``None`` uses the standard
        normal. With few clusters (G < 50) the default inference of the fixed-effects, 2SLS and
        exposure estimators is CRV3 read against t(G - 1): ``df_resid = G - 1``.
    inference : str
        Which inference produced ``std_errors``, ``pvalues`` and ``conf_int`` (covariance and
        reference distribution, e.g. "CRV3 by city (21 clusters), t(20)"); printed by
        ``summary()`` and carried by ``to_frame()`` as its column ``inference``. Empty when
        an estimator does not record it.

    ``tstats`` is ``params / std_errors``; ``conf_int(level)`` the Wald interval
    ``params ± q * std_errors``, with ``q`` the (1 + level)/2 quantile of the reference
    distribution; ``to_frame()`` one row per coefficient.
    """

    params: pd.Series
    std_errors: pd.Series
    pvalues: pd.Series
    cov: pd.DataFrame
    df_resid: float | None = None
    inference: str = ""

    @property
    def tstats(self) -> pd.Series:
        return (self.params / self.std_errors).rename("t")

    def _quantile(self, q: float) -> float:
        # special.ndtri and stdtrit are what stats.norm.ppf and stats.t.ppf compute, without their
        # argument handling (bit for bit; a twin reads about 30 intervals, at 0.1 ms each through stats)
        return float(special.ndtri(q) if self.df_resid is None else special.stdtrit(self.df_resid, q))

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Wald interval at ``level`` (columns ``lower``, ``upper``)."""
        if not 0 < level < 1:
            raise ValueError(f"conf_int: level must lie in (0, 1), got {level}")
        z = self._quantile(0.5 + level / 2)
        return pd.DataFrame({"lower": self.params - z * self.std_errors,
                             "upper": self.params + z * self.std_errors})

    def interval(self, name, level: float = 0.95) -> tuple[float, float]:
        """The Wald interval of coefficient ``name`` at ``level``: the row ``name`` of
        :meth:`conf_int` (the same arithmetic, bit for bit), without building the whole frame
        (the design study reads about twenty intervals of every twin)."""
        if not 0 < level < 1:
            raise ValueError(f"interval: level must lie in (0, 1), got {level}")
        z = self._quantile(0.5 + level / 2)
        est, se = float(self.params[name]), float(self.std_errors[name])
        return est - z * se, est + z * se

    def to_frame(self, level: float = 0.95) -> pd.DataFrame:
        """One row per coefficient: coef, std err, t, p and the Wald interval at ``level`` (and
        the ``inference`` used, when recorded)."""
        ci = self.conf_int(level)
        t = pd.DataFrame({"coef": self.params, "std err": self.std_errors, "t": self.tstats,
                          "p": self.pvalues, "ci lower": ci["lower"], "ci upper": ci["upper"]})
        if self.inference:
            t["inference"] = self.inference
        return t

    def _table(self) -> pd.DataFrame:
        """The numeric part of :meth:`to_frame` (the inference is printed once, below it)."""
        return self.to_frame().drop(columns="inference", errors="ignore")

    def _title(self) -> str:
        return type(self).__name__

    def _notes(self) -> list[str]:
        """Lines printed under the coefficient table (subclasses add their extras)."""
        return []

    def _inference_line(self) -> list[str]:
        return [f"inference: {self.inference}"] if self.inference else []

    def summary(self) -> str:
        return "\n".join([self._title(), fmt_table(self._table()), *self._inference_line(), *self._notes()])

    def _repr_html_(self) -> str:
        notes = "\n".join([*self._inference_line(), *self._notes()])
        return (f"<p><b>{html.escape(self._title())}</b></p>"
                + self._table().to_html(float_format=lambda v: f"{v:.4f}", na_rep="")
                + (f"<pre>{html.escape(notes)}</pre>" if notes else ""))
