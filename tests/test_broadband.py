"""The Broadband China design (helpers.analysis.broadband): closed form against the package, properties
of the outcomes, the placebo draws, the neighbour exposure and the sentences."""

import numpy as np
import pandas as pd
import pytest
from test_did import staggered_panel

from helpers.analysis import broadband as bb
from helpers.book import broadband_sentences as bs
from helpers.models import did


@pytest.fixture(scope="module")
def frame():
    from helpers.data import china

    return bb.design_frame(china.load_china())


def _toy_wide(df, y="y"):
    w = df.pivot(index="city", columns="year", values=y)
    coh = df.groupby("city")["cohort"].first().reindex(w.index).to_numpy()
    return w.to_numpy(), coh, w.columns.to_numpy()


def test_closed_form_equals_package_on_toy_and_real(frame):
    df = staggered_panel()
    assert bb.cs_simple_att(*_toy_wide(df)) == pytest.approx(
        did.callaway_santanna(df, "y").params["ATT"], abs=1e-12)
    sub = bb.sample(frame, (2011, 2019))
    for y in ("broadband_per100", "lq_manufacturing"):
        assert bb.cs_simple_att(*bb._wide(sub, y)) == pytest.approx(
            did.callaway_santanna(sub, y, entity="code").params["ATT"], abs=1e-10)


def test_location_quotients_average_to_one(frame):
    # employment-weighted mean of LQ_i = (e_im / e_i) / (E_m / E) over the cities of a year is 1
    from helpers.data import china

    panel = china.load_china()
    merged = frame.merge(panel[["code", "year", "employment_nonagri"]], on=["code", "year"])
    for _, g in merged.dropna(subset=["lq_manufacturing"]).groupby("year"):
        w = g["employment_nonagri"]
        assert (g["lq_manufacturing"] * w).sum() / w.sum() == pytest.approx(1.0, abs=1e-10)
    ok = frame["coagglomeration"].notna()
    assert frame.loc[ok, "coupling"].between(0, 1).all()


def test_city_effects_average_to_the_overall_att(frame):
    ce = bb.city_effects(frame, "broadband_per100")
    sub = bb.sample(frame, (2011, 2019))
    att = bb.cs_simple_att(*bb._wide(sub, "broadband_per100"))
    years = np.arange(2012, 2020)  # the series starts in 2012
    w = np.array([(years >= g).sum() for g in ce["cohort"]])  # post periods per city
    assert np.dot(w, ce["effect"]) / w.sum() == pytest.approx(att, abs=1e-10)


def test_randomization_keeps_cohort_sizes_and_is_seeded():
    df = staggered_panel(n=150, effect=3.0)
    frame = df.rename(columns={"city": "code"})
    a = bb.randomization_inference(frame, "y", n_placebo=99, seed=5)
    b = bb.randomization_inference(frame, "y", n_placebo=99, seed=5)
    np.testing.assert_array_equal(a["draws"], b["draws"])
    real = df.groupby("city")["cohort"].first()
    assert a["cohort_sizes"] == real[real > 0].value_counts().sort_index().to_dict()
    assert a["p"] == pytest.approx(1 / 100) and a["rank"] == 100  # a large effect beats all
    null = bb.randomization_inference(frame, "x", n_placebo=99, seed=5)
    assert null["p"] > 0.05  # x is pure noise


def test_neighbour_cohorts_by_hand(frame):
    from helpers.data.cities import great_circle_km, prefecture_table

    reg = prefecture_table().set_index("code")
    nb = bb.neighbour_cohorts(frame, (0, 150))
    coh = frame.groupby("code")["cohort"].first()
    code = nb.index[nb > 0][0]
    treated = coh[coh > 0].index.intersection(reg.index)
    d = great_circle_km(reg.loc[code, "lon"], reg.loc[code, "lat"],
                        reg.loc[treated, "lon"].to_numpy(), reg.loc[treated, "lat"].to_numpy())
    assert nb[code] == coh[treated[d < 150]].min()
    assert (coh.reindex(nb.index) == 0).all()  # only never-designated cities


