"""Regression tables in journal form: one column per model, each coefficient over its standard
error in parentheses, then the rows a reader of an economics journal looks for (controls, fixed
effects, observations, clusters, R-squared, the kind of standard error).

Labels come from the book's one registry, :data:`helpers.book.tables.VARIABLE_LABELS`. Nothing
here computes a result: every number is read from a fitted result object.
"""

from __future__ import annotations

import re

import pandas as pd

from .tables import MISSING, _fmt_number, label


def _fit(result):
    """The fixed-effects fit behind a result (a threshold model keeps its final regression in
    ``fit``)."""
    return getattr(result, "fit", None) or result


def _info(result, name: str, default=None):
    return getattr(_fit(result), name, getattr(result, name, default))


def coef_se_rows(params: pd.Series, std_errors: pd.Series, names, digits: int = 3) -> dict:
    """``{label: estimate, "": "(se)"}`` pairs, in ``names`` order (missing ones as a dash)."""
    rows = {}
    for n in names:
        est = params.get(n, float("nan"))
        se = std_errors.get(n, float("nan"))
        rows[label(n)] = _fmt_number(est, digits)
        rows[f"{label(n)} (SE)"] = MISSING if pd.isna(se) else f"({_fmt_number(se, digits)})"
    return rows


def regression_table(models: dict, *, keep=None, controls=("log_population",),
                     fixed_effects=("city", "year"), extra: dict | None = None, digits: int = 3) -> pd.DataFrame:
    """Journal-form table of fitted models, one column each.

    Parameters
    ----------
    models : dict
        Column header -> fitted result with ``params`` and ``std_errors`` (a
        :class:`~helpers.models.PanelFEResult`, or a result whose ``fit`` is one).
    keep : list of str, optional
        Regressors shown as coefficient rows, in order (default: every parameter that is not a
        control, in order of first appearance).
    controls : tuple of str
        Regressors reported as a "Controls" row (yes/no) instead of coefficients.
    fixed_effects : tuple of str
        Fixed effects every model includes ("city", "year").
    extra : dict, optional
        Row label -> {column header: number} printed below the coefficients (e.g. the wild
        cluster bootstrap p a sentence quotes); p-values below 0.001 print as "< 0.001".

    Returns
    -------
    DataFrame of text cells; the standard-error rows have a blank row name so the table reads
    as a journal's (coefficient, then its SE in parentheses below it).
    """
    if not models:
        raise ValueError("regression_table: no models given")
    names = keep if keep is not None else list(dict.fromkeys(
        n for r in models.values() for n in r.params.index if n not in controls))
    cols = {}
    for head, r in models.items():
        col = coef_se_rows(r.params, r.std_errors, names, digits)
        for row, values in (extra or {}).items():
            v = values.get(head, float("nan"))
            col[row] = "< 0.001" if re.search(r"\bp\b", row) and 0 <= v < 0.001 else _fmt_number(v, digits)
        shown = [c for c in controls if c in r.params.index]
        col["Controls"] = ", ".join(label(c) for c in shown) if shown else "none"
        for fe in fixed_effects:
            col[f"{fe.capitalize()} fixed effects"] = "yes"
        nobs, g = _info(r, "nobs"), _info(r, "n_clusters")
        col["Observations"] = MISSING if nobs is None else f"{int(nobs):,}"
        col["Clusters (cities)"] = MISSING if g is None else f"{int(g):,}"
        r2 = _info(r, "rsquared_within")
        col["R-squared (within)"] = MISSING if r2 is None else _fmt_number(float(r2), digits)
        col["Standard errors"] = str(_info(r, "cov_type", MISSING))
        cols[head] = col
    out = pd.DataFrame(cols)
    out.index = [("" if i.endswith(" (SE)") else i) for i in out.index]
    out.index.name = "regressor"
    return out


def sdm_table(sdm, digits: int = 3) -> pd.DataFrame:
    """The spatial Durbin model's direct, indirect and total effects, each over its simulation
    standard error and its 95% simulation interval in brackets, and the spatial coefficient rho
    (with its SE) once, below the effects."""
    eff = sdm.effects
    parts = {"direct": eff.direct, "indirect (spillover)": eff.indirect, "total": eff.total}
    se, ci = sdm.effects_se, sdm.effects_ci
    cols = {}
    for head, est in parts.items():
        key = head.split(" ")[0]
        col = coef_se_rows(est, se[key], list(est.index), digits)
        rows = {}
        for name in est.index:   # coefficient, (SE), [interval] per regressor
            rows[label(name)] = col[label(name)]
            rows[f"{label(name)} (SE)"] = col[f"{label(name)} (SE)"]
            lo, hi = (ci.at[(key, name), b] if (key, name) in ci.index else float("nan") for b in ("lower", "upper"))
            rows[f"{label(name)} (CI)"] = f"[{_fmt_number(lo, digits)}, {_fmt_number(hi, digits)}]"
        cols[head] = rows
    out = pd.DataFrame(cols)
    rho_se = sdm.std_errors.get("rho", float("nan"))
    extra = pd.DataFrame([{"direct": _fmt_number(sdm.rho, digits)},
                          {"direct": MISSING if pd.isna(rho_se) else f"({_fmt_number(rho_se, digits)})"},
                          {"direct": f"{int(sdm.nobs):,}"}],
                         index=["spatial coefficient rho", "rho (SE)", "Observations"])
    out = pd.concat([out, extra]).fillna("")
    out.index = [("" if str(i).endswith((" (SE)", " (CI)")) else i) for i in out.index]
    out.index.name = "regressor"
    return out
