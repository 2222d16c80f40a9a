"""Policy results as distributions and in real units (helpers.scenarios). SIMULATED throughout."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import scenarios as sc
from helpers import simulate
from helpers.analysis import moments
from helpers.scenarios import distributions


@pytest.fixture(scope="module")
def ext():
    return sc.extend_twin()


# ----------------------------------------------------------------------------- weighting
@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-5, 5, allow_nan=False), min_size=2, max_size=30), st.floats(0.1, 1e4))
def test_population_objective_equals_unweighted_when_populations_are_equal(gains, p):
    d = np.array(gains)
    pop = np.full(len(d), p)
    assert distributions.weighted_gain(d, pop, "population") == pytest.approx(
        distributions.weighted_gain(d, pop, "unweighted"), rel=1e-12, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.5, 5e3), min_size=2, max_size=30))
def test_population_weights_average_one_and_follow_population(pops):
    pop = np.array(pops)
    w = distributions.objective_weights(pop, "population")
    assert w.mean() == pytest.approx(1.0, rel=1e-12)
    assert np.allclose(w / w[0], pop / pop[0], rtol=1e-12)


def test_bad_weighting_fails_naming_it():
    with pytest.raises(ValueError, match="'residents'"):
        distributions.objective_weights(np.ones(3), "residents")
    with pytest.raises(ValueError, match="positive"):
        distributions.objective_weights(np.array([1.0, 0.0]), "population")


def test_budget_ratio_weightings_agree_in_a_twin_of_equal_populations(ext):
    pop = np.full_like(ext.st.pop, ext.st.pop.mean())
    p = ext.params
    va = simulate.solve_participation(ext.index, pop, p.alpha_N, alpha_E=p.alpha_E, W_E=ext.st.W)
    eq = replace(ext, st=replace(ext.st, pop=pop), va=va)
    u = sc.budget_ratio(eq, weighting="unweighted")
    w = sc.budget_ratio(eq, weighting="population")
    assert w["ratio"] == pytest.approx(u["ratio"], rel=1e-6)
    assert w["uniform"] == pytest.approx(u["uniform"], rel=1e-9)


def test_unweighted_budget_ratio_is_the_budget_allocations(ext):
    """A second implementation: budget_allocation's max-synergy over uniform gain."""
    b = sc.budget_allocation(ext, budget_boost=0.5, n_frontier=2)
    o = b.outcomes
    r = sc.budget_ratio(ext, weighting="unweighted", budget_boost=0.5)
    assert r["uniform"] == pytest.approx(o.at["uniform", "synergy"], rel=1e-9)
    assert r["ratio"] == pytest.approx(o.at["max_synergy", "synergy"] / o.at["uniform", "synergy"], rel=1e-4)
    assert r["ratio"] >= 1.0 and r["converged"]


# ----------------------------------------------------------------------------- the distribution
def test_budget_distribution_on_a_tiny_grid_is_deterministic_and_banded():
    kw = dict(seeds=(7, 8), n_draws=1, weightings=("unweighted",), horizon=2028, start=2026)
    a = sc.budget_distribution(**kw)
    b = sc.budget_distribution(**kw)
    pd.testing.assert_frame_equal(a.runs, b.runs)
    assert len(a.runs) == 4 and set(a.runs["draw"]) == {-1, 0}
    bands = a.bands()
    assert (bands["q05"] <= bands["median"]).all() and (bands["median"] <= bands["q95"]).all()
    assert bands.loc[("unweighted", "seeds x parameter draws"), "n"] == 2
    # each run is the optimisation on that twin
    one = sc.budget_ratio(sc.extend_twin(seed=8, horizon=2028), start=2026)
    row = a.runs[(a.runs["seed"] == 8) & (a.runs["draw"] == -1)].iloc[0]
    assert row["ratio"] == pytest.approx(one["ratio"], rel=1e-12)


