"""The contraction condition and adoption with persistence (helpers.scenarios). SIMULATED throughout."""

import numpy as np
import pytest

from helpers import scenarios as sc
from helpers import simulate
from helpers.scenarios import contraction, dynamics


@pytest.fixture(scope="module")
def ext():
    return sc.extend_twin()


def _numerical_jacobian(f, s, h=1e-6):
    cols = []
    for j in range(len(s)):
        e = np.zeros_like(s)
        e[j] = h
        cols.append((f(s + e) - f(s - e)) / (2 * h))
    return np.column_stack(cols)


@pytest.mark.parametrize("lam", [0.0, 0.6])
def test_jacobian_matches_a_numerical_jacobian_of_the_fixed_point_map(ext, lam):
    p, st = ext.params, ext.st
    t = st.years.index(2027)
    rng = np.random.default_rng(3)
    s = rng.uniform(0.05, 0.95, ext.va.shape[1])
    prev = ext.va[t - 1]

    def G(x):
        return contraction.participation_map(x, ext.index[t], st.pop[t], p.alpha_N, p.alpha_E, st.W, lam, prev)

    J = contraction.jacobian(s, ext.index[t], st.pop[t], p.alpha_N, p.alpha_E, st.W, lam)
    num = _numerical_jacobian(G, s)
    assert np.allclose(J, num, atol=1e-8, rtol=1e-6)
    # the global modulus bounds the max-norm of the numerical Jacobian at any point
    L = contraction.global_modulus(p.alpha_N, p.alpha_E, st.W, lam)
    assert np.abs(num).sum(axis=1).max() <= L + 1e-8
    # the twin's map is the one it solves: its solved participation is a fixed point
    s_star = ext.va[t]
    assert np.allclose(contraction.participation_map(s_star, ext.index[t], st.pop[t], p.alpha_N, p.alpha_E,
                                                     st.W), s_star, atol=1e-10)


def test_global_modulus_closed_form_and_a_map_outside_the_contraction_region(ext):
    # row-standardised W: (1 - lambda)(alpha_N + alpha_E) / 4
    assert contraction.global_modulus(1.0, 1.0, ext.st.W) == pytest.approx(0.5)
    assert contraction.global_modulus(1.4, 1.0, ext.st.W, persistence=0.5) == pytest.approx(0.3)
    # the bound is attained: at Lambda' = 1/4 (index + A s = 0) the Jacobian's max norm equals L
    n = ext.va.shape[1]
    s = np.full(n, 0.5)
    A = contraction.interaction_matrix(ext.st.pop[0], 3.0, 2.0, ext.st.W)
    J = contraction.jacobian(s, -(A @ s), ext.st.pop[0], 3.0, 2.0, ext.st.W)
    assert np.abs(J).sum(axis=1).max() == pytest.approx(contraction.global_modulus(3.0, 2.0, ext.st.W))
    # identical cities with A = alpha_N + alpha_E > 4 have three equilibria: the condition is sharp
    a = 6.0
    grid = np.linspace(1e-4, 1 - 1e-4, 20000)   # 0.5 (a root) is not on the grid
    gap = simulate.logistic(-a / 2 + a * grid) - grid
    assert (gap[:-1] * gap[1:] < 0).sum() == 3
    gap4 = simulate.logistic(-3.9 / 2 + 3.9 * grid) - grid
    assert (gap4[:-1] * gap4[1:] < 0).sum() == 1


def test_contraction_result_on_the_twin(ext):
    c = sc.contraction_modulus(ext)
    p = ext.params
    assert c.modulus == pytest.approx((p.alpha_N + p.alpha_E) / 4)
    assert c.contraction
    assert (c.local["local_norm"] <= c.modulus + 1e-12).all()
    assert (c.local["spectral_radius"] <= c.local["local_norm"] + 1e-12).all()


