"""The twin on any set of prefecture-level cities and year span (issue 14, deliverable 1)."""

import numpy as np
import pandas as pd
import pytest

from helpers import data, simulate, studies
from helpers.data import cities
from helpers.measure import constructs
from helpers.studies import design


@pytest.fixture(scope="module")
def national_twin():
    cs = cities.city_set("sample", n=30, seed=3)
    panel, truth = simulate.simulate_panel(seed=11, cities=cs, years=range(2011, 2019))
    return cs, panel, truth


def test_guangdong_given_explicitly_is_the_default_twin():
    years = range(2011, 2016)
    a, ta = simulate.simulate_panel(seed=4, years=years)
    b, tb = simulate.simulate_panel(seed=4, years=years, cities=cities.city_set("guangdong"))
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(ta.effects, tb.effects)
    assert "calibrated to the official" in a.attrs["calibration"]


def test_national_set_shape_regions_and_weights(national_twin):
    cs, panel, truth = national_twin
    assert len(panel) == 30 * 8 and set(panel["year"]) == set(range(2011, 2019))
    assert set(panel["city"]) == set(cs.index)
    assert "Other" in set(panel["region"]) and "PRD" in set(panel["region"])
    assert "not Guangdong" in panel.attrs["calibration"]
    # W: row-standardised inverse distance squared, recomputed here from the haversine distances
    lon, lat = cs["lon"].to_numpy(), cs["lat"].to_numpy()
    d = cities.great_circle_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
    w = np.where(np.eye(30, dtype=bool), 0.0, 1.0 / np.where(d > 0, d, 1.0) ** 2)
    np.testing.assert_allclose(truth.W.to_numpy(), w / w.sum(axis=1, keepdims=True), rtol=1e-12)
    assert list(truth.W.index) == list(cs.index)


def test_uncalibrated_levels_follow_the_model_formula(national_twin):
    # outside Guangdong's 21: gdp = sum of the sectors, 2.5 exp(m + c) with the within part of the
    # model's log output m = P - c + ln employment scaled by gdp_loading (c: the city-wide terms);
    # so ln gdp - ln(2.5 employment) - P is the within part of m times (L - 1), up to sector noise
    _, panel, truth = national_twin
    L = simulate.TwinParams().gdp_loading
    p = panel.set_index(["city", "year"])
    P = truth.latent["P"].reindex(p.index)
    r = np.log(p["gdp"] / (2.5 * p["employment"])) - P
    assert abs(r.groupby(level="year").mean()).max() < 0.1          # levels follow the model
    st = truth.state[0]
    c = pd.DataFrame(simulate._city_terms(st, simulate.TwinParams()), index=list(st.years),
                     columns=st.reg.index).T.stack().reindex(p.index)
    def within(x):
        a = x.unstack("year").to_numpy()
        return (a - a.mean(axis=0, keepdims=True) - a.mean(axis=1, keepdims=True) + a.mean()).ravel()
    slope = np.polyfit(within(P - c + np.log(p["employment"])), within(r), 1)[0]
    assert slope == pytest.approx(L - 1, abs=0.05)                  # the within part scaled by L
    iva = np.log(p["industrial_value_added"] / p["gdp"])
    assert iva.between(np.log(0.25 * 0.9), np.log(0.5 * 1.1)).all()   # gdp (0.25 + 0.25 sh_m), sh_m < 1


@pytest.mark.parametrize("T", [8, 20])
def test_national_trend_and_diffusion_are_sensible_for_any_span(T):
    cs = cities.city_set("sample", n=25, seed=1)
    panel, truth = simulate.simulate_panel(seed=2, cities=cs, years=range(2011, 2011 + T))
    trend = panel.groupby("year")["national_internet_share"].first().to_numpy()
    p = simulate.TwinParams()
    assert np.all(np.diff(trend) > 0)
    # fixed in calendar years (generator 2.0.0): national_start in 2011, national_end in 2023, any span
    assert trend[0] == pytest.approx(p.national_start, abs=1e-4)
    if T >= 13:
        assert trend[12] == pytest.approx(p.national_end, abs=1e-4)
    assert np.allclose(trend, simulate.national_path(p, range(2011, 2011 + T)), atol=1e-4)
    D = truth.latent["D"].unstack("year").to_numpy()
    assert np.all((D > 0) & (D < 1)) and np.all(np.diff(D, axis=1) > 0)   # logistic diffusion, rising


def test_bad_city_sets_and_spans_are_refused():
    cs = cities.city_set("sample", n=25, seed=1)
    with pytest.raises(ValueError, match="contiguity"):
        simulate.simulate_panel(params={"spatial_weights": "contiguity"}, cities=cs)
    with pytest.raises(ValueError, match="at least one year"):
        simulate.simulate_panel(years=[], cities=cs)
    with pytest.raises(ValueError, match="lon"):
        simulate.simulate_panel(cities=cs.drop(columns="lon"))
    with pytest.raises(ValueError, match="region"):
        simulate.simulate_panel(cities=cs.assign(region="Mars"))


