"""The fast paths of the estimators' shared plumbing give bit-identical results.

Each fast path (``helpers.models._prepare.prepare``, ``group_sums``, ``codes``,
``helpers.models._within.Absorb``, the normal quantiles of ``conf_int`` and of the bias-corrected
bootstrap interval) is compared with the reference implementation it replaced (copied below:
pandas ``sort_values``/``duplicated``, sparse indicator products, ``scipy.stats.norm``), first
on hostile inputs, then end to end: one twin of the
design study (:func:`helpers.studies.twin_cell.design_twin`) on a few seeds with every reference
implementation patched in gives exactly the same row.
"""

from __future__ import annotations

import importlib
import math
import pkgutil

import numpy as np
import pandas as pd
import pytest
from scipy import sparse, stats

import helpers.models as models_pkg
from helpers._results import CoefficientResult
from helpers.models import _boot, _inference, _prepare, _within


# ------------------------------------------------------------------ reference implementations
def ref_indicator(c, n_groups):
    n = len(c)
    return sparse.csr_matrix((np.ones(n), (np.arange(n), c)), shape=(n, n_groups))


def ref_group_sums(c, X, n_groups):
    return np.asarray(ref_indicator(c, n_groups).T @ np.asarray(X, dtype=float))


def ref_codes(s):
    c, uniques = pd.factorize(s, sort=True)
    return c.astype(np.intp), pd.Index(uniques)


def ref_prepare(df, cols, entity, time, name, extra=()):
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{name}: data must be a pandas DataFrame, got {type(df).__name__}")
    dup = [c for c in cols if list(cols).count(c) > 1]
    if dup:
        raise ValueError(f"{name}: column {dup[0]!r} is used twice (as outcome, regressor or control)")
    keys = [c for c in (entity, time, *extra) if c is not None]
    need = list(dict.fromkeys(keys + list(cols)))
    _prepare.require_columns(df, need, name)
    d = df[need].copy()
    for k in keys:
        if d[k].isna().any():
            raise ValueError(f"{name}: row {d.index[np.flatnonzero(d[k].isna())[0]]} has no {k}")
    for c in cols:
        s = d[c]
        if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            raise ValueError(f"{name}: column {c!r} is not numeric (dtype {s.dtype})")
        v = s.to_numpy(dtype=float, na_value=np.nan)
        bad = ~np.isfinite(v)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{name}: {_prepare._where(d, i, entity, time)}: column {c!r} is missing or "
                             f"infinite ({s.iat[i]!r}); drop or fill such rows first")
        d[c] = v
    if entity is not None and time is not None:
        dupl = d.duplicated([entity, time]).to_numpy()
        if dupl.any():
            i = int(np.flatnonzero(dupl)[0])
            raise ValueError(f"{name}: {_prepare._where(d, i, entity, time)} appears more than once")
    order = [c for c in (entity, time) if c is not None]
    if order:
        d = d.sort_values(order, kind="stable")
    return d


class RefAbsorb(_within.Absorb):
    """The sparse-matrix within transformation the fast one replaced."""

    def __init__(self, entity_codes, time_codes=None):
        super().__init__(entity_codes, time_codes)
        self.De = ref_indicator(entity_codes, self.N)
        self.Dt = None if time_codes is None else ref_indicator(time_codes, self.T)

    def __call__(self, X, tol=1e-13, max_iter=10_000):
        X = np.asarray(X, dtype=float)
        vec = X.ndim == 1
        X2 = X.reshape(self.n, -1)

        def demean(D, c, Y):
            return Y - D @ ((D.T @ Y) / c[:, None])

        out = demean(self.De, self.ce, X2)
        if self.Dt is not None:
            if self.balanced:
                out = out - self.Dt @ ((self.Dt.T @ X2) / self.ct[:, None]) + X2.mean(axis=0)
            else:
                scale = max(float(np.abs(X2).max()), 1.0)
                for _ in range(max_iter):
                    out = demean(self.Dt, self.ct, out)
                    nxt = demean(self.De, self.ce, out)
                    done = np.abs(nxt - out).max() <= tol * scale
                    out = nxt
                    if done:
                        break
        return out.ravel() if vec else out


def ref_bias_corrected(draws, estimate, alpha):
    draws = draws[np.isfinite(draws)]
    B = len(draws)
    if B == 0:
        return (np.nan, np.nan)
    prop = (np.sum(draws < estimate) + 0.5 * np.sum(draws == estimate)) / B
    prop = min(max(prop, 0.5 / B), 1 - 0.5 / B)
    z0 = stats.norm.ppf(prop)
    zl = stats.norm.ppf(alpha / 2)
    lo, hi = stats.norm.cdf(2 * z0 + zl), stats.norm.cdf(2 * z0 - zl)
    return float(np.quantile(draws, lo)), float(np.quantile(draws, hi))


