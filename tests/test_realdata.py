"""Real-data constructs: closed forms, second implementations, and both PKU paths."""


import networkx as nx
import numpy as np
import pandas as pd
import pytest

from helpers import data, measure
from helpers.analysis import realdata
from helpers.book import narrative, plots
from helpers.measure import network


@pytest.fixture(scope="module")
def constructs():
    return realdata.real_constructs()


def test_population_is_exact_at_the_censuses_and_geometric_between():
    pop = realdata.interpolated_population([2010, 2015, 2020]).set_index(["city", "year"])["population"]
    reg = data.city_table()
    assert pop.xs(2020, level="year").sum() * 1e4 == pytest.approx(126_012_510)
    assert np.allclose(pop.xs(2010, level="year")[reg.index] * 1e4, reg["pop_2010"])
    mid = np.sqrt(reg["pop_2010"] * reg["pop_2020"]) / 1e4           # geometric mean = 2015
    assert np.allclose(pop.xs(2015, level="year")[reg.index], mid)


def test_location_quotient_has_value_added_weighted_mean_one(constructs):
    c = constructs.assign(v=constructs[["va_primary", "va_secondary", "va_tertiary"]].sum(axis=1))
    # sum_i LQ_i V_i / sum_i V_i = 1 each year (the province is the benchmark)
    w = (c["lq_secondary"] * c["v"]).groupby(c["year"]).sum() / c["v"].groupby(c["year"]).sum()
    assert np.allclose(w, 1.0)
    # and it equals helpers.measure.location_quotient on the same table
    y = c[c.year == 2020].set_index("city")
    lq = measure.location_quotient(y[["va_primary", "va_secondary", "va_tertiary"]])
    assert np.allclose(lq["va_secondary"], y["lq_secondary"])


def test_synergy_is_the_two_subsystem_closed_form(constructs):
    ph = pd.DataFrame({"s": constructs["va_secondary"] / constructs["population"],
                       "t": constructs["va_tertiary"] / constructs["population"]})
    u = 0.002 + 0.998 * (ph - ph.min()) / (ph.max() - ph.min())
    C = 2 * np.sqrt(u["s"] * u["t"]) / (u["s"] + u["t"])
    D = np.sqrt(C * (u["s"] + u["t"]) / 2)
    assert np.allclose(constructs["synergy"], D)
    assert constructs["synergy"].between(0, 1).all()


def test_theil_decomposes_and_matches_a_direct_computation(constructs):
    th = realdata.regional_theil(constructs)
    assert np.allclose(th["between"] + th["within"], th["total"])
    g = constructs[constructs.year == 2016]
    y, p = g["gdp_per_head"].to_numpy(), g["population"].to_numpy()
    s, q = y * p / (y * p).sum(), p / p.sum()
    assert th.at[2016, "total"] == pytest.approx(np.sum(s * np.log(s / q)))


def test_network_density_matches_networkx(constructs):
    nets = realdata.network_by_year(constructs)
    g = constructs[constructs.year == 2019]
    dist = data.distance_matrix()
    m = g.set_index("city")["loans"][dist.index]
    A = network.binarize(network.gravity_flows(m, dist, b=2.0))
    G = nx.from_numpy_array(np.asarray(A, dtype=float), create_using=nx.DiGraph)
    row = nets[(nets.network == "capital") & (nets.year == 2019)].iloc[0]
    assert row["density"] == pytest.approx(nx.density(G))


def test_missing_pku_file_is_reported_not_invented(tmp_path):
    df, note = realdata.pku_index(tmp_path / "nowhere.dta")
    assert df is None
    assert "not found" in note and "Institute of Digital Finance" in note and "Guo" in note
    bad = tmp_path / "broken.csv"
    bad.write_text("year,city\n2011,x\n")
    df, note = realdata.pku_index(bad)
    assert df is None and "could not be read" in note


def test_mechanism_without_pku_shows_the_pku_tests_as_unavailable(constructs):
    W = data.inverse_distance_weights(power=2.0)
    m = realdata.real_mechanism(constructs, W, n_boot=19, threshold_boot=0)
    t = m.table
    pku_rows = [k for k, (_, _, needs) in realdata.TESTS.items() if needs]
    assert t.loc[pku_rows, "estimate"].isna().all()
    assert t.loc[pku_rows, "verdict"].str.startswith("unavailable").all()
    free = t.drop(pku_rows)
    assert free["estimate"].notna().all()
    _check_verdicts(free)
    text = " ".join(narrative.headline_sentences(constructs, realdata.regional_theil(constructs),
                                                realdata.network_by_year(constructs), m))
    assert "need the PKU index" in text