def test_crosswalk_variants_change_the_treated(frame):
    rob = bb.crosswalk_robustness(frame, "broadband_per100")
    base = rob.loc["baseline", "treated"]
    assert rob.loc["drop city clusters", "treated"] < base
    assert rob.loc["2015 single-source as unknown", "treated"] < base
    assert rob.loc["baseline", "att"] == pytest.approx(
        did.callaway_santanna(bb.sample(frame, (2011, 2019)), "broadband_per100",
                              entity="code").params["ATT"])


def test_sentences_follow_the_numbers():
    row = pd.Series({"outcome": "lq_manufacturing", "sample": "2011-2019", "years": "2011-2019",
                     "att": -0.02, "lower": -0.05, "upper": 0.01, "treated": 70, "entities": 200,
                     "pretrend_p": 0.01, "pretrend_df": 4})
    s = bs.effect_sentence(row)
    assert "rules out effects below -0.050 and above 0.010" in s and "not a clean effect" in s
    pos = row.copy()
    pos[["att", "lower", "upper", "pretrend_p"]] = [0.02, 0.01, 0.03, 0.5]
    s2 = bs.effect_sentence(pos)
    assert ": positive." in s2 and "rules out" not in s2 and "does not prove" in s2
    t = pd.DataFrame([{"link": "first stage", "sample": "s", "outcome": "broadband_per100",
                       "att": 1.0, "lower": -0.1, "upper": 2.0, "pretrend_p": 0.5}])
    assert "no first-stage measure moves" in bs.first_stage_sentence(t, "s")
    t.loc[0, "lower"] = 0.2
    assert "designation moves broadband" in bs.first_stage_sentence(t, "s")


# --- the design on the simulated twin ----------------------------------------------------------

def test_twin_designation_follows_the_threshold_score():
    from helpers.simulate import simulate_panel
    from helpers.studies import broadband_twin as bt

    panel, _ = simulate_panel(seed=3, years=tuple(range(2011, 2020)))
    coh = bt.assign_designation(panel, sizes=(3, 3, 3), noise=0.0)
    bb13 = panel[panel["year"] == 2013].set_index("code")["broadband_per100"]
    top = bb13.sort_values(ascending=False).index
    assert (coh.loc[top[:3]] == 2014).all() and (coh.loc[top[3:6]] == 2015).all()
    assert coh.value_counts().to_dict() == {0: 12, 2014: 3, 2015: 3, 2016: 3}


# --- chain synergy as an outcome (a constructed panel) -------------------------------------------

def _designed_panel(n=60, boost=1.0, seed=7):
    """A constructed national panel, 2011-2019: employment in the 19 industries, cohorts 2014,
    2015, 2016 (a quarter each) and never; after designation a treated city's manufacturing and
    the industries trading most with it (transport, wholesale and retail) grow by ``boost``."""
    from helpers.analysis.national import CHAIN_INDUSTRIES

    rng = np.random.default_rng(seed)
    cohorts = np.array([2014, 2015, 2016, 0])[np.arange(n) % 4]
    base = rng.lognormal(0.0, 0.6, size=(n, len(CHAIN_INDUSTRIES)))
    linked = [CHAIN_INDUSTRIES.index(k) for k in ("manufacturing", "transport", "wholesale_retail")]
    rows = []
    for i in range(n):
        for t in range(2011, 2020):
            e = base[i] * np.exp(rng.normal(0, 0.03, size=len(CHAIN_INDUSTRIES)) + 0.02 * (t - 2011))
            if cohorts[i] and t >= cohorts[i]:
                e[linked] *= 1 + boost
            r = {"city": f"c{i}", "code": 110100 + 100 * i, "province": f"P{i % 5}", "year": t,
                 "population": 100.0, "gdp": 1e3, "loans": 500.0, "broadband_users_10k_hh": 20.0,
                 "mobile_users_10k_hh": 80.0,
                 "broadband_china_cohort": cohorts[i] if cohorts[i] else np.nan,
                 "broadband_china_city_cohort": cohorts[i] if cohorts[i] else np.nan,
                 "broadband_china_entity": "city" if cohorts[i] else None,
                 "broadband_china_single_source": 0}
            r.update({f"emp_{k}": v for k, v in zip(CHAIN_INDUSTRIES, e, strict=True)})
            if t == 2019:
                r["emp_agriculture"] = np.nan       # as in the yearbook's data year 2019
            r["employment_nonagri"] = float(e[1:].sum())
            rows.append(r)
    return pd.DataFrame(rows)