def test_bands_hold_the_median_and_count_each_source():
    rng = np.random.default_rng(0)
    runs = pd.DataFrame([{"seed": s, "draw": k, "weighting": w, "ratio": rng.normal(1.5, 0.2)}
                         for s in (1, 2, 3) for k in (-1, 0, 1, 2, 3) for w in sc.WEIGHTINGS])
    d = sc.BudgetDistribution(runs=runs, parameters=pd.DataFrame(), seeds=(1, 2, 3))
    b = d.bands()
    assert (b["q05"] <= b["median"]).all() and (b["median"] <= b["q95"]).all()
    n = b["n"].xs("unweighted")
    assert list(n) == [3, 4, 12]
    v = runs.loc[(runs["weighting"] == "population") & (runs["draw"] >= 0), "ratio"]
    assert b.at[("population", "seeds x parameter draws"), "median"] == pytest.approx(v.median())


def test_uncertainty_over_seeds_and_fixed_persistence():
    scen = {k: v for k, v in sc.default_scenarios().items() if k in ("baseline", "subsidy_3y")}
    r = sc.run_uncertainty(scen, n_draws=2, seeds=(5, 6))
    assert r.n_runs == 4 and set(r.draws["seed"]) == {5, 6}
    one = sc.run_uncertainty(scen, n_draws=2, seed=6)
    mine = r.draws[r.draws["seed"] == 6].reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, one.draws.reset_index(drop=True))
    e = r.effects
    last = e[(e["scenario"] == "subsidy_3y") & (e["measure"] == "mean_VA") & (e["year"] == 2030)]
    assert (last["value"].abs() < 1e-12).all()               # static twin: nothing left
    rp = sc.run_uncertainty(scen, n_draws=2, seeds=(5, 6), fixed={"persistence": 0.5})
    e = rp.effects
    last = e[(e["scenario"] == "subsidy_3y") & (e["measure"] == "mean_VA") & (e["year"] == 2030)]
    assert (last["value"] > 1e-4).all()                      # persistence: an after-effect


# ----------------------------------------------------------------------------- real units
def test_real_units_baseline_is_the_calibrated_level_and_sectors_add_up(ext):
    paths = {k: sc.run_scenario(ext, s) for k, s in sc.default_scenarios().items()
             if k in ("baseline", "subsidy", "gba")}
    real = sc.real_measures(ext, paths)
    t = simulate.calibration_targets(tuple(ext.st.years))
    sectors = [c for c in ("va_primary", "va_secondary", "va_tertiary") if c in t.columns]
    # the baseline is the calibrated level: GDP, or the sum of the sectors where the twin has them
    cols = sectors if len(sectors) == 3 and hasattr(ext.params, "synergy_tertiary") else ["gdp"]
    targets = t.groupby("year")[cols].sum().sum(axis=1)
    assert np.allclose(real["baseline"]["gdp_yuan"].to_numpy(), targets.to_numpy(), rtol=1e-12)
    # GDP is the sectors' sum: primary is the rest (none in the stand-in law)
    primary = (t.groupby("year")["va_primary"].sum().to_numpy() if cols == sectors
               else np.zeros(len(targets)))
    rest = real["baseline"]["gdp_yuan"] - real["baseline"]["va_secondary_yuan"] - real["baseline"]["va_tertiary_yuan"]
    assert np.allclose(rest.to_numpy(), primary, rtol=1e-9, atol=1e-6)
    for r in real.values():
        assert (r["va_secondary_yuan"] + r["va_tertiary_yuan"] <= r["gdp_yuan"] * (1 + 1e-12)).all()
    # GDP moves with productivity: the subsidy raises P everywhere, and GDP with it
    dP = paths["subsidy"].arrays["P"][-1] - paths["baseline"].arrays["P"][-1]
    assert (dP > 0).all() and real["subsidy"]["gdp_yuan"].iloc[-1] > real["baseline"]["gdp_yuan"].iloc[-1]
    # before the policy starts nothing changes
    pre = real["subsidy"].index < 2025
    assert np.allclose(real["subsidy"].loc[pre, "gdp_yuan"], real["baseline"].loc[pre, "gdp_yuan"], rtol=1e-12)
    with pytest.raises(ValueError, match="'baseline'"):
        sc.real_measures(ext, {"subsidy": paths["subsidy"]})


