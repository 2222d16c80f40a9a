"""The bundled twin's estimand-matched truths and identifiable channels, stored (SIMULATED).

The Mechanism chapter sets every estimate beside the truth of its own estimand on the measured
scale (:func:`helpers.simulate.estimands.estimand_truths`: 7 x N + 2 x N counterfactual twin runs,
about 13 s) and the two identifiable channels beside theirs
(:func:`helpers.studies.twin_cell.identifiable_channels` with the cluster jackknife, about 20 s);
the Findings chapter reads the same truths. ``make truths`` computes them once for the bundled
twin into ``data/twin_truths`` (a :class:`helpers.studies.parts_store.PartsStore`: Parquet cells
with SHA-256 hashes, the settings' fingerprint and the analysis-code digest) and the book profile
reads them back; the CI profile, and any other twin seed, computes them live through the same
functions. Reading rebuilds the :class:`~helpers.simulate.estimands.EstimandTruths` object
field by field, so a stored twin gives exactly the numbers of a live computation.
"""

from __future__ import annotations

import argparse
import inspect
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._results import Result
from ..simulate import DEFAULT_SEED, estimands
from .parts_store import PartsStore, StaleStoreError
from .twin_cell import cached_truths, identifiable_channels

#: Bumped when the stored tables change meaning (not for new numbers: those are fingerprinted).
TRUTHS_VERSION = "1"

#: What ``make truths`` stores: the bundled twin, measured-scale truths, phi's jackknife interval.
BOOK = {"twin_seed": DEFAULT_SEED, "measured": True, "vcov": "CRV3"}

#: Parts and their tables: the truths object's four fields; the channels table.
PARTS = {"truths": ("truths", "table", "per_city_year", "bumps"), "channels": ("channels",)}

COMMAND = "make truths"

#: The bump sizes estimand_truths uses (fingerprinted: another bump is another truth).
_BUMPS = {k: inspect.signature(estimands.estimand_truths).parameters[k].default for k in ("h_latent", "h_measured")}


class StaleTruthsError(StaleStoreError):
    """The stored truths are missing or were computed with other settings; names the command."""


def _settings(settings: dict | None) -> dict:
    s = {**BOOK, **dict(settings or {})}
    unknown = sorted(set(s) - set(BOOK))
    if unknown:
        raise ValueError(f"truth_store: unknown settings {unknown}; known: {sorted(BOOK)}")
    if int(s["twin_seed"]) != s["twin_seed"] or isinstance(s["twin_seed"], bool):
        raise ValueError(f"truth_store: twin_seed must be a whole number, got {s['twin_seed']!r}")
    if not isinstance(s["measured"], bool):
        raise ValueError(f"truth_store: measured must be True or False, got {s['measured']!r}")
    if s["vcov"] not in ("CRV1", "CRV3"):
        raise ValueError(f"truth_store: vcov must be 'CRV1' or 'CRV3', got {s['vcov']!r}")
    return {"twin_seed": int(s["twin_seed"]), "measured": s["measured"], "vcov": s["vcov"]}


def part_settings(part: str, settings: dict | None = None) -> dict:
    """Everything that defines one part's stored tables (its fingerprint is a hash of this)."""
    from ..simulate import GENERATOR_VERSION

    s = _settings(settings)
    base = {"part": part, "generator": GENERATOR_VERSION, "version": TRUTHS_VERSION, "seed": s["twin_seed"]}
    if part == "truths":
        return {**base, "measured": s["measured"], **_BUMPS}
    if part == "channels":
        return {**base, "vcov": s["vcov"]}
    raise ValueError(f"truth_store: unknown part {part!r}; parts: {list(PARTS)}")


STORE = PartsStore(name="twin_truths", command=COMMAND, module="helpers.studies.truth_store",
                   label="truths of the twin", title="Truths of the bundled twin: stored (SIMULATED)",
                   what="estimand-matched truths and identifiable channels of the bundled twin (SIMULATED)",
                   holds="one field of the truths object or the channels table", parts=PARTS,
                   part_settings=part_settings, settings=_settings, version=TRUTHS_VERSION, error=StaleTruthsError)


def _digest() -> str:
    return STORE.digest()


# --------------------------------------------------------------------------- object <-> tables
def truths_tables(t: estimands.EstimandTruths) -> dict:
    """The four fields of an :class:`EstimandTruths` as frames (per-city-year arrays in long form)."""
    long = [pd.DataFrame({"name": k, "row": np.repeat(np.arange(a.shape[0]), a.shape[1]),
                          "col": np.tile(np.arange(a.shape[1]), a.shape[0]), "value": np.asarray(a).ravel()})
            for k, a in t.per_city_year.items()]
    pcy = pd.concat(long, ignore_index=True) if long else pd.DataFrame(columns=["name", "row", "col", "value"])
    return {"truths": t.truths.reset_index(), "table": t.table.reset_index(), "per_city_year": pcy,
            "bumps": pd.DataFrame({"scale": list(t.h), "h": [float(v) for v in t.h.values()]})}


def truths_from_tables(tables: dict, seed: int) -> estimands.EstimandTruths:
    """The :class:`EstimandTruths` that :func:`truths_tables` stored (the inverse)."""
    pcy = {}
    for name, g in tables["per_city_year"].groupby("name", sort=False):
        a = np.empty((int(g["row"].max()) + 1, int(g["col"].max()) + 1))
        a[g["row"].to_numpy(), g["col"].to_numpy()] = g["value"].to_numpy()
        pcy[name] = a
    b = tables["bumps"]
    return estimands.EstimandTruths(truths=tables["truths"].set_index("name"), table=tables["table"].set_index("key"),
                                    per_city_year=pcy, h=dict(zip(b["scale"], b["h"].astype(float), strict=True)),
                                    seed=int(seed))