def _check_verdicts(t):
    for _, r in t.iterrows():
        if np.isfinite(r["ci_low"]):
            exp = ("supported" if r["ci_low"] > 0 else "contradicted" if r["ci_high"] < 0 else "inconclusive")
            assert r["verdict"] == exp


@pytest.mark.realdata
def test_mechanism_with_the_real_pku_index(realdata):
    from helpers.analysis import realdata as rd

    pku, note = rd.pku_index(realdata / "pku_dfiic_city" / "PKU_DFIIC_city.dta")
    assert pku is not None and len(pku) == 273, note
    c = rd.real_constructs(pku=pku)
    assert c["va_index"].notna().all()
    # PKU values are read, not altered: the CSV extract beside the .dta agrees
    csv = pd.read_csv(realdata / "pku_dfiic_city" / "PKU_DFIIC_guangdong21_2011_2023.csv")
    csv["code"] = csv["pref_code_year14"] * 100
    merged = c.merge(csv, on=["code", "year"])
    assert np.allclose(merged["va_index"], merged["index_aggregate"])
    m = rd.real_mechanism(c, data.inverse_distance_weights(power=2.0), n_boot=49, threshold_boot=19)
    assert m.pku_available and m.table["estimate"].notna().all()
    _check_verdicts(m.table)
    # the twin's power sits beside the real verdicts, by hypothesis
    det = pd.DataFrame({"supported": [0.9, 0.2, 0.3, 0.1, 0.5]}, index=["H1", "H2", "H3", "H4", "H5"])
    p = rd.with_twin_power(m, det)
    assert p.at["H1", "twin power"] == 0.9 and np.isnan(p.at["b_flows", "twin power"])
    sentences = narrative.headline_sentences(c, rd.regional_theil(c), rd.network_by_year(c), m, p)
    assert any("90% of studies" in s for s in sentences)
    assert all("simulated studies" not in s for s in sentences)   # n_reps not given


def test_real_figures_carry_no_simulated_stamp(constructs):
    import matplotlib

    matplotlib.use("Agg")

    fig = plots.plot_over_time(realdata.regional_theil(constructs)[["between", "within"]],
                                  ylabel="Theil T")
    texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    assert not any("SIMULATED" in t for t in texts)
    assert any("official" in t.lower() for t in texts)   # it names its source instead
    fig2 = plots.city_map(constructs[constructs.year == 2023].set_index("city")["synergy"], simulated=False)
    assert not any("SIMULATED" in t.get_text() for t in fig2.findobj(matplotlib.text.Text))


def test_chapter_runs_without_the_pku_index(root, tmp_path):
    # the real-data chapter never fails for a missing PKU file: it says where to get it
    import subprocess
    import sys

    import nbformat

    profile = tmp_path / "p.yml"
    profile.write_text("timeout: 600\ndefaults: {seed: 1}\nchapters:\n  06_real_guangdong:\n"
                       f"    pku_path: '{tmp_path / 'no_such_pku.dta'}'\n    n_boot: 19\n    threshold_boot: 0\n"
                       "    wild_boot: 19\n    curve_samples: ['all years']\n")
    r = subprocess.run([sys.executable, str(root / "tools" / "execute_chapters.py"), "--profile", str(profile),
                        "--out", str(tmp_path), str(root / "chapters" / "06_real_guangdong.ipynb")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    nb = nbformat.read(tmp_path / "06_real_guangdong.ipynb", as_version=4)
    text = "".join(str(o.get("data", {}).get("text/markdown", "")) + str(o.get("data", {}).get("text/plain", ""))
                   for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", []))
    assert "Not available in this run" in text and "Institute of Digital Finance" in text
    assert "unavailable (needs the PKU index)" in text
    assert "Theil index went from" in text          # the parts that need no PKU are shown


def test_headline_key_numbers_print_every_decimal_the_headline_quotes(constructs):
    # issue 23: a finding quotes only numbers an exhibit of its page prints (tbl-6-key)
    import re

    from helpers.book.tables import number

    th, nets = realdata.regional_theil(constructs), realdata.network_by_year(constructs)
    key = narrative.headline_key_numbers(constructs, th, nets)
    text = " ".join(narrative.headline_sentences(constructs, th, nets))
    quoted = re.findall(r"(?<![\w.])-?\d+\.\d+", text)
    assert len(quoted) >= 15
    for q in quoted:
        d = len(q.split(".")[1])
        assert q in {number(v, d) for v in key}, q
    y1 = int(th.index.max())
    last = constructs[constructs["year"] == y1]
    assert key[f"coupling coordination, mean over the cities, {y1}"] == pytest.approx(last["synergy"].mean())
    assert key[f"Theil index of GDP per head, {y1}"] == th.at[y1, "total"]
