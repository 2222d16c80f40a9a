"""The estimate registry: every estimate the book reports, defined once (base layer: no imports).

Each :class:`Estimate` names a row of the estimate tables by its key and says what it is:

- ``quantity``: the row's label in :func:`helpers.analysis.report.estimates_table` (and the
  studies' extra rows); ``{rest}`` is filled with the name of the cities outside the Delta;
- ``label``: the short name of figures and design tables (None: the key itself is shown);
- ``unit``: the scale of the number;
- ``effect``: the row of the twin's ``TwinTruth.effects`` it is set beside
  (:func:`helpers.analysis.report.compare_to_truth`), or None;
- ``truth`` and ``truth_note``: the estimand-matched truth in :mod:`helpers.simulate.estimands`
  (its name and what it is), or None;
- ``hypothesis``: the hypothesis (H1-H5) whose verdict reads it, or None.

:data:`helpers.analysis.report.TRUTH_FOR`, :data:`helpers.simulate.estimands.TRUTH_FOR`,
:data:`helpers.studies.EXTRA_ROWS` labels and :data:`helpers.studies.power.ESTIMATE_LABELS` are
derived from :data:`ESTIMATES` (the order is the estimand table's).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Standardised units: SD of the outcome construct per SD of the regressor.
SD = "SD per SD (standardised constructs)"


@dataclass(frozen=True)
class Estimate:
    key: str
    quantity: str
    label: str | None = None
    unit: str = SD
    effect: str | None = None
    truth: str | None = None
    truth_note: str = ""
    hypothesis: str | None = None


_ROWS = [
    Estimate("total", "total effect c (two-way FE)", "total effect c (two-way FE)", effect="total", truth="c",
             truth_note="FE slope of synergy on VA: variance-weighted own-city marginal effect", hypothesis="H1"),
    # no truth: the twin is static, so lagged VA has no causal estimand of its own (scoring it
    # against the contemporaneous c, as before, measured nothing it estimates; issue 22)
    Estimate("total_lag", "total effect, lagged VA", "total effect, lagged VA", effect="total"),
    Estimate("total_topsis", "total effect, TOPSIS index", "total effect, TOPSIS index", effect="total",
             truth="c_topsis", truth_note="as c, regressor the TOPSIS index"),
    Estimate("total_iv", "total effect (2SLS, instrument)", "total effect (2SLS)", effect="total", truth="c_iv",
             truth_note="2SLS: instrument-weighted (z~ x~) own-city marginal effect"),
    Estimate("prd", "total effect, Pearl River Delta cities", "total effect, PRD cities", effect="total_prd",
             truth="c_prd", truth_note="FE slope within Pearl River Delta cities"),
    Estimate("rest", "total effect, {rest}", "total effect, cities outside the PRD", effect="total_rest",
             truth="c_rest",
             truth_note="FE slope within the cities outside the Pearl River Delta (East, West and North in Guangdong)"),
    Estimate("prd_gap", "difference PRD - rest (pooled interaction)", "PRD - rest difference", truth="c_gap",
             truth_note="c_prd - c_rest"),
    Estimate("a_flows", "VA -> flows (a1)", "VA -> flows (a1)", effect="a_flows", truth="a1",
             truth_note="FE slope of flow position on VA"),
    Estimate("direct", "direct effect c'", "direct effect c'", effect="direct", truth="c_prime",
             truth_note="VA -> synergy holding flows and agglomeration"),
    Estimate("via_flows", "indirect via flows (a1 b1)", "indirect via flows (a1 b1)", effect="via_flows",
             truth="a1b1", truth_note="a1 x b1 (b1: flows -> synergy holding VA and agglomeration)",
             hypothesis="H2"),
    Estimate("via_agglomeration", "indirect via agglomeration (a2 b2)", "indirect via agglomeration (a2 b2)",
             effect="via_agglomeration", truth="a2b2", truth_note="a2 x b2 (a2: VA -> agglomeration holding flows)",
             hypothesis="H3"),
    Estimate("serial", "serial VA -> flows -> agglomeration (a1 d21 b2)", "serial via flows and agglomeration",
             effect="serial", truth="a1d21b2", truth_note="a1 x d21 x b2", hypothesis="H3"),
    Estimate("med_flows", "simple mediation ab, flows (composite)", "mediation via flows (ab)", truth="ab_flows",
             truth_note="simple mediation: a (VA -> flows) x b (flows -> synergy holding VA)"),
    Estimate("med_talent", "simple mediation ab, talent flows", "mediation via talent flows", truth="ab_talent",
             truth_note="simple mediation through talent flows"),
    Estimate("med_capital", "simple mediation ab, capital flows", "mediation via capital flows",
             truth="ab_capital", truth_note="simple mediation through capital flows"),
    Estimate("med_technology", "simple mediation ab, technology flows", "mediation via technology flows",
             truth="ab_technology", truth_note="simple mediation through technology flows"),
    Estimate("med_agglomeration", "simple mediation ab, agglomeration", "mediation via agglomeration",
             truth="ab_agglomeration", truth_note="simple mediation: a (VA -> agglomeration) x b"),
    Estimate("sdm_direct", "SDM direct effect", "SDM direct effect", effect="total", truth="c",
             truth_note="SDM direct effect: own-city effect including spatial feedback"),
    Estimate("spillover", "SDM indirect (spillover) effect", "SDM spillover (indirect) effect", effect="spillover",
             truth="spillover", truth_note="SDM indirect effect: change in all other cities' synergy",
             hypothesis="H5"),
    Estimate("threshold_low", "direct slope below the threshold", "direct slope below the threshold",
             truth="c_prime_below",
             truth_note="direct slope (flows and agglomeration held) below the true threshold", hypothesis="H4"),
    Estimate("threshold_high", "direct slope above the threshold", "direct slope above the threshold",
             truth="c_prime_above",
             truth_note="direct slope (flows and agglomeration held) above the true threshold", hypothesis="H4"),
    Estimate("productivity_synergy", "productivity on synergy (holding agglomeration)", truth="pi_S",
             truth_note="productivity on synergy (holding agglomeration)"),
    Estimate("productivity_agglomeration", "productivity on agglomeration (holding synergy)", truth="pi_A",
             truth_note="productivity on agglomeration (holding synergy)"),
    Estimate("competitiveness_synergy", "competitiveness on synergy (holding productivity)", truth="kappa_S",
             truth_note="competitiveness on synergy (holding productivity)"),
    Estimate("competitiveness_productivity", "competitiveness on productivity (holding synergy)", truth="kappa_P",
             truth_note="competitiveness on productivity (holding synergy)"),
    Estimate("alpha_E", "network externality: exposure to nearby participation (logit scale)",
             "network externality (exposure, alpha_E)", unit="logit of platform participation per unit exposure"),
]

#: Key -> :class:`Estimate`, in the order of the estimand tables.
ESTIMATES: dict[str, Estimate] = {e.key: e for e in _ROWS}


def quantity(key: str, **names) -> str:
    """The row label of estimate ``key``, its placeholders filled from ``names``.

    >>> quantity("rest", rest="East, West and North cities")
    'total effect, East, West and North cities'
    """
    return ESTIMATES[key].quantity.format(**names)


def truths_for() -> dict[str, tuple[str, str]]:
    """Estimate key -> (estimand-matched truth, note), for every estimate that has one."""
    return {k: (e.truth, e.truth_note) for k, e in ESTIMATES.items() if e.truth}


def effects_for() -> dict[str, str]:
    """Estimate key -> row of the twin's true effects it is compared with."""
    return {k: e.effect for k, e in ESTIMATES.items() if e.effect}


def labels() -> dict[str, str]:
    """Estimate key -> short label, for every estimate that has one."""
    return {k: e.label for k, e in ESTIMATES.items() if e.label}
