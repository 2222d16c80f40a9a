"""The Policy chapter's simulated runs, stored and fingerprinted (SIMULATED).

The Policy chapter runs every scenario under parameter draws on several twin seeds
(:func:`~helpers.scenarios.run_uncertainty`), spends one subsidy budget on one twin
(:func:`~helpers.scenarios.budget_allocation`) and on a grid of seeds and draws
(:func:`~helpers.scenarios.budget_distribution`), and asks whether a study would see each
scenario (:func:`~helpers.scenarios.detectability`). Those runs took most of the chapter's build
time, so ``make policy`` computes them once into ``data/policy`` and the book profile reads them
back; the CI profile computes its tiny settings live through the same functions, so the code
path stays tested.

Each *part* keeps its raw rows (one row per run, draw, seed or twin: the ``*_rows`` functions of
the scenario modules) in Parquet cells of a :class:`helpers.studies.parts_store.PartsStore`: a
SHA-256 per cell, and in each cell's metadata the fingerprint of everything that defines its
rows (the chosen scenarios' definitions, seeds, draws and their ranges, horizon, start year,
budget, frontier points, Monte Carlo sizes, generator version) and the digest of the analysis
code (this module and every module it imports). Reading summarises the rows with the same
``summarise_*`` functions a live run uses, so a stored part gives exactly the objects of a live
run with its settings. Other settings are refused with the command that computes them; a change
of the analysis code since is reported as a note (``make policy`` recomputes such parts).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import numbers
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .._results import Result
from ..studies.parts_store import PartsStore, StaleStoreError
from .budget import BudgetResult, budget_allocation_rows, summarise_budget
from .detection import detectability_rows, summarise_detectability
from .distributions import (
    WEIGHTINGS,
    BudgetDistribution,
    budget_distribution_rows,
    summarise_budget_distribution,
)
from .levers import PARAM_RANGES, default_scenarios
from .runs import extend_twin
from .uncertainty import ScenarioResult, summarise_uncertainty, uncertainty_rows

#: Bumped when the stored rows change meaning (not for new numbers: those are fingerprinted).
POLICY_VERSION = "1"

#: The book's settings (the chapter's parameters under profiles/book.yml): what ``make policy`` stores.
BOOK = {"scenario_names": ["baseline", "rollout", "platform", "subsidy", "subsidy_3y", "talent", "gba", "combined"],
        "seed": 20261122, "start_year": 2025, "horizon": 2030, "n_draws": 20, "draw_seed": 0,
        "twin_seeds": [20261122, 1, 2, 3], "budget_seeds": [20261122, 1, 2, 3], "budget_draws": 4,
        "budget_boost": 0.5, "n_frontier": 6, "detect_reps": 10, "detect_boot": 99, "detect_threshold_boot": 19}

#: Settings the chapter does not vary (the functions' defaults), fingerprinted all the same.
FROM_YEAR, MAX_BOOST, FIRST_SEED = 2020, 4.0, 1

#: Parts of the study and the tables each keeps.
PARTS = {"uncertainty": ("draws", "parameters"), "budget": ("points",), "distribution": ("runs", "parameters"),
         "detect": ("scenarios", "verdicts", "comparisons", "measurement")}

#: The command that recomputes the store.
COMMAND = "make policy"


class StalePolicyError(StaleStoreError):
    """The stored Policy study is missing or was computed with other settings; names the command."""


def chosen_scenarios(names, start: int, horizon: int) -> dict:
    """The baseline and the named scenarios of :func:`default_scenarios`, in the order given."""
    every = default_scenarios(start=start, horizon=horizon)
    unknown = sorted(set(names) - set(every))
    if unknown:
        raise ValueError(f"unknown scenario name(s) in scenario_names: {unknown}; choose from {sorted(every)}")
    return {k: every[k] for k in ["baseline"] + [n for n in names if n != "baseline"]}


def _whole(v, low: int) -> bool:
    return not isinstance(v, bool) and isinstance(v, numbers.Real) and float(v).is_integer() and v >= low


def _settings(settings: dict | None) -> dict:
    """The settings with the book's as defaults, checked (an error names the culprit) and normalised."""
    s = {**BOOK, **dict(settings or {})}
    unknown = sorted(set(s) - set(BOOK))
    if unknown:
        raise ValueError(f"policy: unknown settings {unknown}; known: {sorted(BOOK)}")
    out = {}
    for k, v in s.items():
        if k == "scenario_names":
            if isinstance(v, str) or not all(isinstance(x, str) for x in v):
                raise ValueError(f"policy: scenario_names must be a list of names, got {v!r}")
            out[k] = list(v)
        elif k in ("twin_seeds", "budget_seeds"):
            if isinstance(v, str) or not len(v) or not all(_whole(x, 0) for x in v):
                raise ValueError(f"policy: {k} must be a non-empty list of whole numbers >= 0, got {v!r}")
            out[k] = [int(x) for x in v]
        elif k == "budget_boost":
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v) or v <= 0:
                raise ValueError(f"policy: budget_boost must be a positive number, got {v!r}")
            out[k] = float(v)
        else:
            low = 0 if k in ("seed", "draw_seed") else 1
            if not _whole(v, low):
                raise ValueError(f"policy: {k} must be a whole number >= {low}, got {v!r}")
            out[k] = int(v)
    if out["start_year"] > out["horizon"]:
        raise ValueError(f"policy: start_year {out['start_year']} is after the horizon {out['horizon']}")
    chosen_scenarios(out["scenario_names"], out["start_year"], out["horizon"])   # names known
    return out