def test_true_effects_without_prd_city_are_missing_not_zero():
    nat = cities.city_set("national")
    cs = nat[nat["region"] == "Other"].iloc[:12]
    _, truth = simulate.simulate_panel(seed=1, cities=cs, years=range(2011, 2016))
    assert np.isnan(truth.effects.at["total_prd", "raw"])
    assert truth.effects.at["total_rest", "raw"] == pytest.approx(truth.effects.at["total", "raw"])


def test_constructs_use_the_seats_of_the_panel_cities(national_twin):
    cs, panel, _ = national_twin
    d = constructs.panel_distances(panel)
    pd.testing.assert_frame_equal(d.loc[list(cs.index), list(cs.index)], cities.distance_matrix(cs),
                                  check_names=False, check_index_type=False, check_column_type=False)
    c = constructs.build_constructs(panel.astype({k: float for k in panel.columns if str(panel[k].dtype) == "Int64"}))
    assert c["flow_network"].notna().all() and len(c) == len(panel)
    pd.testing.assert_frame_equal(constructs.panel_distances(data.load_panel()), data.distance_matrix())


def test_design_twin_scores_one_small_twin():
    row = studies.design_twin(30, 8, "effect", 7, n_boot=49, threshold_boot=19)
    assert {f"H{i}" for i in range(1, 6)} <= set(row)
    assert all(isinstance(row[f"H{i}"], bool) for i in range(1, 6))
    assert set(row) >= {"covers_total", "covers_via_flows", "covers_spillover", "est_total", "gamma_hat"}
    # the verdict on H1 is the total effect's interval lying above zero
    assert row["H1"] == row["sig_total"]
    # the identifiable exposure channel, scored against its own truth
    from helpers.simulate import TwinParams
    assert row["true_alpha_E"] == TwinParams().alpha_E > 0
    assert {"est_alpha_E", "sig_alpha_E", "covers_alpha_E", "true_threshold_low", "covers_threshold_high"} <= set(row)
    assert row["covers_alpha_E"] in (0.0, 1.0) and isinstance(row["sig_alpha_E"], bool)
    again = studies.design_twin(30, 8, "effect", 7, n_boot=49, threshold_boot=19)
    assert row.keys() == again.keys()
    assert all(a == b or (a != a and b != b) for a, b in zip(row.values(), again.values()))
    null = studies.design_twin(30, 8, "null", 7, n_boot=49, threshold_boot=19)
    assert null["true_total"] == pytest.approx(0.0, abs=1e-12)
    assert null["true_threshold_low"] == pytest.approx(0.0, abs=1e-12)


def test_design_twin_on_a_subset_of_guangdong():
    # a Guangdong-only sample used to pick up the whole province's distance matrix
    row = studies.design_twin(10, 5, "effect", 7, n_boot=19, threshold_boot=0)
    assert np.isfinite(row["est_total"]) and np.isfinite(row["true_total"])


@pytest.mark.slow
def test_design_study_of_twins_same_for_one_and_two_workers(tmp_path):
    # one twin per cell (Guangdong and a 30-city sample, two worlds): the test is about workers
    cells = design.grid([21, 30], [8])
    opts = {"n_boot": 19, "threshold_boot": 9}
    one = design.run_study(cells, studies.design_twin, tmp_path / "one", reps=1, n_workers=1,
                           options=opts, progress=False).rows
    two = design.run_study(cells, studies.design_twin, tmp_path / "two", reps=1, n_workers=2,
                           options=opts, progress=False).rows
    key = ["n_cities", "n_years", "world", "rep"]
    pd.testing.assert_frame_equal(one.sort_values(key).reset_index(drop=True),
                                  two.sort_values(key).reset_index(drop=True))
    assert len(one) == len(cells) and one["H1"].dtype == bool


def test_true_effects_in_chunks_equal_one_batch(monkeypatch):
    # large sets solve the counterfactuals in chunks of treated cities: same numbers
    cs = cities.city_set("sample", n=40, seed=2)
    one = simulate.simulate_panel(seed=5, cities=cs, years=range(2011, 2016))[1].effects
    monkeypatch.setattr(simulate.counterfactual, "_BATCH_ELEMENTS", 3 * 5 * 40)   # chunks of 3 treated cities (T x N each)
    chunked = simulate.simulate_panel(seed=5, cities=cs, years=range(2011, 2016))[1].effects
    np.testing.assert_allclose(chunked[["raw", "std"]].to_numpy(), one[["raw", "std"]].to_numpy(), rtol=1e-12)
