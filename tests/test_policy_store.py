"""The Policy chapter's stored runs (helpers.scenarios.policy): a stored study reads back exactly
as a live one (objects, tables, sentences and figures), other settings and damaged cells are
refused naming the command or the file, and changed analysis code is a note."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
import yaml

from helpers import scenarios
from helpers.scenarios import policy
from helpers.studies.store import StoreError

matplotlib.use("Agg")
ROOT = Path(__file__).resolve().parents[1]

# two Monte Carlo worlds (defaults for the subsidies, phi + 0.2 for the platform), a lever without one
TINY = {"scenario_names": ["subsidy", "subsidy_3y", "platform", "talent"], "n_draws": 2, "twin_seeds": [20261122, 1],
        "budget_seeds": [20261122], "budget_draws": 1, "n_frontier": 3, "detect_reps": 2, "detect_boot": 9,
        "detect_threshold_boot": 5}


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    out = tmp_path_factory.mktemp("policy")
    return out, policy.run(out, TINY, n_jobs=1)


@pytest.fixture(scope="module")
def live():
    return policy.live(TINY, n_jobs=1)


def _copy(src: Path, out: Path) -> Path:
    out.mkdir()
    for p in src.iterdir():
        (out / p.name).write_bytes(p.read_bytes())
    return out


def test_run_writes_every_part_with_hashes_and_provenance(stored):
    out, computed = stored
    assert computed == list(policy.PARTS)
    cells = sorted(p.name for p in out.glob("*.parquet"))
    assert cells == sorted(f"{p}-{t}.parquet" for p, ts in policy.PARTS.items() for t in ts)
    assert sorted(line.split()[1] for line in (out / "SHA256SUMS").read_text().splitlines()) == cells
    log = policy.study_log(out)
    assert log["settings"] == policy._settings(TINY) and log["runs"][-1]["parts_computed"] == computed
    assert "make policy" in (out / "PROVENANCE.md").read_text()


def test_stored_equals_live(stored, live):
    st = policy.load(stored[0], TINY)
    assert st.notes == [] and st.source == str(stored[0]) and live.source == "live"
    eq = pd.testing.assert_frame_equal
    for name in ("draws", "effects", "bands", "robustness", "parameters"):
        eq(getattr(st.uncertainty, name), getattr(live.uncertainty, name), check_exact=True)
    assert st.uncertainty.seeds == live.uncertainty.seeds == (20261122, 1)
    assert list(st.uncertainty.scenarios) == list(live.uncertainty.scenarios) == ["baseline"] + TINY["scenario_names"]
    for name in ("allocations", "gains", "outcomes", "frontier"):
        eq(getattr(st.budget, name), getattr(live.budget, name), check_exact=True)
    assert (st.budget.budget, st.budget.budget_boost) == (live.budget.budget, live.budget.budget_boost)
    eq(st.distribution.runs, live.distribution.runs, check_exact=True)
    eq(st.distribution.parameters, live.distribution.parameters, check_exact=True)
    assert st.distribution.seeds == live.distribution.seeds
    eq(st.detect, live.detect, check_exact=True)
    assert st.detect.attrs == live.detect.attrs
    assert live.provenance() == ("These SIMULATED runs were computed as this page was built: 2 parameter draws x 2 "
                                 "twin seeds for the scenario bands, the budget optimiser on one twin (3 frontier "
                                 "points) and on 1 twin seed x (defaults + 1 draw), and 2 Monte Carlo twins per "
                                 "detectability world (9 bootstrap replications in each).")


def _chapter_outputs(study, contraction, after) -> dict:
    """What chapter 07 shows from the study: its tables and sentences as text, its figures as pixels."""
    from helpers.book import narrative, scenario_plots
    from helpers.book import scenario_sentences as ss

    res, budget, dist, det = study.uncertainty, study.budget, study.distribution, study.detect
    rob = res.robustness
    text = {"outcomes": ss.outcome_table(res).to_string(), "real": ss.real_units_table(res).to_string(),
            "ratio": ss.budget_distribution_table(dist).to_string(), "detect": det.to_string(),
            "allocations": budget.allocations.to_string(),
            "sentences": [*ss.robustness_sentences(res), *ss.tradeoff_sentences(res), ss.real_units_sentence(res),
                          ss.tipping_sentence(res, contraction), *ss.budget_sentences(budget),
                          *ss.budget_distribution_sentences(dist), *ss.detectability_sentences(det, res.horizon),
                          narrative.scenario_ranking_sentence(rob.xs("mean_SY", level="measure"),
                                                              rob.xs("gap_SY", level="measure"), res.horizon),
                          ss.policy_closing_sentence(res, dist, contraction, after)]}
    figures = [scenario_plots.fan_chart(res, scenarios=TINY["scenario_names"], from_year=2023),
               scenario_plots.frontier_plot(budget), scenario_plots.budget_ratio_plot(dist),
               scenario_plots.gain_maps(budget)]
    for i, fig in enumerate(figures):
        fig.canvas.draw()
        text[f"figure {i}"] = np.asarray(fig.canvas.buffer_rgba()).tobytes()
        matplotlib.pyplot.close(fig)
    return text


def test_chapter_tables_sentences_and_figures_are_identical(stored, live):
    ext = scenarios.extend_twin()
    contraction = scenarios.contraction_modulus(ext)
    after = scenarios.after_effect([0.0, 0.5], scenarios.default_scenarios()["subsidy_3y"])
    a = _chapter_outputs(policy.load(stored[0], TINY), contraction, after)
    b = _chapter_outputs(live, contraction, after)
    assert a.keys() == b.keys()
    for key in a:
        assert a[key] == b[key], key
    assert len(a["sentences"]) > 8 and not any(re.search(r"\bnan\b", s) for s in a["sentences"])


def test_rows_are_the_runs_the_result_summarises(live):
    """Second implementations from the raw rows: counts, budget shares, gains and Monte Carlo power."""
    res, s = live.uncertainty, policy._settings(TINY)
    years = res.horizon - policy.FROM_YEAR + 1
    assert len(res.draws) == s["n_draws"] * len(s["twin_seeds"]) * 5 * years * len(scenarios.MEASURES)
    assert (res.effects.loc[res.effects["scenario"] == "baseline", "value"] == 0).all()
    b = live.budget
    st = scenarios.extend_twin().st
    spent = (b.allocations * st.pop[st.years.index(2025)][:, None]).sum()     # boost x residents, start year
    assert np.allclose(spent, b.budget) and np.isclose(b.budget, 0.5 * st.pop[st.years.index(2025)].sum())
    assert np.allclose(b.outcomes["synergy"], b.gains.sum()) and len(b.frontier) == s["n_frontier"]
    assert list(b.frontier["gap_cut"].iloc[[0, -1]]) == list(b.outcomes.loc[["max_synergy", "max_gap_cut"], "gap_cut"])
    assert len(live.distribution.runs) == len(s["budget_seeds"]) * (s["budget_draws"] + 1) * len(scenarios.WEIGHTINGS)
    rows = policy.compute_part("detect", TINY)
    v = rows["verdicts"]
    for name, r in live.detect.iterrows():
        if r["hypothesis"] is None:
            assert np.isnan(r["power"]) and name == "talent"
            continue
        world = rows["scenarios"].set_index("scenario").at[name, "world"]
        mine = v[(v["world"] == world) & (v["hypothesis"] == r["hypothesis"])]
        assert len(mine) == s["detect_reps"] and r["power"] == (mine["verdict"] == "supported").mean()
    assert rows["scenarios"].set_index("scenario").at["platform", "world"] == json.dumps({"phi": 0.8})


def test_other_settings_are_refused_naming_the_command(stored, tmp_path):
    out, _ = stored
    assert policy.run(out, TINY, n_jobs=1) == []
    with pytest.raises(policy.StalePolicyError, match="make policy") as e:
        policy.load(out, {**TINY, "n_draws": 3})
    msg = str(e.value)
    assert "uncertainty-draws.parquet" in msg and "--n-draws 3" in msg and 'policy_source = "live"' in msg
    with pytest.raises(policy.StalePolicyError, match="uncertainty-draws.parquet .*--scenario-names subsidy platform --"):
        policy.load(out, {**TINY, "scenario_names": ["subsidy", "platform"]})   # another lever set
    with pytest.raises(policy.StalePolicyError, match="budget-points.parquet .* --n-frontier 4"):
        policy.load(out, {**TINY, "n_frontier": 4})
    with pytest.raises(policy.StalePolicyError, match="no cell .* `make policy`") as e:
        policy.load(tmp_path / "empty")
    assert "POLICY_ARGS" not in str(e.value)    # the book's settings: the plain command stores them
    # the command line stores the same settings as the dict (so it finds the cells up to date)
    args = []
    for k, v in TINY.items():
        args += [f"--{k.replace('_', '-')}", *map(str, v if isinstance(v, list) else [v])]
    assert policy.main(["run", "--out", str(out), "--n-jobs", "1", *args]) == 0
    assert len(policy.study_log(out)["runs"]) == 1


def test_damaged_cell_is_refused_by_name(stored, tmp_path):
    out = _copy(stored[0], tmp_path / "copy")
    cell = out / "budget-points.parquet"
    data = bytearray(cell.read_bytes())
    data[len(data) // 3] ^= 0x01
    cell.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="budget-points.parquet is damaged"):
        policy.load(out, TINY)
    assert policy.run(out, TINY, n_jobs=1) == ["budget"]   # only the damaged part
    assert policy.load(out, TINY).notes == []


def test_changed_analysis_code_is_a_note(stored, tmp_path, monkeypatch):
    out = _copy(stored[0], tmp_path / "copy")
    assert "analysis code has changed" not in policy.load(out, TINY).provenance()
    monkeypatch.setattr(policy, "_digest", lambda: "0" * 16)
    st = policy.load(out, TINY)
    assert st.notes == [f"{p}: the analysis code changed since it was stored; `make policy` recomputes it"
                        for p in policy.PARTS]
    text = st.provenance()
    assert text.startswith(f"These SIMULATED runs are read from the stored study in `{out}`, computed by `make policy`")
    assert "analysis code has changed since the parts uncertainty, budget, distribution, detect" in text
    assert "2 parameter draws x 2 twin seeds" in text and "1 twin seed x (defaults + 1 draw)" in text


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="unknown settings"):
        policy.part_settings("budget", {"draws": 3})
    with pytest.raises(ValueError, match="twin_seeds must be a non-empty list"):
        policy.part_settings("uncertainty", {"twin_seeds": []})
    with pytest.raises(ValueError, match="detect_reps must be a whole number >= 1"):
        policy.part_settings("detect", {"detect_reps": 0})
    with pytest.raises(ValueError, match=r"unknown scenario name\(s\) in scenario_names: \['roll-out'\]"):
        policy.part_settings("detect", {"scenario_names": ["roll-out"]})
    with pytest.raises(ValueError, match="budget_boost must be a positive number"):
        policy.part_settings("budget", {"budget_boost": -1})
    with pytest.raises(ValueError, match="source must be"):
        policy.study("cache", TINY)


def _chapter_parameters(profile: str) -> dict:
    """Chapter 07's parameters under a profile: its parameters cell, then the profile's values."""
    nb = json.loads((ROOT / "chapters" / "07_policy.ipynb").read_text())
    cell = next(c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    params = {n.targets[0].id: ast.literal_eval(n.value) for n in ast.parse("".join(cell["source"])).body}
    prof = yaml.safe_load((ROOT / "profiles" / profile).read_text())
    return {**params, **{k: v for k, v in prof.get("defaults", {}).items() if k in params},
            **prof["chapters"]["07_policy"]}


@pytest.mark.parametrize("profile", ["book.yml", "ci.yml"])
def test_both_profiles_read_the_stored_settings(profile):
    """The book and CI profiles read the settings ``make policy`` stores (the live path is
    checked above against the store on tiny settings)."""
    book = _chapter_parameters(profile)
    assert book["policy_source"] == "store"
    assert {k: book.get(k, policy.BOOK[k]) for k in policy.BOOK} == policy.BOOK
    assert set(policy.BOOK) - set(book) == {"detect_threshold_boot"}   # fixed in the chapter, as before


@pytest.mark.skipif(not (ROOT / "data" / "policy" / "study.json").is_file(), reason="no stored Policy study")
def test_the_repository_store_holds_the_book_settings():
    st = policy.load(ROOT / "data" / "policy")
    assert st.settings == policy.BOOK and len(st.uncertainty.draws["draw"].unique()) == policy.BOOK["n_draws"]
    assert st.provenance().startswith("These SIMULATED runs are read from the stored study in `data/policy`")