def part_settings(part: str, settings: dict | None = None) -> dict:
    """Everything that defines one part's stored rows (its fingerprint is a hash of this)."""
    from ..simulate import GENERATOR_VERSION

    s = _settings(settings)
    base = {"part": part, "generator": GENERATOR_VERSION, "version": POLICY_VERSION}
    scenarios = [dataclasses.asdict(v) for v in chosen_scenarios(s["scenario_names"], s["start_year"],
                                                                  s["horizon"]).values()]   # a list: order kept
    ranges = {k: [r.low, r.high] for k, r in PARAM_RANGES.iterrows()}
    if part == "uncertainty":
        return {**base, "scenarios": scenarios, "n_draws": s["n_draws"], "draw_seed": s["draw_seed"],
                "seeds": s["twin_seeds"], "horizon": s["horizon"], "from_year": FROM_YEAR, "ranges": ranges}
    if part == "budget":
        return {**base, "seed": s["seed"], "horizon": s["horizon"], "budget_boost": s["budget_boost"],
                "start": s["start_year"], "max_boost": MAX_BOOST, "n_frontier": s["n_frontier"]}
    if part == "distribution":
        return {**base, "seeds": s["budget_seeds"], "n_draws": s["budget_draws"], "draw_seed": s["draw_seed"],
                "weightings": list(WEIGHTINGS), "budget_boost": s["budget_boost"], "start": s["start_year"],
                "horizon": s["horizon"], "max_boost": MAX_BOOST, "ranges": ranges}
    if part == "detect":
        return {**base, "scenarios": scenarios, "n_reps": s["detect_reps"], "seed": s["seed"], "horizon": s["horizon"],
                "n_boot": s["detect_boot"], "threshold_boot": s["detect_threshold_boot"], "first_seed": FIRST_SEED}
    raise ValueError(f"policy: unknown part {part!r}; parts: {list(PARTS)}")


#: The store: data/policy, its parts and how their settings are fingerprinted and recorded.
STORE = PartsStore(name="policy", command=COMMAND, module="helpers.scenarios.policy", label="Policy study",
                   title="Policy chapter: stored scenario runs (SIMULATED)",
                   what="the Policy chapter's scenario runs, budget optimisations and detectability twins (SIMULATED)",
                   holds="the raw rows of one part (one per run, draw, seed or twin)", parts=PARTS,
                   part_settings=part_settings, settings=_settings, version=POLICY_VERSION, error=StalePolicyError)


