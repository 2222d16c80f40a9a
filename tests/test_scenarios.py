"""Policy scenarios on the structural model (helpers.scenarios). SIMULATED throughout."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import data, simulate
from helpers import scenarios as sc
from helpers.scenarios import detection, levers

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "realdata"
LATENT = ["D", "q", "VA", "FN", "AG", "SY", "P", "X"]


@pytest.fixture(scope="module")
def ext():
    return sc.extend_twin()


def _run(ext, **kw):
    return sc.run_scenario(ext, sc.Scenario("s", **kw)).arrays


def _base(ext):
    return sc.run_scenario(ext, sc.Scenario("baseline")).arrays


# ----------------------------------------------------------------------------- the twin is untouched
def test_baseline_reproduces_the_twin_bit_for_bit(ext):
    _, truth = simulate.simulate_panel()
    frame = sc.run_scenario(ext, sc.Scenario("baseline")).frame()
    hist = frame[frame.index.get_level_values("year") <= 2023].reindex(truth.latent.index)
    assert len(hist) == 21 * 13
    for v in LATENT:
        assert np.array_equal(hist[v].to_numpy(), truth.latent[v].to_numpy()), v
    assert ext.st.years == tuple(range(2011, 2031))


def test_baseline_reproduces_the_twin_under_other_parameters_and_seed():
    params = {"alpha_N": 2.7, "phi": 0.45, "rho": 0.35}
    _, truth = simulate.simulate_panel(params=params, seed=7)
    e = sc.extend_twin(params, seed=7, horizon=2027)
    hist = sc.run_scenario(e, sc.Scenario("b")).frame().reindex(truth.latent.index)
    for v in LATENT:
        assert np.array_equal(hist[v].to_numpy(), truth.latent[v].to_numpy()), v


def test_the_state_with_parts_is_the_state():
    # (that the bundled CSV regenerates byte for byte is tests/test_simulate.py)
    st, va, _ = simulate._build_state(simulate.TwinParams(), simulate.DEFAULT_SEED, simulate.YEARS)
    st2, va2, _, parts = simulate._build_state(simulate.TwinParams(), simulate.DEFAULT_SEED,
                                               simulate.YEARS, return_parts=True)
    assert np.array_equal(va, va2) and np.array_equal(st.eps, st2.eps)
    # the returned index is what participation was solved from
    p = simulate.TwinParams()
    assert np.array_equal(simulate.solve_participation(parts["index"], st.pop, p.alpha_N, alpha_E=p.alpha_E,
                                                       W_E=st.W, init=parts["init"]), va)


def test_extension_continues_the_twins_equations(ext):
    T0 = 13
    st = ext.st
    # network size q = 8 + 52 D + 1.5 e: the constants repeated in scenarios match the twin's q
    resid = (st.q[:T0] - levers._Q_INTERCEPT - levers._Q_SLOPE * st.D[:T0]) / levers._Q_NOISE
    assert abs(resid.mean()) < 0.2 and 0.85 < resid.std() < 1.15
    resid_f = (st.q[T0:] - levers._Q_INTERCEPT - levers._Q_SLOPE * st.D[T0:]) / levers._Q_NOISE
    assert abs(resid_f.mean()) < 0.3 and 0.8 < resid_f.std() < 1.2
    # the national trend is the calendar's path, through national_start in 2011 and national_end in 2023
    assert np.allclose(simulate.national_path(ext.params, st.years), st.national, atol=1e-14)
    assert st.national[0] == pytest.approx(ext.params.national_start) and st.national[T0 - 1] == pytest.approx(
        ext.params.national_end)
    # diffusion continues each city's logistic: logit D rises by kappa_r every year
    logit = np.log(st.D / (1 - st.D))
    assert np.allclose(np.diff(logit, axis=0), ext.kappa[None, :], atol=1e-6)
    # masses keep growing log-linearly relative to population at the twin's rate
    L = np.log(st.masses / st.pop[None])
    assert np.allclose(np.diff(L, axis=1), np.diff(L, axis=1)[:, :1], atol=1e-9)


def test_hong_kong_and_macao_leave_registry_and_panel_unchanged(ext):
    reg0 = data.city_table()
    panel0, _ = simulate.simulate_panel()
    paths = _run(ext, gba_border=1.2)
    assert paths["FN"].shape == (20, 21)
    reg1 = data.city_table()
    pd.testing.assert_frame_equal(reg0, reg1)
    assert len(reg1) == 21 and "Hong Kong" not in reg1.index and "Macao" not in reg1.index
    pd.testing.assert_frame_equal(panel0, simulate.simulate_panel()[0])
    assert ext.gba["logd"].shape == (23, 23)


@pytest.mark.skipif(not (REAL / "cpca_0.5.5" / "adcodes.csv").exists(), reason="shared realdata absent")
def test_gba_nodes_match_the_source_files():
    ad = pd.read_csv(REAL / "cpca_0.5.5" / "adcodes.csv", dtype={"adcode": str}).set_index("adcode")
    cen = pd.read_csv(REAL / "census_leiii" / "leiii_census_city_2010-2020_v1.csv",
                      usecols=["city_code", "popu_2010", "popu_2020"], dtype={"city_code": str}).set_index("city_code")
    for city, row in sc.GBA_NODES.iterrows():
        a = ad.loc[f"{row['code']}000000"]
        assert a["name"] == row["name_zh"]
        assert (a["longitude"], a["latitude"]) == (row["lon"], row["lat"])
        c = cen.loc[str(row["code"])]
        assert (int(c["popu_2010"]), int(c["popu_2020"])) == (row["pop_2010"], row["pop_2020"])
    # Hong Kong's seat is about 61 km from Macao's and 28 km from Shenzhen's (great circle)
    d = data.distance_matrix(pd.concat([data.city_table()[["lon", "lat"]], sc.GBA_NODES[["lon", "lat"]]]))
    assert 55 < d.at["Hong Kong", "Macao"] < 68 and 20 < d.at["Hong Kong", "Shenzhen"] < 35


# ----------------------------------------------------------------------------- each lever, only its chain
def test_no_lever_changes_anything_before_its_start(ext):
    b = _base(ext)
    every = dict(rollout_speed=0.9, rollout_advance=2.0, phi_gain=0.2, subsidy=1.0, talent=0.3, rd=0.3,
                 gba_border=1.2)
    a = _run(ext, start=2025, **every)
    k = ext.st.years.index(2025)
    for v in LATENT:
        assert np.array_equal(a[v][:k], b[v][:k]), v
        assert not np.allclose(a[v][k:], b[v][k:]), v


def test_phi_lever_moves_flows_and_through_them_synergy():
    e = sc.extend_twin()
    b, a = _base(e), _run(e, phi_gain=0.2)
    assert np.array_equal(a["VA"], b["VA"])                     # phi is not in participation (3)
    assert (a["FN"][-1] - b["FN"][-1]).min() > 0               # joint participation cuts friction more
    assert a["SY"][-1].mean() > b["SY"][-1].mean()
    # switch the flow pathway off: phi can no longer reach AG, SY, P, X
    e0 = sc.extend_twin({"a_FN": 0.0, "b_FN": 0.0})
    b0, a0 = _base(e0), _run(e0, phi_gain=0.2)
    assert not np.allclose(a0["FN"], b0["FN"])
    for v in ("AG", "SY", "P", "X"):
        assert np.array_equal(a0[v], b0[v]), v


def test_talent_lever_moves_flows_but_not_participation():
    e = sc.extend_twin()
    b, a = _base(e), _run(e, talent=0.3, rd=0.3, cities="rest")
    assert np.array_equal(a["VA"], b["VA"])
    assert (a["FN"][-1] - b["FN"][-1]).min() > 0
    assert a["SY"][-1].mean() > b["SY"][-1].mean()
    e0 = sc.extend_twin({"a_FN": 0.0, "b_FN": 0.0})
    a0, b0 = _run(e0, talent=0.3, rd=0.3), _base(e0)
    assert np.array_equal(a0["SY"], b0["SY"]) and np.array_equal(a0["AG"], b0["AG"])


def test_rollout_lever_moves_participation_outside_the_delta_only_its_chain():
    prd = (data.city_table()["region"] == "PRD").to_numpy()
    # no network externality: the Delta's participation cannot move
    e = sc.extend_twin({"alpha_N": 0.0, "alpha_E": 0.0})
    b, a = _base(e), _run(e, rollout_speed=0.9, rollout_advance=2.0)
    assert np.array_equal(a["D"][:, prd], b["D"][:, prd]) and np.array_equal(a["VA"][:, prd], b["VA"][:, prd])
    assert (a["VA"][-1, ~prd] - b["VA"][-1, ~prd]).min() > 0
    assert np.allclose(a["q"] - b["q"], levers._Q_SLOPE * (a["D"] - b["D"]))
    # infrastructure off participation and one synergy slope: nothing downstream moves
    e0 = sc.extend_twin({"alpha_D": 0.0, "c_low": 0.5, "c_high": 0.5})
    a0, b0 = _run(e0, rollout_speed=0.9, rollout_advance=2.0), _base(e0)
    assert not np.array_equal(a0["D"], b0["D"])
    for v in ("VA", "FN", "AG", "SY", "P", "X"):
        assert np.array_equal(a0[v], b0[v]), v


def test_subsidy_tips_only_through_the_network_externality():
    prd = (data.city_table()["region"] == "PRD").to_numpy()
    e = sc.extend_twin({"alpha_N": 0.0, "alpha_E": 0.0})
    b, a = _base(e), _run(e, subsidy=1.0, subsidy_years=3, cities="rest")
    k = e.st.years.index(2025)
    assert (a["VA"][k:k + 3, ~prd] > b["VA"][k:k + 3, ~prd]).all()
    assert np.array_equal(a["VA"][:, prd], b["VA"][:, prd])     # no externality: untargeted unmoved
    assert np.array_equal(a["VA"][k + 3:], b["VA"][k + 3:])     # and no lasting effect
    e2 = sc.extend_twin({"alpha_N": 3.0})
    b2, a2 = _base(e2), _run(e2, subsidy=1.0, subsidy_years=3, cities="rest")
    assert (a2["VA"][k, prd] > b2["VA"][k, prd]).all()           # the externality spreads it


def test_gba_lever_is_zero_at_status_quo_friction_and_raises_flows_below_it(ext):
    b = _base(ext)
    same = _run(ext, gba_border=ext.extra["border_sq"])
    for v in LATENT:
        assert np.array_equal(same[v], b[v]), v
    a = _run(ext, gba_border=1.2)
    assert np.array_equal(a["VA"], b["VA"])
    gain = a["FN"][-1] - b["FN"][-1]
    assert gain.min() > 0
    reg = data.city_table()
    # cities nearer the boundary gain more: Shenzhen more than Meizhou
    assert gain[reg.index.get_loc("Shenzhen")] > gain[reg.index.get_loc("Meizhou")]


def test_bad_scenarios_fail_naming_the_fault(ext):
    with pytest.raises(ValueError, match="Atlantis"):
        _run(ext, subsidy={"Atlantis": 1.0})
    with pytest.raises(ValueError, match="start 2040"):
        _run(ext, start=2040)
    with pytest.raises(ValueError, match="unknown parameter"):
        sc.extend_twin({"alpha_X": 1.0})


# ----------------------------------------------------------------------------- uncertainty, budget
def test_results_do_not_depend_on_n_jobs():
    scen = {k: v for k, v in sc.default_scenarios().items() if k in ("baseline", "platform", "gba")}
    r1 = sc.run_uncertainty(scen, n_draws=3, n_jobs=1)
    r2 = sc.run_uncertainty(scen, n_draws=3, n_jobs=2)
    pd.testing.assert_frame_equal(r1.draws, r2.draws)
    pd.testing.assert_frame_equal(r1.bands, r2.bands)
    assert (r1.effects.loc[r1.effects["scenario"] == "baseline", "value"] == 0).all()
    # the bands are ordered and the draws inside the documented ranges
    b = r1.bands
    assert (b["q05"] <= b["q25"]).all() and (b["q25"] <= b["median"]).all() and (b["q75"] <= b["q95"]).all()
    lo, hi = sc.PARAM_RANGES["low"], sc.PARAM_RANGES["high"]
    assert ((r1.parameters >= lo) & (r1.parameters <= hi)).all().all()


def test_theil_parts_add_up_and_gap_is_delta_minus_rest(ext):
    p = sc.run_scenario(ext, sc.Scenario("baseline"))
    d = sc.disparity(p, ext.st.pop)
    assert np.allclose(d["theil_within"] + d["theil_between"], d["theil"], atol=1e-12)
    prd = (data.city_table()["region"] == "PRD").to_numpy()
    sy = p.arrays["SY"][-1]
    assert d.loc[2030, "gap_SY"] == pytest.approx(sy[prd].mean() - sy[~prd].mean())


def test_fixed_budget_targeting_respects_the_budget_and_beats_uniform(ext):
    b = sc.budget_allocation(ext, budget_boost=0.5, n_frontier=3)
    pop = ext.st.pop[ext.st.years.index(2025)]
    spent = (b.allocations.to_numpy() * pop[:, None]).sum(axis=0)
    assert np.allclose(spent, b.budget, rtol=1e-6)
    assert (b.allocations.to_numpy() >= -1e-12).all() and (b.allocations.to_numpy() <= 4.0 + 1e-6).all()
    # cities at the zero bound get exactly zero, not solver noise that changes between runs
    alloc = b.allocations.to_numpy()
    assert not ((alloc > 0) & (alloc < 1e-8)).any()
    o = b.outcomes
    assert o.at["max_synergy", "synergy"] >= o.at["uniform", "synergy"] - 1e-9
    assert o.at["max_gap_cut", "gap_cut"] >= o.at["uniform", "gap_cut"] - 1e-9
    # the frontier trades synergy for gap cut: more cut, no more synergy (optimiser tolerance)
    f = b.frontier
    assert len(f) == 3 and (np.diff(f["gap_cut"]) > 0).all()
    assert (np.diff(f["synergy"]) <= 1e-3 * f["synergy"].abs().max()).all()
    assert f["gap_cut"].iloc[1] >= f["required_gap_cut"].iloc[1] - 1e-6
    # gains are what a direct run with those boosts gives
    sub = b.allocations["uniform"].to_numpy()
    a = _run(ext, subsidy=sub, subsidy_years=6, cities="all")
    assert np.allclose(a["SY"][-1] - _base(ext)["SY"][-1], b.gains["uniform"].to_numpy())


def test_detection_plan_maps_levers_to_hypotheses(ext):
    d = sc.default_scenarios()
    assert detection._detect_plan(d["rollout"], ext) == ("H1", {})
    assert detection._detect_plan(d["platform"], ext) == ("H2", {"phi": pytest.approx(0.8)})
    assert detection._detect_plan(d["talent"], ext)[0] is None and detection._detect_plan(d["gba"], ext)[0] is None
    assert sc.va_share(ext, d["talent"]) == pytest.approx(0.0, abs=1e-12)
    assert 0.5 < sc.va_share(ext, d["subsidy"]) <= 1.0



def test_baseline_reproduces_a_twin_with_the_exposure_channel():
    """With alpha_E > 0 the scenarios solve participation with the twin's exposure term."""
    params = {"alpha_E": 1.0}
    _, truth = simulate.simulate_panel(params=params)
    e = sc.extend_twin(params, horizon=2025)
    hist = sc.run_scenario(e, sc.Scenario("b")).frame().reindex(truth.latent.index)
    for v in LATENT:
        assert np.array_equal(hist[v].to_numpy(), truth.latent[v].to_numpy()), v