def test_chain_synergy_is_a_synergy_outcome_with_a_finite_att():
    from helpers.analysis.national import chain_measures

    assert bb.OUTCOMES["chain_coagg"][1] == "synergy"
    panel = _designed_panel()
    frame = bb.design_frame(panel)
    ref = chain_measures(panel)["chain_coagg"]
    assert np.allclose(frame["chain_coagg"], ref, equal_nan=True)
    assert frame.loc[frame["year"] == 2019, "chain_coagg"].isna().all()   # agriculture unpublished
    table, fits = bb.effects_table(frame, samples={"2011-2019": (2011, 2019)})
    row = table.set_index("outcome").loc["chain_coagg"]
    assert row["link"] == "synergy" and row["years"] == "2011-2018"
    assert np.isfinite([row["att"], row["lower"], row["upper"], row["pretrend_p"]]).all()
    assert row["treated"] == 45 and row["entities"] == 60
    # the package's ATT equals the closed form on the same balanced panel
    sub = bb.sample(frame, (2011, 2019))
    assert row["att"] == pytest.approx(bb.cs_simple_att(*bb._wide(sub, "chain_coagg")), abs=1e-10)
    # concentrating treated cities' jobs in linked industries raises chain synergy
    assert row["lower"] > 0
    none = bb.effects_table(bb.design_frame(_designed_panel(boost=0.0)), outcomes=["chain_coagg"],
                            samples={"2011-2019": (2011, 2019)})[0].iloc[0]
    assert abs(none["att"]) < row["att"] / 10
    assert ("chain_coagg", "2011-2019") in fits


def test_closing_note_repeats_no_earlier_sentence_and_quotes_the_same_numbers():
    effects = pd.DataFrame([
        {"link": "first stage", "label": "broadband", "sample": "s", "outcome": "broadband_per100",
         "att": 1.0, "lower": 0.2, "upper": 2.0, "pretrend_p": 0.5},
        {"link": "first stage", "label": "mobile", "sample": "s", "outcome": "mobile_per100",
         "att": 0.5, "lower": -0.1, "upper": 1.1, "pretrend_p": 0.4}])
    ri = [{"outcome": "broadband_per100", "n_placebo": 99, "cohort_sizes": {2014: 3},
           "att": 1.0, "rank": 2, "p": 0.02}]
    lines = bs.closing_note(effects, ri, "s")
    earlier = [bs.first_stage_sentence(effects, "s"), bs.ri_sentence(ri[0])]
    assert not set(lines) & set(earlier)
    assert lines[0].startswith("First stage (s): 1 of 2 ")
    assert "p = 0.020" in lines[-1] and "99 placebo" in lines[-1] and "p = 0.020" in earlier[1]


def test_effect_brief_quotes_the_full_sentences_numbers():
    row = pd.Series({"outcome": "chain_coagg", "sample": "2011-2019", "years": "2011-2018",
                     "treated": 92, "entities": 248, "att": 0.0021, "lower": -0.016, "upper": 0.020,
                     "pretrend_p": 0.296, "pretrend_df": 4})
    full, brief = bs.effect_sentence(row), bs.effect_brief(row)
    assert brief not in full and len(brief) < len(full)
    for number in ("0.002", "-0.016 to 0.020", "p = 0.296"):
        assert number in full and number in brief


def test_missing_pku_index_note_names_the_file_not_its_path(tmp_path):
    # issue 23: the note is printed on the page; a machine path is a build detail
    pku, note = bb.pku_national(tmp_path / "nowhere" / "PKU_DFIIC_city.dta")
    assert pku is None and "PKU_DFIIC_city.dta" in note and str(tmp_path) not in note