def compute_part(part: str, settings: dict | None = None, *, n_jobs: int = 1) -> dict:
    """One part's raw rows, computed now: ``{table: DataFrame}`` (:data:`PARTS`)."""
    s = _settings(settings)
    chosen = chosen_scenarios(s["scenario_names"], s["start_year"], s["horizon"])
    if part == "uncertainty":
        return uncertainty_rows(chosen, s["n_draws"], draw_seed=s["draw_seed"], horizon=s["horizon"],
                                from_year=FROM_YEAR, n_jobs=n_jobs, seeds=s["twin_seeds"])
    if part == "budget":
        return budget_allocation_rows(extend_twin(seed=s["seed"], horizon=s["horizon"]), s["budget_boost"],
                                      s["start_year"], MAX_BOOST, s["n_frontier"])
    if part == "distribution":
        return budget_distribution_rows(s["budget_seeds"], s["budget_draws"], draw_seed=s["draw_seed"],
                                        weightings=WEIGHTINGS, budget_boost=s["budget_boost"], start=s["start_year"],
                                        horizon=s["horizon"], max_boost=MAX_BOOST, n_jobs=n_jobs)
    if part == "detect":
        return detectability_rows(chosen, s["detect_reps"], s["seed"], s["horizon"], s["detect_boot"],
                                  s["detect_threshold_boot"], n_jobs, FIRST_SEED)
    raise ValueError(f"policy: unknown part {part!r}; parts: {list(PARTS)}")


def summarise_part(part: str, tables: dict, settings: dict | None = None):
    """The chapter's result object of one part from its raw rows (computed or stored)."""
    s = _settings(settings)
    if part == "uncertainty":
        chosen = chosen_scenarios(s["scenario_names"], s["start_year"], s["horizon"])
        return summarise_uncertainty(tables, chosen, s["horizon"], s["twin_seeds"])
    if part == "budget":
        return summarise_budget(tables, s["budget_boost"])
    if part == "distribution":
        return summarise_budget_distribution(tables, s["budget_seeds"])
    if part == "detect":
        return summarise_detectability(tables, s["detect_reps"])
    raise ValueError(f"policy: unknown part {part!r}; parts: {list(PARTS)}")


def _digest() -> str:
    return STORE.digest()   # the module's name, also when run as __main__


@dataclass(repr=False)
class PolicyStudy(Result):
    """The Policy chapter's simulated runs (SIMULATED), computed live or read from the store.

    Attributes
    ----------
    uncertainty : ScenarioResult
        The scenarios under parameter draws x twin seeds (:func:`~helpers.scenarios.run_uncertainty`).
    budget : BudgetResult
        One budget on one twin at default parameters (:func:`~helpers.scenarios.budget_allocation`).
    distribution : BudgetDistribution
        The budget ratio over seeds and draws (:func:`~helpers.scenarios.budget_distribution`).
    detect : DataFrame
        Would a study see each scenario (:func:`~helpers.scenarios.detectability`).
    source : str
        ``"live"`` or the store folder read.
    """

    uncertainty: ScenarioResult
    budget: BudgetResult
    distribution: BudgetDistribution
    detect: pd.DataFrame
    source: str
    settings: dict
    notes: list = field(default_factory=list)
    log: dict = field(default_factory=dict)

    def provenance(self) -> str:
        """One sentence for the chapter: where the numbers come from (stored or live, and how made)."""
        s = self.settings
        size = (f"{_n(s['n_draws'], 'parameter draw')} x {_n(len(s['twin_seeds']), 'twin seed')} for the scenario "
                f"bands, the budget optimiser on one twin ({_n(s['n_frontier'], 'frontier point')}) and on "
                f"{_n(len(s['budget_seeds']), 'twin seed')} x (defaults + {_n(s['budget_draws'], 'draw')}), and "
                f"{_n(s['detect_reps'], 'Monte Carlo twin')} per detectability world "
                f"({_n(s['detect_boot'], 'bootstrap replication')} in each)")
        if self.source == "live":
            return f"These SIMULATED runs were computed as this page was built: {size}."
        folder = Path(self.source)
        where = "data/policy" if folder.resolve() == STORE.default_folder().resolve() else str(folder)
        return (f"These SIMULATED runs are read from the stored study in `{where}`{STORE.computed_by(self.log)}: {size}; "
                "each file's hash and settings were checked when it was read." + STORE.code_note(self.notes))

    def summary(self) -> str:
        where = "computed live" if self.source == "live" else f"read from the store {self.source}"
        return (f"Policy study (SIMULATED), {where}: {self.settings}"
                + "".join(f"\n  note: {n}" for n in self.notes))