def compute_part(part: str, settings: dict | None = None) -> dict:
    """One part's tables, computed now: ``{table: DataFrame}`` (:data:`PARTS`)."""
    s = _settings(settings)
    if part == "truths":
        return truths_tables(estimands.estimand_truths(seed=s["twin_seed"], measured=s["measured"]))
    part_settings(part, s)   # an unknown part is refused by name
    return {"channels": identifiable_channels(s["twin_seed"], vcov=s["vcov"]).reset_index()}


# --------------------------------------------------------------------------- the chapters' entry
@dataclass(repr=False)
class TwinTruths(Result):
    """Truths of one twin (SIMULATED), read from the store or computed live.

    ``truths`` (:class:`EstimandTruths`); ``channels`` (the identifiable channels' table, or None
    when not asked for); ``source`` (the store's folder or ``"live"``); ``reason`` (why a store
    read fell back to a live computation, else ""); ``settings``; ``notes``; ``log``.
    """

    truths: estimands.EstimandTruths
    channels: pd.DataFrame | None
    source: str
    settings: dict
    reason: str = ""
    notes: list = field(default_factory=list)
    log: dict = field(default_factory=dict)

    def provenance(self) -> str:
        """One sentence for the chapter: where the truths come from (stored or live, and how made)."""
        s = self.settings
        what = (f"The estimand-matched truths ({'measured' if s['measured'] else 'latent'} scale)"
                + (f" and the identifiable channels ({s['vcov']} intervals)" if self.channels is not None else "")
                + f" of the SIMULATED twin (seed {s['twin_seed']})")
        if self.source == "live":
            return f"{what} were computed as this page was built{self.reason}."
        return (f"{what} are read from the stored study in `data/{STORE.name}`{STORE.computed_by(self.log)}; "
                "each file's hash and settings were checked when it was read." + STORE.code_note(self.notes))

    def summary(self) -> str:
        where = "computed live" if self.source == "live" else f"read from the store {self.source}"
        return (f"Truths of the twin (SIMULATED), {where}: {self.settings}{self.reason}"
                + "".join(f"\n  note: {n}" for n in self.notes))


def load(out=None, settings: dict | None = None, *, parts=tuple(PARTS)) -> TwinTruths:
    """The stored ``parts`` in ``out`` (default ``data/twin_truths``) for ``settings`` (default :data:`BOOK`).

    Raises :class:`StaleTruthsError` (naming ``make truths``) when a cell is missing or was
    computed with other settings, and :class:`helpers.studies.store.StoreError` naming the file
    when a cell is damaged; cells of other analysis code are read with a note.
    """
    s = _settings(settings)
    got = STORE.read(out, s, parts=parts, digest=_digest())
    truths = truths_from_tables(got.tables["truths"], s["twin_seed"]) if "truths" in parts else None
    channels = got.tables["channels"]["channels"].set_index("key") if "channels" in parts else None
    return TwinTruths(truths=truths, channels=channels, source=str(got.folder), settings=s, notes=got.notes,
                      log=got.log)


def live(settings: dict | None = None, *, parts=tuple(PARTS), reason: str = "") -> TwinTruths:
    """The ``parts`` computed now (the truths through the disk cache of :func:`cached_truths`)."""
    s = _settings(settings)
    truths = cached_truths(s["twin_seed"], measured=s["measured"]) if "truths" in parts else None
    channels = identifiable_channels(s["twin_seed"], vcov=s["vcov"]) if "channels" in parts else None
    return TwinTruths(truths=truths, channels=channels, source="live", settings=s, reason=reason)


def study(source: str = "store", settings: dict | None = None, *, parts=tuple(PARTS), out=None) -> TwinTruths:
    """The chapters' entry point: ``"store"`` reads the store when it holds these settings
    (the settings in its ``study.json``, else :data:`BOOK`; a stale or damaged store is refused)
    and otherwise computes live, saying why; ``"live"`` computes now."""
    if source not in ("store", "live"):
        raise ValueError(f"truth_store: source must be 'store' or 'live', got {source!r}")
    s = _settings(settings)
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        raise ValueError(f"truth_store: unknown parts {unknown}; parts: {list(PARTS)}")
    if source == "live":
        return live(s, parts=parts)
    held = STORE.log(out).get("settings") or _settings(None)
    if s == held:
        return load(out, s, parts=parts)
    held_what = (f"the twin of seed {held['twin_seed']} only" if held.get("twin_seed") != s["twin_seed"]
                 else f"other settings ({held})")
    return live(s, parts=parts, reason=f" (the stored study in `data/{STORE.name}` holds {held_what})")


def run(out=None, settings: dict | None = None) -> list:
    """Compute (or keep) every part in ``out`` (default ``data/twin_truths``); returns the parts computed."""
    return STORE.run(lambda part: compute_part(part, settings), out, settings, n_jobs=1, digest=_digest())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m helpers.studies.truth_store",
                                 description="Store the bundled twin's truths and identifiable channels (SIMULATED).")
    ap.add_argument("command", choices=["run"])
    ap.add_argument("--out", default=None, help="store folder (default data/twin_truths)")
    ap.add_argument("--twin-seed", type=int, default=BOOK["twin_seed"])
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    done = run(a.out, {"twin_seed": a.twin_seed})
    print(f"truth_store: computed {done or 'nothing (store up to date)'} in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