def test_coupling_construct_is_the_real_datas(ext):
    """Second implementation: helpers.analysis.moments.coupling on the same values."""
    from helpers.scenarios import real_units

    base = sc.run_scenario(ext, sc.Scenario("baseline"))
    real = sc.real_measures(ext, {"baseline": base})["baseline"]
    v = real_units.sector_values(base.arrays, base.arrays, real_units.level_paths(ext), ext.params)
    T, N = ext.st.pop.shape
    df = pd.DataFrame({"year": np.repeat(ext.st.years, N), "va_secondary": v["secondary"].ravel(),
                       "va_tertiary": v["tertiary"].ravel(), "population": ext.st.pop.ravel()})
    D = moments.coupling(df).groupby(df["year"]).mean()
    assert np.allclose(real["coupling_D"].to_numpy(), D.to_numpy(), rtol=1e-12)


def test_vectorised_theil_is_measure_theil(ext):
    from helpers import data, measure
    from helpers.scenarios import uncertainty

    reg = data.city_table()
    P = sc.run_scenario(ext, sc.Scenario("baseline")).arrays["P"]
    y, pop = np.exp(P), ext.st.pop
    v = uncertainty.theil_by_year(y, pop, reg["region"].astype(str))
    for t in (0, 7, len(y) - 1):
        r = measure.theil(pd.Series(y[t], index=reg.index), reg["region"], pd.Series(pop[t], index=reg.index))
        assert v["theil"][t] == pytest.approx(r.total, rel=1e-10)
        assert v["theil_between"][t] == pytest.approx(r.between, rel=1e-10)
        assert v["theil_within"][t] == pytest.approx(r.within, rel=1e-9, abs=1e-14)


# ----------------------------------------------------------------------------- generated sentences
def test_sentences_are_generated_from_the_numbers():
    from helpers.book import scenario_sentences as ss

    runs = pd.DataFrame([{"seed": s, "draw": k, "weighting": w, "ratio": 1.2 + 0.1 * s + 0.01 * k,
                          "gap_cut": -0.1 if s == 2 else 0.1, "prd_share": 0.4}
                         for s in (1, 2) for k in (-1, 0, 1) for w in sc.WEIGHTINGS])
    d = sc.BudgetDistribution(runs=runs, parameters=pd.DataFrame(index=range(2)), seeds=(1, 2))
    text = " ".join(ss.budget_distribution_sentences(d))
    med = runs.loc[(runs["weighting"] == "unweighted") & (runs["draw"] >= 0), "ratio"].median()
    assert f"median {med:.2f} times" in text and "widens the Delta-rest synergy gap in 50%" in text
    table = pd.DataFrame({"persistence": [0.0] * 3 + [0.5] * 3, "year": [2025, 2026, 2027] * 2,
                          "effect": [0.1, 0.0, 0.0, 0.05, 0.04, 0.02]})
    table.attrs.update(end=2025, decay={0.0: 0.0, 0.5: 0.55})
    a, b = ss.after_effect_sentences(table)
    assert "leaves nothing in 2027" in a
    assert f"{ss._g(0.02)} remains in 2027 (40% of the peak)" in b and "0.55 a year" in b


def test_tipping_sentence_states_the_condition_with_the_models_moduli(ext):
    from helpers.book import scenario_sentences as ss

    scen = {k: v for k, v in sc.default_scenarios().items() if k in ("baseline", "subsidy_3y")}
    r = sc.run_uncertainty(scen, n_draws=2)
    c = sc.contraction_modulus(ext)
    s = ss.tipping_sentence(r, c)
    worst = max((a + 1.0) / 4 for a in r.parameters["alpha_N"])
    assert "No tipping is possible when (alpha_N + alpha_E) / 4 < 1" in s
    assert f"the modulus is {c.modulus:.2f}" in s and f"at most {worst:.2f}" in s
    assert "leaves nothing in 2030" in s


def test_every_lever_says_whether_it_maps_to_a_real_instrument():
    levers = {lv for s in sc.default_scenarios().values() for lv in s.levers}
    t = sc.REAL_INSTRUMENTS
    assert levers == set(t.index)
    assert set(t["maps to a real instrument"]) <= {"yes, in kind", "partly", "stylised"}
    # a lever that maps to a real instrument names the document; none quotes a number from it
    mapped = t[t["maps to a real instrument"] != "stylised"]
    assert (mapped["official document"].str.len() > 0).all()
    assert not t["how the lever relates"].str.contains(r"\d+ (?:billion|million|yuan)").any()
