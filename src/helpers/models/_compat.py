"""Old option names and values, accepted for one release with a DeprecationWarning.

The vocabulary of :mod:`helpers.models` (see its docstring): ``level=`` for interval levels,
``vcov=`` in {"CRV1", "CRV3", "iid"}, ``n_boot=`` for replication counts, ``seed=``, ``n_jobs=``.
:func:`renamed` maps an old keyword to its new name (and converts its value, e.g.
``alpha=0.05`` to ``level=0.95``); :func:`check_vcov` maps the old value "CV3" to "CRV3".
One place for both, so that the next release deletes them in one edit.
"""

from __future__ import annotations

import functools
import warnings

import pandas as pd

#: The values ``vcov=`` may take anywhere in :mod:`helpers.models` (each estimator accepts a subset).
VCOV = ("CRV1", "CRV3", "iid")
_OLD_VCOV = {"CV3": "CRV3"}


def level_of_alpha(alpha: float) -> float:
    """``level = 1 - alpha`` (old ``alpha=`` meant the size of a test, 1 - level)."""
    return 1.0 - float(alpha)


def alpha_of_level(level: float, name: str) -> float:
    """The size ``1 - level`` of the tests and intervals at ``level``, rounded to 12 decimals so
    that ``level=0.95`` gives exactly the 0.05 of earlier releases (1 - 0.95 is 0.05 + 4e-17 in
    binary floating point: every bootstrap quantile stays bit-identical)."""
    if not 0 < level < 1:
        raise ValueError(f"{name}: level must lie in (0, 1), got {level}")
    return round(1.0 - float(level), 12)


def vcov_of_cr3(cr3: bool) -> str:
    """Old ``cr3=True`` is ``vcov="CRV3"`` (``cr3=False``: "CRV1")."""
    return "CRV3" if cr3 else "CRV1"


def _warn(msg: str, stacklevel: int = 3) -> None:
    warnings.warn(msg + "; the old form will be removed in the next release", DeprecationWarning,
                  stacklevel=stacklevel)


def renamed(**old_to_new):
    """Decorator: accept old keyword names, warn, and pass them on under their new names.

    ``@renamed(wild_bootstrap="n_boot", alpha=("level", level_of_alpha))``: each old name maps
    to a new name, or to (new name, converter of the value). Giving both the old and the new
    name is a TypeError.
    """
    specs = {old: (new, None) if isinstance(new, str) else tuple(new) for old, new in old_to_new.items()}

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            for old, (new, convert) in specs.items():
                if old not in kwargs:
                    continue
                if new in kwargs:
                    raise TypeError(f"{fn.__name__}: give {new}= only ({old}= is its deprecated name)")
                value = kwargs.pop(old)
                kwargs[new] = convert(value) if convert else value
                _warn(f"{fn.__name__}: {old}={value!r} is deprecated, use {new}={kwargs[new]!r}")
            return fn(*args, **kwargs)

        return wrapper

    return decorate


def check_vcov(vcov: str, allowed, name: str) -> str:
    """The ``vcov`` value in the vocabulary: old "CV3" becomes "CRV3" (with a warning); a value
    this estimator does not offer is a ValueError listing the ones it does."""
    if vcov in _OLD_VCOV:
        _warn(f"{name}: vcov={vcov!r} is deprecated, use vcov={_OLD_VCOV[vcov]!r}", stacklevel=4)
        vcov = _OLD_VCOV[vcov]
    if vcov not in allowed:
        names = [repr(v) for v in allowed]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
        raise ValueError(f"{name}: vcov must be {listed}, got {vcov!r}")
    return vcov


def deprecated_attribute(old: str, new: str, get):
    """A read-only property under an old attribute name: warns, then returns ``get(self)``."""

    def fget(self):
        _warn(f"{type(self).__name__}.{old} is deprecated, use {new}")
        return get(self)

    return property(fget, doc=f"Deprecated: use ``{new}``.")


class LegacyColumns(pd.DataFrame):
    """A frame whose old column names still read (with a DeprecationWarning) as the new ones.

    ``frame["estimate"]`` returns ``frame["coef"]`` when ``_aliases = {"estimate": "coef"}``.
    Every operation other than reading a column returns a plain DataFrame.
    """

    _metadata = ("_aliases",)

    @property
    def _constructor(self):
        return pd.DataFrame

    def __getitem__(self, key):
        aliases = getattr(self, "_aliases", {})
        if isinstance(key, str) and key in aliases and key not in self.columns:
            _warn(f"column {key!r} is deprecated, use {aliases[key]!r}")
            key = aliases[key]
        return super().__getitem__(key)


def with_aliases(frame: pd.DataFrame, aliases: dict) -> LegacyColumns:
    """``frame`` as a :class:`LegacyColumns` reading the old names ``aliases`` (old -> new)."""
    out = LegacyColumns(frame)
    out._aliases = dict(aliases)
    return out
