"""The simulated twin: determinism, the bundled CSV, signs of the truth, and switched-off pathways."""

import hashlib

import numpy as np
import pandas as pd
import pytest

from helpers import data, simulate
from helpers.simulate import TwinParams, simulate_panel

PATHS = ["direct", "via_flows", "via_agglomeration", "serial"]


def test_same_seed_same_panel_and_different_seed_differs(twin):
    panel, _ = twin
    again, _ = simulate_panel()
    assert panel.equals(again)
    other, _ = simulate_panel(seed=1)
    assert not panel.equals(other)


def test_bundled_csv_regenerates_byte_for_byte(tmp_path):
    out = simulate.write_panel(tmp_path / "panel.csv")
    assert hashlib.sha256(out.read_bytes()).digest() == hashlib.sha256(data.DEFAULT_PANEL.read_bytes()).digest()


def test_panel_follows_schema_and_registry(twin):
    panel, _ = twin
    clean = data.validate_panel(panel, source="twin")  # raises on any schema fault
    assert len(clean) == 273
    assert list(panel.columns) == list(simulate.OBSERVED_COLUMNS)
    # the published 2020 industrial value added is the calibration target (3.31 trillion yuan)
    assert panel.loc[panel.year == 2020, "industrial_value_added"].sum() == pytest.approx(33_100, abs=0.5)
    # population follows the censuses: 2020 values are the census counts in 10k persons
    pop20 = panel[panel.year == 2020].set_index("city")["population"]
    np.testing.assert_allclose(pop20, data.city_table()["pop_2020"] / 1e4, atol=0.006)


def test_true_effects_have_the_predicted_signs(twin):
    _, truth = twin
    e = truth.effects["raw"]
    for name in ["total", *PATHS, "a_flows", "a_agglomeration", "spillover", "productivity", "competitiveness"]:
        assert e[name] > 0, name
    assert truth.threshold["c_high"] > truth.threshold["c_low"]


def test_path_effects_sum_to_total(twin):
    # the synergy equation is linear in VA, FN and AG, so the decomposition is exact
    _, truth = twin
    e = truth.effects["raw"]
    assert e[PATHS].sum() == pytest.approx(e["total"], rel=1e-12)


def test_effects_are_counterfactual_not_parameters(twin):
    # with rho = 0 and no other city involved, the direct effect would equal the average slope;
    # with spillovers feeding back (rho > 0) it must exceed it
    _, truth = twin
    p = truth.params
    va = truth.latent["VA"]
    q = truth.latent["q"]
    slope = np.where(q <= p.gamma, p.c_low, p.c_high).mean()
    direct_per_unit = truth.effects.loc["direct", "raw"] / truth.effects.attrs["delta_VA"]
    assert direct_per_unit > slope
    _, t0 = simulate_panel(params={"rho": 0.0, "theta": 0.0})
    q0 = t0.latent["q"]
    slope0 = np.where(q0 <= p.gamma, p.c_low, p.c_high).mean()
    assert t0.effects.loc["direct", "raw"] / t0.effects.attrs["delta_VA"] == pytest.approx(slope0, rel=1e-10)
    assert va.std(ddof=0) == pytest.approx(truth.effects.attrs["delta_VA"])


@pytest.mark.parametrize("switch,zeroed", [
    ({"phi": 0.0}, ["via_flows", "serial", "a_flows"]),
    ({"b_FN": 0.0}, ["via_flows"]),
    ({"a_FN": 0.0}, ["serial"]),
    ({"a_VA": 0.0}, ["via_agglomeration"]),
    ({"b_AG": 0.0}, ["via_agglomeration", "serial"]),
    ({"c_low": 0.0, "c_high": 0.0, "theta": 0.0}, ["direct"]),
    ({"theta": 0.0, "rho": 0.0, "phi": 0.0}, ["spillover", "via_flows", "serial", "a_flows"]),
])
def test_switching_a_pathway_off_zeroes_its_true_effect(switch, zeroed):
    _, truth = simulate_panel(params=switch)
    e = truth.effects["raw"]
    for name in zeroed:
        assert abs(e[name]) < 1e-12, (switch, name, e[name])
    others = [k for k in PATHS if k not in zeroed]
    assert all(e[k] > 0 for k in others if not (k == "direct" and "c_low" in switch))