def ref_quantile(self, q):
    return float(stats.norm.ppf(q) if self.df_resid is None else stats.t.ppf(q, self.df_resid))


# ------------------------------------------------------------------------------ unit checks
def _panel(rng, n_ent=7, n_per=5, shuffle=True, entity_dtype=object):
    names = np.array([f"c{i:02d}" for i in rng.permutation(n_ent)], dtype=object)
    d = pd.DataFrame({"city": np.repeat(names, n_per), "year": np.tile(np.arange(2000, 2000 + n_per), n_ent),
                      "y": rng.standard_normal(n_ent * n_per), "x": rng.integers(0, 9, n_ent * n_per),
                      "g": np.repeat(rng.integers(0, 3, n_ent), n_per)})
    if entity_dtype == "category":
        d["city"] = d["city"].astype("category")
    elif entity_dtype == "int":
        d["city"] = d["city"].str[1:].astype(int) * 7
    d.index = rng.permutation(len(d)) * 3 + 5
    d.attrs["meta"] = {"nested": [1, 2, {"x": [0, 1, 2]}]}
    return d.iloc[rng.permutation(len(d))] if shuffle else d


@pytest.mark.parametrize("entity_dtype", [object, "category", "int"])
@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("keys", [("city", "year", ()), ("city", None, ()), (None, None, ()), ("city", "year", ("g",))])
def test_prepare_matches_reference(entity_dtype, shuffle, keys):
    rng = np.random.default_rng(3)
    d = _panel(rng, shuffle=shuffle, entity_dtype=entity_dtype)
    entity, time, extra = keys
    fast = _prepare.prepare(d, ["y", "x"], entity, time, "t", extra=extra)
    ref = ref_prepare(d, ["y", "x"], entity, time, "t", extra=extra)
    pd.testing.assert_frame_equal(fast, ref, check_exact=True)
    assert fast.attrs == {}
    assert d["x"].dtype.kind == "i"   # the caller's frame is untouched ...
    for c in fast.columns:   # ... and shares no memory with the copy
        assert not np.shares_memory(np.asarray(fast[c].array), np.asarray(d[c].array)), c


def test_prepare_errors_match_reference():
    rng = np.random.default_rng(4)
    d = _panel(rng)
    dup = pd.concat([d, d.iloc[[5]]])
    bad = d.copy()
    bad.iloc[7, bad.columns.get_loc("y")] = np.nan
    for frame in (dup, bad):
        with pytest.raises(ValueError) as e_ref:
            ref_prepare(frame, ["y", "x"], "city", "year", "t")
        with pytest.raises(ValueError) as e_fast:
            _prepare.prepare(frame, ["y", "x"], "city", "year", "t")
        assert str(e_fast.value) == str(e_ref.value)


@pytest.mark.parametrize("values", [
    ["b", "b", "a", "c", "a"], ["a", "a", "b", "c", "c"], [3, 1, 2, 2], ["a", 1, "b"], [2.5, 1.0, 2.5], ["a", "a"], ["x"]])
def test_codes_match_factorize(values):
    s = pd.Series(values, dtype=object if any(isinstance(v, str) for v in values) else None)
    try:
        ref = ref_codes(s)
    except TypeError:
        with pytest.raises(TypeError):
            _prepare.codes(s)
        return
    fast = _prepare.codes(s)
    np.testing.assert_array_equal(fast[0], ref[0])
    pd.testing.assert_index_equal(fast[1], ref[1], exact=True)


def test_group_sums_bit_identical():
    rng = np.random.default_rng(5)
    for _ in range(50):
        n, G, k = rng.integers(2, 400), rng.integers(1, 30), rng.integers(1, 9)
        c = np.r_[np.arange(min(G, n)), rng.integers(0, G, n)][:n]
        X = rng.standard_normal((n, k)) * 10.0 ** rng.uniform(-4, 6)
        assert np.array_equal(_prepare.group_sums(c, X, G), ref_group_sums(c, X, G))
        assert np.array_equal(_prepare.group_sums(c, X[:, 0], G), ref_group_sums(c, X[:, 0], G))


