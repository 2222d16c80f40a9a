"""The exact O(N^2 T) counterfactual truths equal the brute-force O(N^3 T) runs they replace.

The reference functions below are the previous implementations of
``helpers.simulate.model._true_effects`` and ``helpers.simulate.estimands.latent_marginal``, kept
verbatim (every treated city's counterfactual re-solves all N x N gravity flows and the full
synergy system), so the fast versions are checked against a second implementation.
"""

import numpy as np
import pandas as pd
import pytest

from helpers import simulate
from helpers.data import cities
from helpers.simulate import estimands
from helpers.simulate import counterfactual as _cf
from helpers.simulate import model as _m
from helpers.simulate import TwinParams

_sim = simulate


def _own_ref(batch, base):
    N = base.shape[1]
    return np.stack([batch[i, :, i] - base[:, i] for i in range(N)], axis=1)


def _others_ref(batch, base):
    N = base.shape[1]
    d = batch - base[None]
    return np.stack([d[i].sum(axis=1) - d[i, :, i] for i in range(N)], axis=1)


def reference_true_effects(st, p, va, base):
    """Own-city path-specific effects of a one-SD rise in one city's VA, by counterfactual runs."""
    fn0, ag0, sy0, P0, X0 = base
    T, N = va.shape
    delta = va.std()
    prd = (st.reg["region"] == "PRD").to_numpy()
    chunk = max(1, min(N, int(2e7 // (T * N * N))))
    own_d, other_d = {}, {}
    for lo in range(0, N, chunk):
        ids = np.arange(lo, min(N, lo + chunk))
        # batch over the treated city: va1[b] raises city ids[b] only (all years)
        bump = delta * np.eye(N)[ids][:, None, :]                       # (B, 1, N)
        va1 = va[None] + bump                                           # (B, T, N)
        fn1 = _m._flow_position(va1, st.masses, st.logd, p.b0, p.phi)
        own = np.eye(N, dtype=bool)[ids][:, None, :]                    # picks city ids[b] in batch b

        def own_change(new, old):
            # the treated city's own change, (treated city, year)
            return (new - old[None])[np.broadcast_to(own, new.shape)].reshape(len(ids), T)

        ag_total = _m._agglomeration(st, p, va1, fn1)
        sy_total = _m._synergy(st, p, va1, fn1, ag_total)
        # path-specific: switch the change on in one place at a time
        sy_direct = _m._synergy(st, p, va1, fn0[None], ag0[None])
        ag_via_fn = _m._agglomeration(st, p, va[None], fn1)                # VA -> FN -> AG
        sy_via_fn = _m._synergy(st, p, va[None], fn1, ag0[None])           # VA -> FN -> SY
        ag_via_va = _m._agglomeration(st, p, va1, fn0[None])               # VA -> AG
        sy_via_ag = _m._synergy(st, p, va[None], fn0[None], ag_via_va)
        sy_serial = _m._synergy(st, p, va[None], fn0[None], ag_via_fn)
        P1, X1 = _m._outcomes(st, p, sy_total, ag_total)
        parts = {"sy_total": (sy_total, sy0), "sy_direct": (sy_direct, sy0), "sy_via_fn": (sy_via_fn, sy0),
                 "sy_via_ag": (sy_via_ag, sy0), "sy_serial": (sy_serial, sy0), "fn": (fn1, fn0),
                 "ag_total": (ag_total, ag0), "P": (P1, P0), "X": (X1, X0)}
        for k, (new, old) in parts.items():
            own_d.setdefault(k, []).append(own_change(new, old))
        other_d.setdefault("sy_total", []).append(
            ((sy_total - sy0[None]) * (~np.broadcast_to(own, sy_total.shape))).sum(axis=-1))
    own_d = {k: np.concatenate(v) for k, v in own_d.items()}            # (N, T) each

    def own_mean(key, cities=slice(None)):
        # averaged over treated cities (all, or a region's) and years; NaN for a set without them
        d = own_d[key][cities]
        return float(d.mean()) if d.size else float("nan")

    sd = {"FN": fn0.std(), "AG": ag0.std(), "SY": sy0.std(), "P": P0.std(), "X": X0.std()}
    rows = {
        "total": (own_mean("sy_total"), "SY"),
        "total_prd": (own_mean("sy_total", prd), "SY"),
        "total_rest": (own_mean("sy_total", ~prd), "SY"),
        "direct": (own_mean("sy_direct"), "SY"),
        "via_flows": (own_mean("sy_via_fn"), "SY"),
        "via_agglomeration": (own_mean("sy_via_ag"), "SY"),
        "serial": (own_mean("sy_serial"), "SY"),
        "a_flows": (own_mean("fn"), "FN"),
        "a_agglomeration": (own_mean("ag_total"), "AG"),
        "spillover": (float(np.concatenate(other_d["sy_total"]).mean()), "SY"),
        "productivity": (own_mean("P"), "P"),
        "competitiveness": (own_mean("X"), "X"),
    }
    eff = pd.DataFrame(
        [(k, v, target, v / sd[target]) for k, (v, target) in rows.items()],
        columns=["effect", "raw", "outcome", "std"],
    ).set_index("effect")
    eff.attrs["delta_VA"] = float(delta)
    eff.attrs["note"] = ("own-city effect of raising one city's virtual agglomeration by one "
                         "panel SD, averaged over cities and years; std = in outcome SDs (SIMULATED)")
    return eff


def reference_latent_marginal(st, p, va, h: float = 1e-5) -> dict:
    """Per-unit own-city marginal effects (T, N) on the latent scale, by forward differences.

    VA bumps (shares stay in [0, 1]: h is far below 1 - max s): ``c`` (synergy, total),
    ``c_prime`` (direct), ``via_flows``, ``via_agglomeration``, ``serial`` (path-specific),
    ``a1`` (flows), ``a2`` (agglomeration holding flows), ``a_agglomeration`` (agglomeration,
    total), ``spillover`` (sum over other cities' synergy), ``productivity``, ``competitiveness``.
    Mediator bumps: ``b1`` (flows -> synergy holding VA and agglomeration), ``b_flows`` (holding
    VA only), ``b2`` (agglomeration -> synergy), ``d21`` (flows -> agglomeration), ``pi_S``,
    ``pi_A``, ``kappa_S``, ``kappa_P``.
    """
    if va.max() + h >= 1:
        raise ValueError(f"latent_marginal: bump h={h} would take a share past 1")
    fn0, ag0, sy0, P0, X0 = _sim._downstream(st, p, va)
    N = va.shape[1]
    e = h * np.eye(N)[:, None, :]
    va1 = va[None] + e
    fn1 = _sim._flow_position(va1, st.masses, st.logd, p.b0, p.phi)
    ag1 = _sim._agglomeration(st, p, va1, fn1)
    sy1 = _sim._synergy(st, p, va1, fn1, ag1)
    P1, X1 = _sim._outcomes(st, p, sy1, ag1)
    ag_fn = _sim._agglomeration(st, p, va[None], fn1)
    ag_va = _sim._agglomeration(st, p, va1, fn0[None])
    out = {
        "c": _own_ref(sy1, sy0), "spillover": _others_ref(sy1, sy0),
        "c_prime": _own_ref(_sim._synergy(st, p, va1, fn0[None], ag0[None]), sy0),
        "via_flows": _own_ref(_sim._synergy(st, p, va[None], fn1, ag0[None]), sy0),
        "via_agglomeration": _own_ref(_sim._synergy(st, p, va[None], fn0[None], ag_va), sy0),
        "serial": _own_ref(_sim._synergy(st, p, va[None], fn0[None], ag_fn), sy0),
        "a1": _own_ref(fn1, fn0), "a2": _own_ref(ag_va, ag0), "a_agglomeration": _own_ref(ag1, ag0),
        "productivity": _own_ref(P1, P0), "competitiveness": _own_ref(X1, X0),
    }
    fnb = fn0[None] + e
    agb = _sim._agglomeration(st, p, va[None], fnb)
    out["b1"] = _own_ref(_sim._synergy(st, p, va[None], fnb, ag0[None]), sy0)
    out["b_flows"] = _own_ref(_sim._synergy(st, p, va[None], fnb, agb), sy0)
    out["d21"] = _own_ref(agb, ag0)
    out["b2"] = _own_ref(_sim._synergy(st, p, va[None], fn0[None], ag0[None] + e), sy0)
    Ps, Xs = _sim._outcomes(st, p, sy0[None] + e, ag0[None])
    Pa, _ = _sim._outcomes(st, p, sy0[None], ag0[None] + e)
    out["pi_S"], out["pi_A"] = _own_ref(Ps, P0), _own_ref(Pa, P0)
    out["kappa_S"] = _own_ref(Xs, X0) - p.kappa_P * out["pi_S"]    # holding productivity
    out["kappa_P"] = np.full_like(va, p.kappa_P)
    return {k: v / h for k, v in out.items()}


def _twin(params, seed, cs=None, years=simulate.YEARS, bump=None):
    p = TwinParams(**params)
    st, va, _ = simulate._build_state(p, seed, tuple(years), cities=cs)
    if bump is not None:
        va = va + bump.get("VA", 0.0)
    return st, p, va, simulate._downstream(st, p, va, bump)


CASES = [
    ("guangdong default", {}, simulate.DEFAULT_SEED, None, simulate.YEARS),
    ("alpha_E and contiguity off", {"alpha_E": 0.5, "rho": -0.3, "theta": 0.5}, 7, None, simulate.YEARS),
    ("40 national cities", {}, 5, ("sample", 40, 2), range(2011, 2019)),
    ("no flows channel", {"phi": 0.0}, 11, ("sample", 25, 3), range(2011, 2016)),
]


@pytest.mark.parametrize("name,params,seed,cs,years", CASES, ids=[c[0] for c in CASES])
def test_true_effects_equal_the_brute_force_runs(name, params, seed, cs, years):
    cset = None if cs is None else cities.city_set(cs[0], n=cs[1], seed=cs[2])
    st, p, va, base = _twin(params, seed, cset, years)
    fast = simulate._true_effects(st, p, va, base)
    ref = reference_true_effects(st, p, va, base)
    assert list(fast.index) == list(ref.index)
    np.testing.assert_allclose(fast[["raw", "std"]].to_numpy(), ref[["raw", "std"]].to_numpy(), rtol=0, atol=1e-10)
    assert fast.attrs == ref.attrs


def test_true_effects_of_a_bumped_panel_equal_the_brute_force_runs():
    # simulate_panel(bump=...) hands _true_effects a bumped base: same numbers as before
    rng = np.random.default_rng(1)
    T, N = len(simulate.YEARS), 21
    bump = {"VA": 0.01 * rng.random((T, N)), "FN": 0.1 * rng.standard_normal((T, N)),
            "AG": 0.05 * rng.standard_normal((T, N)), "SY": 0.05 * rng.standard_normal((T, N)),
            "P": 0.02 * rng.standard_normal((T, N))}
    st, p, va, base = _twin({}, 3, None, simulate.YEARS, bump)
    fast = simulate._true_effects(st, p, va, base)
    ref = reference_true_effects(st, p, va, base)
    np.testing.assert_allclose(fast[["raw", "std"]].to_numpy(), ref[["raw", "std"]].to_numpy(), rtol=0, atol=1e-10)


@pytest.mark.parametrize("name,params,seed,cs,years", CASES, ids=[c[0] for c in CASES])
def test_latent_marginal_equals_the_brute_force_differences(name, params, seed, cs, years):
    cset = None if cs is None else cities.city_set(cs[0], n=cs[1], seed=cs[2])
    st, p, va, _ = _twin(params, seed, cset, years)
    fast = estimands.latent_marginal(st, p, va)
    ref = reference_latent_marginal(st, p, va)
    assert set(fast) == set(ref)
    # the reference divided its constant kappa_P by h too (80000 instead of 0.8; no truth read
    # it): the fast version returns the slope itself
    np.testing.assert_array_equal(fast["kappa_P"], np.full_like(va, p.kappa_P))
    for k in set(ref) - {"kappa_P"}:
        assert fast[k].shape == ref[k].shape, k
        # the reference divides a difference of two O(10) numbers by h = 1e-5, so its own
        # rounding is ~2e-16 x 10 / 1e-5 = 2e-10 per city-year and unit of the effect (the
        # spillover sums N - 1 such differences): allow a few of those
        scale = max(1.0, float(np.abs(ref[k]).max()))
        np.testing.assert_allclose(fast[k], ref[k], rtol=0, atol=2e-9 * scale, err_msg=k)
        # averaged over city-years (what every truth is), the two agree to 1e-10 (relative; the
        # spillover's reference adds up the rounding of N - 1 cities)
        tol = 1e-10 * max(1.0, abs(ref[k].mean())) * (va.shape[1] if k == "spillover" else 1)
        assert abs(fast[k].mean() - ref[k].mean()) < tol, k


def test_latent_marginal_is_exact_where_the_twin_is_affine():
    # phi = 0: flows do not depend on VA, so every state is affine in VA and a large forward
    # difference (h = 0.01, rounding 1e-14) is exact: the fast version matches it to 1e-11
    st, p, va, _ = _twin({"phi": 0.0}, 13, cities.city_set("sample", n=30, seed=6), range(2011, 2020))
    h = min(0.01, 0.5 * (1 - va.max()))
    fast = estimands.latent_marginal(st, p, va)
    ref = reference_latent_marginal(st, p, va, h=h)
    for k in set(ref) - {"kappa_P"}:
        np.testing.assert_allclose(fast[k], ref[k], rtol=0, atol=1e-11, err_msg=k)


def test_fast_flow_change_matches_a_direct_recomputation_for_a_large_bump():
    # a one-SD bump: the flow change of every city equals recomputing all flows from scratch
    cs = cities.city_set("sample", n=30, seed=4)
    st, p, va, (fn0, *_) = _twin({}, 9, cs, range(2011, 2018))
    d = float(va.std())
    ids = np.array([0, 7, 29])
    r = _cf._bump_responses(st, p, va, d, ids)
    S = st.S_inv
    for b, i in enumerate(ids):
        va1 = va.copy()
        va1[:, i] += d
        dfn = _m._flow_position(va1, st.masses, st.logd, p.b0, p.phi) - fn0
        np.testing.assert_allclose(r["fn_own"][b], dfn[:, i], atol=1e-12)
        np.testing.assert_allclose(r["F_own"][b], dfn @ S[i], atol=1e-12)
        np.testing.assert_allclose(r["F_tot"][b], (dfn @ S.T).sum(axis=1), atol=1e-12)