def test_bad_parameters_are_named():
    with pytest.raises(ValueError, match="unknown twin parameter.*'beta'"):
        simulate_panel(params={"beta": 1.0})
    with pytest.raises(ValueError, match="TwinParams.phi"):
        TwinParams(phi=1.5)
    with pytest.raises(ValueError, match="TwinParams.rho"):
        TwinParams(rho=1.0)


def test_missing_values_option(twin):
    panel, _ = simulate_panel(params={"missing_rate": 0.05})
    share = panel["loans"].isna().mean()
    assert 0.0 < share < 0.15
    assert panel[["city", "year", "population"]].notna().all().all()
    with pytest.raises(data.PanelSchemaError, match="is missing"):
        data.validate_panel(panel)


def test_network_externality_steepens_the_s_curve():
    grid = np.linspace(0, 1, 101)
    flat = simulate.participation_curve(grid, alpha_N=0.0)
    steep = simulate.participation_curve(grid, alpha_N=4.0)
    assert np.all(np.diff(flat) > 0) and np.all(steep >= flat - 1e-12)
    assert np.max(np.diff(steep)) > np.max(np.diff(flat))
    # alpha_N = 0 has the closed form Lambda(alpha_0 + alpha_D D)
    p = TwinParams()
    np.testing.assert_allclose(flat, 1 / (1 + np.exp(-(p.alpha_0 + p.alpha_D * grid))), rtol=1e-12)


def test_pd_diffusion_is_faster_in_the_delta(twin):
    _, truth = twin
    lat = truth.latent.reset_index()
    lat["region"] = lat["city"].map(data.city_table()["region"].astype(str))
    d2015 = lat[lat.year == 2015].groupby(lat["region"] == "PRD")["D"].mean()
    assert d2015[True] > d2015[False]


def test_data_card_documents_every_column_with_its_unit(root):
    card = (root / "data" / "README.md").read_text()
    header = data.DEFAULT_PANEL.read_text().splitlines()[0].split(",")
    for col in header:
        unit = simulate.OBSERVED_COLUMNS[col][0] or "-"
        assert f"| `{col}` | {unit} |" in card, col
    assert f"seed {simulate.DEFAULT_SEED}" in card and simulate.GENERATOR_VERSION in card
    assert "simulated" in card.lower()


# --------------------------------------------------------------------------- calibration to the real accounts
def test_twin_gdp_2020_sums_to_the_official_total(twin):
    panel, _ = twin
    # official 2020 GDP of Guangdong, 110,760.94 (100 million yuan) = sum of the 21 cities' accounts
    assert panel.loc[panel.year == 2020, "gdp"].sum() == pytest.approx(110_760.94, rel=0.03)


def test_twin_gdp_per_head_ranks_like_the_real_cities(twin):
    from helpers.data import load_accounts

    panel, _ = twin
    acc = load_accounts()
    real = acc.merge(panel[["city", "year", "population"]], on=["city", "year"])
    real_pc = (real["gdp"] / real["population"]).groupby(real["city"]).mean()
    twin_pc = (panel["gdp"] / panel["population"]).groupby(panel["city"]).mean()
    rho = twin_pc.rank().corr(real_pc.reindex(twin_pc.index).rank())
    assert rho >= 0.9
    top = panel[panel.year == 2020].set_index("city")["gdp"].nlargest(2).index
    assert set(top) == {"Shenzhen", "Guangzhou"}


