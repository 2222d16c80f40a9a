"""One participation solver for the twin and the scenarios gives bit-identical results.

:func:`helpers.simulate.solve_participation` replaced two solvers: the twin's static one
(``helpers.simulate.model._solve_participation``) and the scenarios' one with persistence
(``helpers.scenarios.dynamics.solve_participation``). Both are copied below verbatim (names and
keywords aside) as reference implementations, and the merged solver is compared with them, first
on the solver's own inputs (several seeds, city sets and windows), then end to end: the twin's
panel, latent states and true effects (:func:`helpers.simulate.simulate_panel`) and the
scenarios' extended twin, runs and after-effect with persistence, each computed once with the
merged solver and once with the references patched in, must be equal bit for bit. SIMULATED.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import scenarios as sc
from helpers import simulate
from helpers.data.cities import city_set
from helpers.scenarios import runs
from helpers.scenarios.contraction import interaction_matrix
from helpers.simulate import model


# ------------------------------------------------------------------ reference implementations
def ref_static(base, pop, alpha_N, n_iter=400, tol=1e-12, init=None, alpha_E=0.0, W_E=None):
    """helpers.simulate.model._solve_participation before the merge."""
    T, N = base.shape
    s = np.zeros((T, N))
    prev = simulate.logistic(base[0]) if init is None else init
    wts = pop / pop.sum(axis=1, keepdims=True)
    for t in range(T):
        cur = prev
        for _ in range(n_iter):
            idx = base[t] + alpha_N * (wts[t] @ cur)
            new = simulate.logistic(idx + alpha_E * (W_E @ cur) if alpha_E else idx)
            if np.max(np.abs(new - cur)) < tol:
                cur = new
                break
            cur = new
        s[t] = cur
        prev = cur
    return s


def ref_dynamic(index, pop, alpha_N, *, alpha_E=0.0, W=None, persistence=0.0, init=None,
                n_iter=400, tol=1e-12):
    """helpers.scenarios.dynamics.solve_participation before the merge."""
    T, N = index.shape
    lam = np.broadcast_to(np.asarray(persistence, float), (T,))
    if ((lam < 0) | (lam >= 1)).any():
        raise ValueError(f"persistence must lie in [0, 1), got {sorted(set(lam[(lam < 0) | (lam >= 1)]))}")
    s = np.zeros((T, N))
    prev = simulate.logistic(index[0]) if init is None else init
    wts = pop / pop.sum(axis=1, keepdims=True)
    for t in range(T):
        cur = prev
        for _ in range(n_iter):
            idx = index[t] + alpha_N * (wts[t] @ cur)
            new = simulate.logistic(idx + alpha_E * (W @ cur) if alpha_E else idx)
            new = lam[t] * prev + (1.0 - lam[t]) * new
            if np.max(np.abs(new - cur)) < tol:
                cur = new
                break
            cur = new
        s[t] = cur
        prev = cur
    return s


class Counted:
    """Wrap a reference solver, counting calls (and calls with some persistence > 0)."""

    def __init__(self, f, dynamic=False):
        self.f, self.dynamic, self.calls, self.persistent = f, dynamic, 0, 0

    def __call__(self, index, pop, alpha_N, n_iter=400, tol=1e-12, init=None, alpha_E=0.0,
                 W_E=None, *, persistence=0.0):
        self.calls += 1
        if not self.dynamic:
            assert not np.any(persistence), "the static reference got a persistence"
            return self.f(index, pop, alpha_N, n_iter=n_iter, tol=tol, init=init, alpha_E=alpha_E,
                          W_E=W_E)
        self.persistent += bool(np.any(np.asarray(persistence) > 0))
        return self.f(index, pop, alpha_N, alpha_E=alpha_E, W=W_E, persistence=persistence,
                      init=init, n_iter=n_iter, tol=tol)


CITY_SETS = {"guangdong": None, "sample50": city_set("sample", n=50, seed=1)}


def _parts(seed, cities, years):
    p = simulate.TwinParams()
    st, va, _, parts = simulate._build_state(p, seed, years, return_parts=True, cities=cities)
    return p, st, va, parts


# ------------------------------------------------------------------ the solver itself
@pytest.mark.parametrize("seed", [simulate.DEFAULT_SEED, 1, 7])
@pytest.mark.parametrize("cities", list(CITY_SETS))
def test_static_solver_is_the_reference_on_the_whole_calendar_and_on_windows(seed, cities):
    cs = CITY_SETS[cities]
    p, st, _, parts = _parts(seed, cs, tuple(simulate.CALENDAR))
    assert parts["init"] is None and st.pop.shape == (41, 21 if cs is None else 50)
    args = (parts["index"], st.pop, p.alpha_N)
    ref = ref_static(*args, alpha_E=p.alpha_E, W_E=st.W)
    for lam in (0.0, np.zeros(len(st.years))):
        assert np.array_equal(simulate.solve_participation(*args, alpha_E=p.alpha_E, W_E=st.W,
                                                           persistence=lam), ref)
    # a window re-solved from the state of the year before it, and the 1.1.0 law (no exposure)
    p, st, va, parts = _parts(seed, cs, tuple(range(2015, 2021)))
    x, init = parts["index"], parts["init"]
    got = simulate.solve_participation(x, st.pop, p.alpha_N, alpha_E=p.alpha_E, W_E=st.W, init=init)
    ref = ref_static(x, st.pop, p.alpha_N, alpha_E=p.alpha_E, W_E=st.W, init=init)
    assert np.array_equal(got, ref)
    assert np.array_equal(got, va)
    assert np.array_equal(simulate.solve_participation(x, st.pop, 2.0), ref_static(x, st.pop, 2.0))


@pytest.mark.parametrize("lam", [0.3, 0.5, 0.8])
@pytest.mark.parametrize("cities", list(CITY_SETS))
def test_persistent_solver_is_the_reference(lam, cities):
    p, st, va, parts = _parts(1, CITY_SETS[cities], tuple(range(2011, 2031)))
    T0 = 13
    for pers in (lam, np.where(np.arange(len(st.years)) >= T0, lam, 0.0)):
        got = simulate.solve_participation(parts["index"], st.pop, p.alpha_N, alpha_E=p.alpha_E,
                                           W_E=st.W, persistence=pers, init=parts["init"])
        ref = ref_dynamic(parts["index"], st.pop, p.alpha_N, alpha_E=p.alpha_E, W=st.W,
                          persistence=pers, init=parts["init"])
        assert np.array_equal(got, ref)
        assert not np.array_equal(got[T0:], va[T0:])          # persistence does change the future


def test_persistence_update_and_its_closed_form_without_externality():
    """Without network terms the year's fixed point is the partial-adjustment recursion itself."""
    rng = np.random.default_rng(5)
    x, pop = rng.normal(-1.0, 1.0, (12, 6)), rng.uniform(1.0, 3.0, (12, 6))
    lam = rng.uniform(0.0, 0.9, 12)
    s = simulate.solve_participation(x, pop, 0.0, persistence=lam)
    prev = simulate.logistic(x[0])
    for t in range(12):
        prev = lam[t] * prev + (1 - lam[t]) * simulate.logistic(x[t])
        assert np.allclose(s[t], prev, rtol=0, atol=1e-15)
    # with the network terms: every year's solution is a fixed point of the persistent map
    W = rng.uniform(0, 1, (6, 6)) * (1 - np.eye(6))
    W /= W.sum(axis=1, keepdims=True)
    s = simulate.solve_participation(x, pop, 1.4, alpha_E=1.0, W_E=W, persistence=lam)
    for t in range(1, 12):
        A = interaction_matrix(pop[t], 1.4, 1.0, W)
        g = lam[t] * s[t - 1] + (1 - lam[t]) * simulate.logistic(x[t] + A @ s[t])
        assert np.max(np.abs(g - s[t])) < 1e-11


