"""Small result objects: fields readable as attributes and as ``r["name"]``, with ``summary()``."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd


@dataclass
class Result:
    """Base class for estimator and measurement results.

    Subclasses are dataclasses; every field can be read as ``r.name`` or ``r["name"]``.
    ``summary()`` returns a readable multi-line string (subclasses may extend it).
    """

    def __getitem__(self, key: str):
        if key not in self.keys():
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