def test_persistence_zero_is_the_static_twin_bit_for_bit(ext):
    p, st = ext.params, ext.st
    # the static twin's path (solved on the whole calendar) re-solved from the year before the
    # window with a persistence of 0 in every year
    dyn = simulate.solve_participation(ext.index, st.pop, p.alpha_N, alpha_E=p.alpha_E, W_E=st.W,
                                       init=ext.init, persistence=np.zeros(len(st.years)))
    assert np.array_equal(ext.va, dyn)
    e0 = sc.extend_twin({"persistence": 0.0})
    s3 = sc.default_scenarios()["subsidy_3y"]
    for v in ("VA", "SY", "P"):
        assert np.array_equal(sc.run_scenario(e0, s3).arrays[v], sc.run_scenario(ext, s3).arrays[v]), v


def test_persistence_keeps_history_and_slows_adjustment():
    e = sc.extend_twin({"persistence": 0.5})
    e0 = sc.extend_twin()
    T0 = e.n_hist
    assert np.array_equal(e.va[:T0], e0.va[:T0])
    assert not np.array_equal(e.va[T0:], e0.va[T0:])
    with pytest.raises(ValueError, match="persistence must lie in"):
        sc.extend_twin({"persistence": 1.0})


@pytest.mark.parametrize("lam", [0.3, 0.7])
def test_temporary_subsidy_decays_geometrically_at_the_persistence_rate(lam):
    """No externality: the gap after the subsidy ends is lambda^k times the gap in its last year."""
    e = sc.extend_twin({"alpha_N": 0.0, "alpha_E": 0.0, "persistence": lam})
    s3 = sc.Scenario("s3", start=2025, subsidy=1.0, subsidy_years=3, cities="all")
    gap = sc.run_scenario(e, s3).arrays["VA"] - sc.run_scenario(e, sc.Scenario("b")).arrays["VA"]
    k_end = e.st.years.index(2027)
    assert (gap[k_end] > 0.01).all()
    for k in range(1, 4):
        assert np.allclose(gap[k_end + k], lam ** k * gap[k_end], rtol=1e-9, atol=1e-13)
    # and the static twin forgets at once
    e0 = sc.extend_twin({"alpha_N": 0.0, "alpha_E": 0.0})
    gap0 = sc.run_scenario(e0, s3).arrays["VA"] - sc.run_scenario(e0, sc.Scenario("b")).arrays["VA"]
    assert np.array_equal(gap0[k_end + 1:], np.zeros_like(gap0[k_end + 1:]))


def test_externality_multiplies_the_memory_as_the_decay_matrix_says(ext):
    """With externalities the after-effect decays at the first-order rate lambda (I - J)^-1."""
    lam = 0.5
    e = sc.extend_twin({"persistence": lam})
    s3 = sc.default_scenarios()["subsidy_3y"]
    gap = sc.run_scenario(e, s3).arrays["VA"] - sc.run_scenario(e, sc.Scenario("b")).arrays["VA"]
    k = e.st.years.index(2028)
    pred = dynamics.decay_matrix(e, 2028, lam) @ gap[k - 1]
    assert np.allclose(gap[k], pred, rtol=0.05, atol=1e-4)
    assert dynamics.decay_rate(e, 2028, lam) > lam          # the externality slows the decay


def test_tipping_search_finds_nothing_inside_the_contraction_region_and_a_tip_outside():
    s3 = sc.default_scenarios()["subsidy_3y"]
    d = sc.tipping_search(s3, alpha_N_values=(1.0, 9.0), alpha_0_values=(-3.6, -7.0))
    assert np.allclose(d["modulus"], (d["alpha_N"] + 1.0) / 4)
    inside = d[d["modulus"] < 1]
    assert len(inside) == 2 and (inside["effect_horizon"].abs() < 1e-12).all()
    assert (inside["effect_end"] > 0).all()                  # the subsidy works while paid
    # outside the region the same subsidy can move the province to the upper equilibrium for good
    tip = d[(d["alpha_N"] == 9.0) & (d["alpha_0"] == -7.0)].iloc[0]
    assert tip["baseline_horizon"] < 0.2 and tip["effect_horizon"] > 0.5