@pytest.mark.parametrize("bad, match", [
    (1.0, r"\[0, 1\), got \[1.0\]"), (-0.1, r"got \[-0.1\]"), (np.nan, r"got \[nan\]"),
    (np.zeros(4), r"one value per year \(3\)"),
])
def test_bad_persistence_is_an_error_naming_it(bad, match):
    x = np.zeros((3, 2))
    with pytest.raises(ValueError, match="persistence must .*" + match):
        simulate.solve_participation(x, np.ones((3, 2)), 1.0, persistence=bad)


# ------------------------------------------------------------------ end to end
@pytest.mark.parametrize("cities, seed, years", [
    ("guangdong", simulate.DEFAULT_SEED, simulate.YEARS),
    ("guangdong", 3, tuple(range(2016, 2021))),
    ("sample50", 1, tuple(range(2011, 2017))),
    ("sample50", 4, tuple(range(2030, 2036))),
])
def test_simulate_panel_is_todays_bit_for_bit(monkeypatch, cities, seed, years):
    cs = CITY_SETS[cities]
    panel, truth = simulate.simulate_panel(seed=seed, years=years, cities=cs)
    ref = Counted(ref_static)
    monkeypatch.setattr(model, "solve_participation", ref)
    panel_r, truth_r = simulate.simulate_panel(seed=seed, years=years, cities=cs)
    assert ref.calls == 1                                       # the reference did run
    pd.testing.assert_frame_equal(panel, panel_r, check_exact=True)
    pd.testing.assert_frame_equal(truth.latent, truth_r.latent, check_exact=True)
    pd.testing.assert_frame_equal(truth.effects, truth_r.effects, check_exact=True)


def _scenario_results(lam):
    ext = sc.extend_twin({"persistence": lam}, seed=1, horizon=2030)
    every = sc.default_scenarios(start=2025, horizon=2030)
    early = sc.Scenario("early", start=2020, subsidy=0.8, subsidy_years=6, cities="PRD")
    out = {"va": ext.va}
    chosen = {"subsidy_3y": every["subsidy_3y"], "rollout": every["rollout"], "early": early}
    for name, s in chosen.items():
        out.update({f"{name}:{v}": a for v, a in sc.run_scenario(ext, s).arrays.items()})
    return out


@pytest.mark.parametrize("lam", [0.5, 0.8])
def test_scenarios_with_persistence_are_todays_bit_for_bit(monkeypatch, lam):
    new = _scenario_results(lam)
    after = sc.after_effect([0.0, lam], sc.default_scenarios()["subsidy_3y"], horizon=2030)
    static, dynamic = Counted(ref_static), Counted(ref_dynamic, dynamic=True)
    monkeypatch.setattr(model, "solve_participation", static)
    monkeypatch.setattr(runs, "solve_participation", dynamic)
    ref = _scenario_results(lam)
    after_r = sc.after_effect([0.0, lam], sc.default_scenarios()["subsidy_3y"], horizon=2030)
    assert static.calls > 0 and dynamic.persistent > 0           # both references did run
    assert new.keys() == ref.keys()
    for k in new:
        assert np.array_equal(new[k], ref[k]), k
    pd.testing.assert_frame_equal(after, after_r, check_exact=True)
    assert after.attrs == after_r.attrs