def _n(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def _assemble(parts: dict, settings, source: str, notes=(), log=None) -> PolicyStudy:
    return PolicyStudy(uncertainty=parts["uncertainty"], budget=parts["budget"], distribution=parts["distribution"],
                       detect=parts["detect"], source=source, settings=_settings(settings), notes=list(notes),
                       log=dict(log or {}))


def live(settings: dict | None = None, *, n_jobs: int = 1) -> PolicyStudy:
    """Every part computed now (nothing written): the CI profile's tiny settings."""
    return _assemble({p: summarise_part(p, compute_part(p, settings, n_jobs=n_jobs), settings) for p in PARTS},
                     settings, "live")


def command_for(settings: dict | None = None) -> str:
    """The command that stores ``settings`` (``make policy`` with the options that differ from :data:`BOOK`)."""
    s = _settings(settings)
    args = [f"--{k.replace('_', '-')} " + " ".join(map(str, v if isinstance(v, list) else [v]))
            for k, v in s.items() if v != BOOK[k]]
    return f'{COMMAND} POLICY_ARGS="{" ".join(args)}"' if args else COMMAND


def load(out=None, settings: dict | None = None) -> PolicyStudy:
    """The stored study in ``out`` (default ``data/policy``) for ``settings`` (default :data:`BOOK`).

    Raises :class:`StalePolicyError` naming the command that stores these settings (and the live
    alternative) when a cell is missing or was computed with other settings, and
    :class:`helpers.studies.store.StoreError` naming the file when a cell is damaged. Cells
    computed by other analysis code are read with a note (``make policy`` recomputes them).
    """
    try:
        got = STORE.read(out, settings, digest=_digest())
    except StalePolicyError as err:
        if _settings(settings) == _settings(None):
            raise
        raise StalePolicyError(f"{err}. These are not the book's settings: `{command_for(settings)}` stores them, "
                               "or policy_source = \"live\" computes them as the page is built") from None
    parts = {part: summarise_part(part, rows, settings) for part, rows in got.tables.items()}
    return _assemble(parts, settings, str(got.folder), got.notes, got.log)


def study(source: str = "store", settings: dict | None = None, *, out=None, n_jobs: int = 1) -> PolicyStudy:
    """The chapter's entry point: ``source="store"`` reads :func:`load`, ``"live"`` runs :func:`live`."""
    if source == "store":
        return load(out, settings)
    if source == "live":
        return live(settings, n_jobs=n_jobs)
    raise ValueError(f"policy: source must be 'store' or 'live', got {source!r}")


def run(out=None, settings: dict | None = None, *, n_jobs: int = 2) -> list:
    """Compute (or keep) every part in ``out`` (default ``data/policy``); returns the parts computed.

    A part is kept when all its cells have the current fingerprint, the current analysis-code
    digest and an intact hash; otherwise it is recomputed and its cells replaced atomically.
    ``study.json`` and ``PROVENANCE.md`` record each run that computed anything.
    """
    _settings(settings)   # bad settings fail before anything is computed
    return STORE.run(lambda part: compute_part(part, settings, n_jobs=n_jobs), out, settings, n_jobs=n_jobs,
                     digest=_digest())


def study_log(out=None) -> dict:
    """The store's ``study.json`` (settings and runs with wall times); empty if absent."""
    return STORE.log(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m helpers.scenarios.policy",
                                 description="Compute the Policy chapter's stored runs (SIMULATED).")
    ap.add_argument("command", choices=["run"])
    ap.add_argument("--out", default=None, help="store folder (default data/policy)")
    ap.add_argument("--n-jobs", type=int, default=2)
    for k, v in BOOK.items():
        if isinstance(v, list):
            ap.add_argument(f"--{k.replace('_', '-')}", type=type(v[0]), nargs="+", default=v)
        else:
            ap.add_argument(f"--{k.replace('_', '-')}", type=type(v), default=v)
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    done = run(a.out, {k: getattr(a, k) for k in BOOK}, n_jobs=a.n_jobs)
    print(f"policy: computed {done or 'nothing (store up to date)'} in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
