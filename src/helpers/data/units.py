"""Unit and outlier checks of city-year columns: silent unit slips made loud.

:func:`unit_issues` checks, per column, positive values only:

- *jumps within a city*: a value more than ``jump`` times (or less than ``1/jump`` of) the same
  city's previous observed year. Default :data:`JUMP_FACTOR` = 10: real prefecture series
  rarely move more than x2 in a year (the 2005 economic-census revision raised Dongguan's GDP
  x1.9 in one year, the largest jump in the official 2000-2023 Guangdong accounts; the simulated
  twin's noisiest series, the ICT employment share, moves x5.2 at most), while unit
  slips are powers of ten of at least 100 (percent vs share x100, 10,000 yuan vs 100 million
  yuan x10^4);
- *outliers across cities*: a value more than ``spread`` times (or less than ``1/spread`` of)
  the median of the same year over all cities. Default :data:`SPREAD_FACTORS`: 1000 for totals
  (they scale with city size: in the official 2000-2023 accounts a city's GDP lies between 1/4
  and x11 the provincial median of its year, and R&D or patent totals spread further, x46 in the
  simulated twin), 20 for intensive quantities (per-person values, wages, shares),
  whose city values stay within a few times the median. A whole city typed in 10,000 yuan
  (x10^4) is caught; a whole city off by x100 in a *total* is not distinguishable from a large
  city and is left to the jump check, which catches it where the slip covers only some years.
- *shares* near zero move by large ratios with tiny absolute changes (0.011 to 0.001 is x1/11),
  so their jump factor is :data:`SHARE_JUMP_FACTOR` = 30, the log-midpoint of 10 and the x100 of
  the percent slip, and only values far *above* the cross-city median are flagged;
- ``index`` columns may be negative (standardised scores), so they are not checked by default.

Each flag names the city, the years, the column and the likely unit slip (the powers of ten
near the ratio, :func:`suggest_slip`). A real break is accepted explicitly with ``accept_breaks`` entries
``(city, year, column)`` (``year=None`` accepts the whole city-column); it is then reported as
accepted, not as an error. ``column_checks`` overrides the factors per column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .issues import Issue, years_text

#: Default within-city year-on-year factor beyond which a change is flagged.
JUMP_FACTOR = 10.0
#: Within-city factor for shares: the log-midpoint of 10 and 100 (a small share moves by large
#: ratios with tiny absolute changes; the percent-for-share slip is x100).
SHARE_JUMP_FACTOR = 30.0
#: Default cross-city factor (value / median of the year) by scale of the quantity.
SPREAD_FACTORS = {"total": 1000.0, "intensive": 20.0}
#: Schema kinds that are indicator columns (everything but keys and ids).
INDICATOR_KINDS = ("count", "level", "share", "index")


def column_checks(schema: dict, overrides: dict | None = None) -> dict:
    """Unit-check factors per indicator column: ``{column: {"jump": f, "spread": f, "low": bool}}``.

    Defaults from the kind and unit: ``index`` columns unchecked (``None``); shares and units
    containing "per" (per person, per 100 people, yuan per year) are intensive, the rest totals
    (:data:`SPREAD_FACTORS`); ``jump`` is :data:`JUMP_FACTOR`, :data:`SHARE_JUMP_FACTOR` for
    shares; ``low`` (flag values far *below* the median too) is False for shares, which may
    approach zero. ``overrides`` maps a column to a dict replacing any of these (``None``
    switches a check off).
    """
    out = {}
    for col, (kind, unit, _) in schema.items():
        if kind not in INDICATOR_KINDS:
            continue
        if kind == "index":
            attrs = {"jump": None, "spread": None}
        else:
            scale = "intensive" if kind == "share" or " per " in f" {unit} " else "total"
            attrs = {"jump": SHARE_JUMP_FACTOR if kind == "share" else JUMP_FACTOR,
                     "spread": SPREAD_FACTORS[scale], "low": kind != "share"}
        attrs.update((overrides or {}).get(col, {}))
        out[col] = attrs
    return out


def _slip_text(k: int, big: bool, kind: str) -> str:
    if k == 4:
        return ("x10^4: 10,000 yuan (万元) typed where 100 million yuan (亿元) is expected, or persons "
                "where 10k persons is expected" if big else
                "x10^-4: 100 million yuan (亿元) typed where 10,000 yuan (万元) is expected, or 10k persons "
                "where persons is expected")
    if k == 2 and kind == "share":
        return ("x100: a percentage typed where a share belongs (45 or 0.45 for 0.0045)" if big
                else "x1/100: a share among percentages, or a share divided by 100 twice")
    if k == 2:
        return "x100 unit slip (e.g. million yuan vs 100 million yuan, or percent vs share)"
    if k == 3:
        return "x1000 unit slip (thousands vs units)"
    return "x10 unit slip (e.g. 10 million yuan vs 100 million yuan) or a typo"


def suggest_slip(ratio: float, kind: str = "level", tolerance: float = 0.5) -> str:
    """Likely unit slip behind a ratio between two values that should be comparable.

    The slips considered are powers of ten, the common ones first (10^4, 100, 1000, 10); a slip
    10^k is suggested when ``abs(log10(ratio))`` lies within ``tolerance`` decades of k. Same-city
    comparisons use 0.5 (the nearest power); cross-city ones 1.0, because a city's genuine
    distance from the median (up to a decade) multiplies the slip.
    """
    d = abs(float(np.log10(ratio)))
    hits = [k for k in (4, 2, 3, 1) if abs(d - k) <= tolerance]
    if not hits:
        return "no power-of-ten slip: a genuine break, a typo or a changed definition"
    return "; or ".join(_slip_text(k, ratio > 1, kind) for k in hits[:2])


def _accepted(accept, city, year, col) -> bool:
    return (city, year, col) in accept or (city, None, col) in accept


def _jump_issues(d, col, factor, kind, lines, accept) -> list:
    out = []
    for city, g in d.groupby("city", sort=False):
        g = g.sort_values("year")
        x = g[col].to_numpy(float)
        ok = np.isfinite(x) & (x > 0)
        g, x = g[ok], x[ok]
        if len(x) < 2:
            continue
        r = x[1:] / x[:-1]
        for j in np.flatnonzero((r > factor) | (r < 1 / factor)):
            y0, y1 = int(g["year"].iat[j]), int(g["year"].iat[j + 1])
            msg = (f"column {col!r} jumps x{r[j]:.3g} from {x[j]:g} ({y0}) to {x[j + 1]:g} ({y1}) within {city}, "
                   f"beyond the factor {factor:g}; likely {suggest_slip(r[j], kind)}")
            sev = "accepted" if _accepted(accept, city, y1, col) else "error"
            if sev == "error":
                msg += f"; if real, pass accept_breaks=[({city!r}, {y1}, {col!r})] (chapters: panel_accept_breaks)"
            out.append(Issue(sev, "unit jump", msg, column=col, city=city, year=y1, value=x[j + 1],
                             line=lines[g.index[j + 1]]))
    return out


def _spread_issues(d, col, factor, kind, lines, accept, low=True) -> list:
    v = d[col].where(np.isfinite(d[col]) & (d[col] > 0))
    med = v.groupby(d["year"]).transform("median")
    n = v.groupby(d["year"]).transform("count")
    r = v / med
    flag = (n >= 5) & ((r > factor) | ((r < 1 / factor) & low))
    out = []
    for city, g in d[flag].groupby("city", sort=False):
        years = sorted(int(y) for y in g["year"])
        rr = r[g.index]
        ratio = float(np.exp(np.log(rr).median()))
        acc = all(_accepted(accept, city, y, col) for y in years)
        msg = (f"column {col!r} is x{ratio:.3g} the cross-city median of the same year in {years_text(years)}, beyond "
               f"the factor {factor:g}; likely {suggest_slip(ratio, kind, tolerance=1.0)}")
        if not acc:
            msg += f"; if real, pass accept_breaks=[({city!r}, None, {col!r})] (chapters: panel_accept_breaks)"
        out.append(Issue("accepted" if acc else "error", "unit outlier", msg, column=col, city=city,
                         year=years[0], value=float(v[g.index[0]]), line=lines[g.index[0]]))
    return out


def unit_issues(d: pd.DataFrame, schema: dict, lines, checks: dict, accept=()) -> list:
    """Within-city jumps and cross-city outliers of every checked column (module notes).

    ``d`` has one row per valid city-year (columns ``city``, ``year`` and float indicators),
    its index pointing into ``lines``.
    """
    accept = {(c, None if y is None else int(y), col) for c, y, col in accept}
    out = []
    for col, attrs in checks.items():
        if col not in d.columns:
            continue
        kind = schema[col][0]
        if attrs.get("jump"):
            out += _jump_issues(d, col, float(attrs["jump"]), kind, lines, accept)
        if attrs.get("spread"):
            out += _spread_issues(d, col, float(attrs["spread"]), kind, lines, accept,
                                  attrs.get("low", True))
    return out