@pytest.mark.parametrize("balanced", [True, False])
def test_absorb_bit_identical(balanced):
    rng = np.random.default_rng(6)
    N, T = 9, 6
    e, t = np.repeat(np.arange(N), T), np.tile(np.arange(T), N)
    keep = np.ones(N * T, bool) if balanced else rng.random(N * T) > 0.25
    keep[::T] = True
    keep[:T] = True
    e, t = e[keep], t[keep]
    perm = rng.permutation(len(e))
    e, t = e[perm], t[perm]
    X = rng.standard_normal((len(e), 4)) * 100
    for tc in (t, None):
        fast, ref = _within.Absorb(e, tc), RefAbsorb(e, tc)
        assert fast.balanced == ref.balanced == (balanced and tc is not None)
        assert np.array_equal(fast(X), ref(X))
        assert np.array_equal(fast(X[:, 1]), ref(X[:, 1]))


def test_intervals_bit_identical():
    rng = np.random.default_rng(8)
    res = _inference.coefficient_fields(rng.standard_normal(3), np.eye(3), list("abc"))
    res = CoefficientResult(**{k: res[k] for k in ("params", "std_errors", "pvalues", "cov")})
    for level in (0.9, 0.95, 0.99, 0.5):
        assert res._quantile(0.5 + level / 2) == ref_quantile(res, 0.5 + level / 2)
    for _ in range(20):
        d = rng.standard_normal(rng.integers(5, 400))
        est = float(rng.choice([d.mean(), d.min() - 1, d.max() + 1]))
        assert _boot.bias_corrected(d, est, 0.05) == ref_bias_corrected(d, est, 0.05)


# ------------------------------------------------------------------------------ end to end
def _patch_reference(monkeypatch):
    """Put every reference implementation where the estimators look their names up."""
    refs = {"prepare": (_prepare.prepare, ref_prepare), "Absorb": (_within.Absorb, RefAbsorb),
            "group_sums": (_prepare.group_sums, ref_group_sums), "codes": (_prepare.codes, ref_codes),
            "bias_corrected": (_boot.bias_corrected, ref_bias_corrected)}
    monkeypatch.setattr(CoefficientResult, "_quantile", ref_quantile)
    for info in pkgutil.iter_modules(models_pkg.__path__):
        mod = importlib.import_module(f"helpers.models.{info.name}")
        for name, (fast, ref) in refs.items():
            if getattr(mod, name, None) is fast:
                monkeypatch.setattr(mod, name, ref)


def _same(a, b) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


@pytest.mark.parametrize("case", [(21, 7, "effect", 11), (21, 5, "null", 12), (25, 5, "effect", 13)])
def test_design_twin_fast_equals_reference(case, monkeypatch):
    from helpers.studies.twin_cell import design_twin

    n, t, world, seed = case
    fast = design_twin(n, t, world, seed, n_boot=49, threshold_boot=9)
    with monkeypatch.context() as m:
        _patch_reference(m)
        from helpers.models import panel

        assert panel.prepare is ref_prepare and panel.Absorb is RefAbsorb
        ref = design_twin(n, t, world, seed, n_boot=49, threshold_boot=9)
    assert fast.keys() == ref.keys()
    differ = {k: (fast[k], ref[k]) for k in fast if not _same(fast[k], ref[k])}
    assert not differ
    assert sum(np.isfinite(v) for v in fast.values() if isinstance(v, float)) > 20


@pytest.mark.parametrize("world", ["effect", "null", "null_unconfounded"])
def test_design_twin_without_schema_checks_equals_the_validated_twin(world, monkeypatch):
    # design_twin casts the generator's dtypes instead of running validate_panel (a per-twin cost);
    # the study's twins pass the schema, and validating them first changes no number of the row
    from helpers import data
    from helpers.simulate import simulate_panel
    from helpers.studies import twin_cell
    from helpers.studies.nulls import world_params

    seed = 7
    panel, _ = simulate_panel(params=world_params(world), seed=seed, years=tuple(range(2011, 2017)))
    data.validate_panel(panel, source=f"twin seed {seed}", unit_checks=False)   # raises on a schema fault
    fast = twin_cell.design_twin(21, 6, world, seed, n_boot=19, threshold_boot=9)
    original = twin_cell.simulate_panel

    def validated(*args, **kw):
        p, truth = original(*args, **kw)
        return data.validate_panel(p, source="twin", unit_checks=False), truth

    monkeypatch.setattr(twin_cell, "simulate_panel", validated)
    ref = twin_cell.design_twin(21, 6, world, seed, n_boot=19, threshold_boot=9)
    assert fast.keys() == ref.keys()
    assert not {k: (fast[k], ref[k]) for k in fast if not _same(fast[k], ref[k])}
