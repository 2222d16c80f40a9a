r"""What a run of the book's design study would do, computing nothing: a dry run of
:func:`helpers.studies.power.run` over the stored cells (``python -m helpers.studies.power_plan``).

Each cell is *reused* (its stored fingerprint and analysis digest are current), *extended* (its
stored twins are its first replicates under the current settings, code and seed, and the study
asks for more: only the new replicates are computed, :func:`helpers.studies.design.plan`) or
*computed*. Extending is sound because replicate :math:`r`'s seed is a function of the study seed,
the design and :math:`r` alone (:func:`helpers.studies.design.twin_seed`), never of how many twins
the cell has.

Why 21 x 13 has 500 twins in every world (:data:`helpers.studies.power.REPS`): a coverage is a
claim only when its Monte Carlo SE :math:`\max(\sqrt{\hat c(1-\hat c)/R}, \sqrt{0.95 \cdot 0.05/R})`
is at most :data:`helpers.studies.performance.COVERAGE_CLAIM_MCSE` = 0.01, which takes
:math:`R \ge 475` twins at :math:`\hat c = 0.95`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import design as _design
from . import power as _power


def plan(out=None, *, n_grid=_power.N_GRID, t_grid=_power.T_GRID, worlds=_power.WORLDS, reps=None) -> pd.DataFrame:
    """For each cell of the book's grid (:func:`helpers.studies.power.cells`), what
    :func:`helpers.studies.power.run` would do with the store ``out`` (default ``data/power``):
    a frame of ``cell``, ``action`` (reuse, extend, compute), ``stored``, ``twins``, ``new_twins``
    and ``note`` (:func:`helpers.studies.design.plan`). Reads the cells; computes and writes nothing."""
    out = Path(out) if out is not None else _power.default_store()
    return _design.plan(_power.cells(n_grid, t_grid, worlds), _power.analyse(), out,
                        reps=_power.REPS if reps is None else reps, study_seed=_power.STUDY_SEED,
                        settings=_power.settings(), options=dict(_power.OPTIONS), paired=_power.PAIRED)


def dry_run(out=None, **grid) -> int:
    """Print :func:`plan` and the twins to compute (``python -m helpers.studies.power_plan [DIR]``)."""
    p = plan(out, **grid)
    counts = p["action"].value_counts()
    print(p.to_string(index=False))
    print("dry run: " + ", ".join(f"{int(counts.get(a, 0))} cells to {a}" for a in _design.ACTIONS)
          + f"; {int(p['new_twins'].sum())} twins to compute (nothing computed). SIMULATED twins.")
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(dry_run(sys.argv[1] if len(sys.argv) > 1 else None))
