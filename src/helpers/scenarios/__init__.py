r"""Policy scenarios on the structural model of the twin, with parameter uncertainty.

The seed papers close with recommendations: invest in the technologies of virtual
agglomeration and in R&D, improve factor-flow networks, integrate the Greater Bay Area and
narrow regional disparities. This module turns each into a *lever* of the structural model of
:mod:`helpers.simulate` and runs it forward to a horizon (2030 by default) with every shock
held fixed, so two scenarios differ only by their levers.

A scenario (:class:`Scenario`) is a named set of lever changes with a start year:

* ``rollout_speed`` / ``rollout_advance`` -- digital infrastructure outside the Delta: from the
  start year the logit of infrastructure D in the targeted cities rises at ``rollout_speed``
  per year instead of kappa_r (eq. 1), and ``rollout_advance`` years of diffusion are brought
  forward, phased in over ``ramp`` years. D enters participation (3) through alpha_D and the
  network size q (broadband per 100 people, q = 8 + 52 D + noise) that sets the synergy slope (6).
* ``phi_gain`` -- platform integration: phi rises by this amount from the start year (4), so
  joint participation lowers distance friction more.
* ``subsidy`` -- adoption subsidies: a boost (logit points) to the participation index of
  chosen cities for ``subsidy_years`` years. In the static twin participation is a unique
  fixed point each year whenever (alpha_N + alpha_E) / 4 < 1 (:mod:`~helpers.scenarios.contraction`),
  so a temporary subsidy cannot tip anything and leaves nothing once it ends; with
  ``persistence`` (:mod:`~helpers.scenarios.dynamics`) its after-effect decays geometrically.
* ``talent`` / ``rd`` -- talent and R&D: proportional rises of the talent and technology masses
  behind the gravity flows (4) in the targeted cities, phased in over ``ramp`` years.
* ``gba_border`` -- Greater Bay Area integration: Hong Kong and Macao join the factor-flow
  network as two extra nodes (real seat coordinates and populations, :data:`GBA_NODES`), and
  the friction across the boundary (an effective-distance factor on cross-boundary pairs)
  falls from ``border_sq`` (the status quo, a drawn parameter) to ``gba_border``.

**Shocks and history.**
The twin is one world on a long calendar (2000-2040, :data:`helpers.simulate.CALENDAR`), and
the extended twin is its window 2011 to the horizon, built by :func:`helpers.simulate._build_state`:
the twin's own years (2011-2023) reproduce :func:`helpers.simulate.simulate_panel` exactly, and the
years after 2023 are the same world's (logistic diffusion with each city's own midpoint, the
national trend, growth of the factor masses, linear year effects, the census population path,
with the calendar's own shocks); every scenario and every parameter draw uses the same shocks.

**Greater Bay Area.**
The twin is calibrated without Hong Kong and Macao, so its baseline flows already contain
today's cross-boundary exchange. The GBA lever therefore adds to each city's factor-flow
position FN the *change* in its log flows in the 23-node network when the boundary factor
falls: FN_i + [FN_i^{23}(gba_border) - FN_i^{23}(border_sq)]. The two nodes' participation
follows the population-weighted Delta mean; their development level is ``gba_dev``.

**Disparity.**
For each run and year: the Delta-rest gap of mean synergy and of mean log productivity
(unweighted city means, PRD minus the 12 other cities), and the population-weighted Theil T
index of labour productivity exp(P) across the 21 cities, split into within- and
between-region parts over the four regions (:func:`helpers.measure.theil`).

Every number here is SIMULATED.

References
----------
Wang, D., Peng, S. (seed paper); Wang, D., Xiong, H. (seed paper): recommendations.
Katz, M., Shapiro, C. (1985). Network externalities, competition, and compatibility. AER 75(3).
McCallum, J. (1995). National borders matter: Canada-U.S. regional trade patterns. AER 85(3).
Theil, H. (1967). Economics and Information Theory. North-Holland.

Modules
-------
:mod:`~helpers.scenarios.levers` (scenarios, parameter ranges, GBA nodes),
:mod:`~helpers.scenarios.runs` (the extended twin and one run),
:mod:`~helpers.scenarios.uncertainty` (disparity, parameter draws, bands),
:mod:`helpers.book.scenario_sentences` (tables and generated sentences, in the book layer),
:mod:`~helpers.scenarios.budget` (a fixed subsidy budget) and
:mod:`~helpers.scenarios.detection` (would a study see the policy),
:mod:`~helpers.scenarios.distributions` (the budget ratio over seeds and draws),
:mod:`~helpers.scenarios.real_units` (yuan and the coupling construct),
:mod:`~helpers.scenarios.contraction` (when participation can tip),
:mod:`~helpers.scenarios.dynamics` (adoption with persistence) and
:mod:`~helpers.scenarios.temporary` (what a temporary subsidy leaves); every public name is
re-exported here. :mod:`~helpers.scenarios.policy` stores the Policy chapter's runs (``make policy``) as
the raw rows of those functions (each has a ``*_rows`` and a ``summarise_*`` half).
"""

from __future__ import annotations

from .. import simulate as _sim  # noqa: F401  (chapter 7 reads scenarios._sim.TwinParams)
from .budget import BudgetResult, budget_allocation, budget_allocation_rows, summarise_budget
from .contraction import ContractionResult, contraction_modulus, global_modulus
from .detection import detectability, detectability_rows, summarise_detectability
from .distributions import (
    WEIGHTINGS,
    BudgetDistribution,
    budget_distribution,
    budget_distribution_rows,
    budget_ratio,
    summarise_budget_distribution,
)
from .dynamics import decay_rate
from .levers import (
                     EXTRA_DEFAULTS,
                     GBA_NODES,
                     HORIZON,
                     LEVER_MEANING,
                     PARAM_RANGES,
                     REAL_INSTRUMENTS,
                     VARIABLES,
                     Scenario,
                     default_scenarios,
                     lever_table,
)
from .real_units import REAL_MEASURES, gdp_levels, real_measures
from .runs import Extended, Paths, extend_twin, run_scenario, va_share
from .temporary import after_effect, tipping_search
from .uncertainty import (
    MEASURES,
    ScenarioResult,
    disparity,
    draw_parameters,
    run_uncertainty,
    summarise_uncertainty,
    uncertainty_rows,
)

__all__ = [
    "HORIZON", "VARIABLES", "GBA_NODES", "PARAM_RANGES", "EXTRA_DEFAULTS", "LEVER_MEANING", "MEASURES",
    "Scenario", "default_scenarios", "lever_table", "Extended", "extend_twin", "Paths",
    "run_scenario", "va_share", "disparity", "draw_parameters", "ScenarioResult", "run_uncertainty",
    "BudgetResult", "budget_allocation", "detectability",
    "ContractionResult", "contraction_modulus", "global_modulus", "tipping_search", "after_effect", "decay_rate",
    "WEIGHTINGS", "BudgetDistribution", "budget_distribution", "budget_ratio", "REAL_INSTRUMENTS",
    "REAL_MEASURES", "gdp_levels", "real_measures",
    "uncertainty_rows", "summarise_uncertainty", "budget_allocation_rows", "summarise_budget",
    "budget_distribution_rows", "summarise_budget_distribution", "detectability_rows", "summarise_detectability",
]