def test_calibration_leaves_the_truth_and_the_other_columns_alone(monkeypatch):
    # The targets set the levels; the model sets the within-city variation. Checked against a
    # second computation of that variation, not against the panel itself: with flat targets and
    # no sector noise, reallocation or city-wide terms, ln GDP = level_it + L within(P + ln population)
    # (the sectors' shares sum to one; ln employment differs from ln population by a city and a year
    # term), so its two-way-demeaned logs equal L times those of P + ln population from the truth's
    # latent P, whatever the targets, while the city means follow the targets.
    from helpers import simulate
    from helpers.data import load_accounts
    from helpers.simulate import observe

    quiet = {"gdp_noise": 0.0, "sigma_realloc": 0.0, "synergy_tertiary": 0.0, "noise": 0.0, "sigma_P": 0.0,
             "convergence": 0.0}
    panel, truth = simulate.simulate_panel(params=quiet, seed=7)
    logs = observe._calibration_logs(simulate.YEARS)
    monkeypatch.setattr(observe, "_calibration_logs", lambda years: {k: v * 0 + 5.0 for k, v in logs.items()})
    flat, truth2 = simulate.simulate_panel(params=quiet, seed=7)
    pd.testing.assert_frame_equal(truth.latent, truth2.latent)   # the truth does not see the targets
    same = [c for c in panel.columns if c not in simulate.CALIBRATED]
    pd.testing.assert_frame_equal(panel[same], flat[same])         # nor do the other columns

    def wide(df, col):
        return np.log(df.pivot(index="year", columns="city", values=col).astype(float).to_numpy())

    lat = truth.latent.reset_index()
    model = lat.pivot(index="year", columns="city", values="P").to_numpy() + wide(panel, "population")
    L = simulate.TwinParams().gdp_loading
    for df in (flat, panel):
        np.testing.assert_allclose(simulate._within(wide(df, "gdp")) - simulate._within(wide(df, "gdp")).mean(),
                                   L * (simulate._within(model) - simulate._within(model).mean()), atol=3e-4)
    # flat targets: every city has the same mean level; real targets: the accounts' city means
    assert np.ptp(wide(flat, "gdp").mean(axis=0)) < 1e-3 * max(1.0, L)
    acc = load_accounts().pivot(index="year", columns="city", values="gdp")
    real_means = np.log(acc.loc[list(simulate.YEARS), panel.pivot(index="year", columns="city", values="gdp").columns]
                        .to_numpy()).mean(axis=0)
    assert np.corrcoef(wide(panel, "gdp").mean(axis=0), real_means)[0, 1] > 0.999


def test_calibration_targets_follow_the_accounts():
    from helpers import simulate
    from helpers.data import load_accounts

    tg = simulate.calibration_targets()
    acc = load_accounts()
    m = tg.merge(acc, on=["city", "year"], suffixes=("", "_real"))
    for y in (2011, 2020, 2023):   # year sums are the real provincial sums
        assert m.loc[m.year == y, "gdp"].sum() == pytest.approx(m.loc[m.year == y, "gdp_real"].sum(), rel=1e-9)
        assert m.loc[m.year == y, "loans"].sum() == pytest.approx(m.loc[m.year == y, "loans_real"].sum(), rel=1e-9)
    assert m.loc[m.year == 2020, "industrial_value_added"].sum() == pytest.approx(33_100, rel=1e-9)
    # city means of log levels equal the real ones (the two-way fit's city effects)
    lt = np.log(m.groupby("city")["gdp"].apply(lambda s: np.exp(np.log(s).mean())))
    lr = np.log(m.groupby("city")["gdp_real"].apply(lambda s: np.exp(np.log(s).mean())))
    assert np.allclose(lt - lt.mean(), lr - lr.mean(), atol=1e-9)


def test_years_beyond_the_accounts_extend_the_real_path():
    from helpers import simulate

    tg = simulate.calibration_targets(years=range(2030, 2033))
    sums = tg.groupby("year")["gdp"].sum()
    assert sums.is_monotonic_increasing and sums.iloc[0] > 135_673.18   # beyond the 2023 official total
    top = tg[tg.year == 2030].set_index("city")["gdp"].nlargest(2).index
    assert set(top) == {"Shenzhen", "Guangzhou"}
