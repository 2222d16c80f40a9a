"""The calibration check's moments, stored: real moments with bootstrap SEs and the twins' moments.

Appendix A sets within-city moments of the real Guangdong and of the national panel (REAL data,
each with a cluster-bootstrap SE: about 13 s and 15 s for 199 draws) beside the same moments of
simulated twins over a few seeds (SIMULATED: about 1 s and 4 s for six seeds). ``make moments``
computes the four parts once into ``data/moments`` (a
:class:`helpers.studies.parts_store.PartsStore`) and the book profile reads them back; the CI
profile computes them live through the same functions.

The real parts are derived statistics (a value and an SE per moment), never the real rows. Their
fingerprint holds a content digest of the real inputs they were computed from (the harmonised
frames of :func:`helpers.studies.moments.guangdong_inputs` and
:func:`helpers.analysis.moments.national_frame`, and the PKU index when the reader has it), so a
reader whose real data differ (e.g. without the PKU file) gets a live computation that says so,
never another machine's numbers. The twins' parts are fingerprinted by the generator version and
the seeds (and the PKU reference, which one twin moment is ranked against).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from dataclasses import dataclass, field

import pandas as pd

from .._results import Result
from ..analysis import moments as _m
from .calibrate import national_table, national_twin_moments
from .moments import (
    CalibrationCheck,
    calibration_check,
    guangdong_inputs,
    guangdong_real,
    twin_moment_values,
)
from .parts_store import PartsStore, StaleStoreError

#: Bumped when the stored tables change meaning (not for new numbers: those are fingerprinted).
MOMENTS_VERSION = "1"

#: What ``make moments`` stores: Appendix A's settings in the book profile (profiles/book.yml).
BOOK = {"calib_n_boot": 199, "calib_boot_seed": 20261122, "calib_twin_seeds": [20261122, 1, 2, 3, 4, 5]}

PARTS = {"guangdong-real": ("moments",), "guangdong-twin": ("moments",),
         "national-real": ("moments",), "national-twin": ("moments",)}

COMMAND = "make moments"

#: The national real moments' source (as the appendix names it).
NATIONAL_SOURCE = "the national city panel, 2011-2023"

#: The real inputs, in the words of a sentence.
INPUT_NAMES = {"guangdong": "the real Guangdong frame", "reference": "the PKU index",
               "national": "the national panel"}


class StaleMomentsError(StaleStoreError):
    """The stored moments are missing or were computed with other settings; names the command."""


def _settings(settings: dict | None) -> dict:
    s = {**BOOK, **dict(settings or {})}
    inputs = s.pop("inputs", None)
    unknown = sorted(set(s) - set(BOOK))
    if unknown:
        raise ValueError(f"moment_store: unknown settings {unknown}; known: {sorted(BOOK)}")
    for k in ("calib_n_boot", "calib_boot_seed"):
        if isinstance(s[k], bool) or int(s[k]) != s[k] or s[k] < 0:
            raise ValueError(f"moment_store: {k} must be a whole number >= 0, got {s[k]!r}")
    seeds = s["calib_twin_seeds"]
    if isinstance(seeds, str | int) or not len(seeds) or any(isinstance(x, bool) or int(x) != x for x in seeds):
        raise ValueError(f"moment_store: calib_twin_seeds must be a non-empty list of whole numbers, got {seeds!r}")
    out = {"calib_n_boot": int(s["calib_n_boot"]), "calib_boot_seed": int(s["calib_boot_seed"]),
           "calib_twin_seeds": [int(x) for x in seeds]}
    return out if inputs is None else {**out, "inputs": dict(inputs)}


# --------------------------------------------------------------------------- real inputs
def real_inputs(pku_path=None) -> dict:
    """The real frames the check reads: ``guangdong`` and ``reference`` (:func:`guangdong_inputs`;
    the reference is None without the PKU file) and ``national`` (:func:`national_frame`)."""
    frame, ref = guangdong_inputs(pku_path)
    return {"guangdong": frame, "reference": ref, "national": _m.national_frame()}


def frame_digest(df: pd.DataFrame | None) -> str | None:
    """SHA-256 (16 hex digits) of a frame's column names, dtypes and values (None for None)."""
    if df is None:
        return None
    h = hashlib.sha256(json.dumps([[str(c), str(t)] for c, t in df.dtypes.items()]).encode())
    h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    return h.hexdigest()[:16]


def with_inputs(settings: dict | None, frames: dict) -> dict:
    """The settings plus the content digests of the real inputs (part of the real parts' fingerprint)."""
    return {**_settings(settings), "inputs": {k: frame_digest(frames[k]) for k in INPUT_NAMES}}


def part_settings(part: str, settings: dict | None = None) -> dict:
    """Everything that defines one part's stored moments (its fingerprint is a hash of this)."""
    from ..simulate import GENERATOR_VERSION

    s = _settings(settings)
    if part not in PARTS:
        raise ValueError(f"moment_store: unknown part {part!r}; parts: {list(PARTS)}")
    base = {"part": part, "version": MOMENTS_VERSION}
    if part == "national-twin":   # no real input: the national city set and the model's own levels
        return {**base, "generator": GENERATOR_VERSION, "seeds": s["calib_twin_seeds"], "names": list(_m.MOMENTS)}
    if "inputs" not in s:
        raise ValueError("moment_store: the settings lack the real inputs' digests (see with_inputs)")
    inp = s["inputs"]
    if part == "guangdong-twin":
        return {**base, "generator": GENERATOR_VERSION, "seeds": s["calib_twin_seeds"], "reference": inp["reference"]}
    boot = {"n_boot": s["calib_n_boot"], "boot_seed": s["calib_boot_seed"]}
    if part == "guangdong-real":
        return {**base, **boot, "frame": inp["guangdong"], "reference": inp["reference"]}
    return {**base, **boot, "frame": inp["national"]}


STORE = PartsStore(name="moments", command=COMMAND, module="helpers.studies.moment_store",
                   label="calibration moments", title="Calibration check: stored moments (REAL moments, SIMULATED twins)",
                   what="Appendix A's calibration check: real moments with cluster-bootstrap SEs (derived "
                        "statistics of REAL data) and the moments of SIMULATED twins",
                   holds="one part's moments (rows) with their values", parts=PARTS, part_settings=part_settings,
                   settings=_settings, version=MOMENTS_VERSION, error=StaleMomentsError)


def _digest() -> str:
    return STORE.digest()


# --------------------------------------------------------------------------- parts <-> tables
def compute_part(part: str, settings: dict, frames: dict) -> dict:
    """One part's moments, computed now from the real ``frames`` (:func:`real_inputs`)."""
    s = _settings(settings)
    n_boot, seed, seeds = s["calib_n_boot"], s["calib_boot_seed"], s["calib_twin_seeds"]
    if part == "guangdong-real":
        tab = guangdong_real(frames["guangdong"], frames["reference"], n_boot=n_boot, seed=seed).table
    elif part == "national-real":
        tab = _m.moments(frames["national"], n_boot=n_boot, seed=seed, source=NATIONAL_SOURCE).table
    elif part == "guangdong-twin":
        tab = twin_moment_values(seeds, frames["reference"])
    else:
        part_settings(part, s)   # an unknown part is refused by name
        tab = national_twin_moments(seeds=seeds)
    return {"moments": tab.rename(columns=str).rename_axis("moment").reset_index()}


def _real(table: pd.DataFrame, source: str, s: dict) -> _m.MomentTable:
    return _m.MomentTable(table=table.set_index("moment"), source=source, n_boot=s["calib_n_boot"],
                          seed=s["calib_boot_seed"])


def _twin(table: pd.DataFrame) -> pd.DataFrame:
    out = table.set_index("moment").rename_axis(None)
    return out.rename(columns=lambda c: c if c == "mean" else int(c))


def assemble(tables: dict, settings: dict) -> tuple[CalibrationCheck, pd.DataFrame]:
    """The appendix's two results from the four parts' tables (stored or computed)."""
    s = _settings(settings)
    gd = calibration_check(_real(tables["guangdong-real"]["moments"], "the real Guangdong, 2011-2023", s),
                           _twin(tables["guangdong-twin"]["moments"]))
    nat = national_table(_real(tables["national-real"]["moments"], NATIONAL_SOURCE, s),
                         _twin(tables["national-twin"]["moments"]))
    return gd, nat


# --------------------------------------------------------------------------- the chapter's entry
@dataclass(repr=False)
class CalibrationStudy(Result):
    """Appendix A's calibration check, read from the store or computed live: ``guangdong``
    (:class:`CalibrationCheck`), ``national`` (the national table), ``source`` (the store's folder
    or ``"live"``), ``reason`` (why a store read fell back to live, else ""), ``settings``."""

    guangdong: CalibrationCheck
    national: pd.DataFrame
    source: str
    settings: dict
    reason: str = ""
    notes: list = field(default_factory=list)
    log: dict = field(default_factory=dict)

    def provenance(self) -> str:
        """One sentence for the appendix: where the moments come from (stored or live, and how made)."""
        s = self.settings
        what = (f"The real moments and their cluster-bootstrap SEs (REAL data; {s['calib_n_boot']} draws, seed "
                f"{s['calib_boot_seed']}) and the twins' moments (SIMULATED; seeds "
                f"{', '.join(map(str, s['calib_twin_seeds']))})")
        if self.source == "live":
            return f"{what} were computed as this page was built{self.reason}."
        return (f"{what} are read from the stored study in `data/{STORE.name}`{STORE.computed_by(self.log)} "
                "from the same real inputs as this page's (their content digests match); each file's hash and "
                "settings were checked when it was read." + STORE.code_note(self.notes))

    def summary(self) -> str:
        where = "computed live" if self.source == "live" else f"read from the store {self.source}"
        return (f"Calibration check, {where}{self.reason}\n{self.guangdong.summary()}\n"
                + self.national.to_string(float_format=lambda v: f"{v:.4f}"))


def load(out=None, settings: dict | None = None, *, pku_path=None) -> CalibrationStudy:
    """The stored check in ``out`` (default ``data/moments``) for ``settings`` (default :data:`BOOK`;
    the real inputs' digests are computed from the reader's data when absent). Raises
    :class:`StaleMomentsError` naming ``make moments`` for a missing cell or other settings or
    inputs, :class:`helpers.studies.store.StoreError` naming a damaged file; other analysis
    code gives a note."""
    s = settings if settings is not None and "inputs" in settings else with_inputs(settings, real_inputs(pku_path))
    got = STORE.read(out, s, digest=_digest())
    gd, nat = assemble(got.tables, s)
    return CalibrationStudy(guangdong=gd, national=nat, source=str(got.folder), settings=_settings(s),
                            notes=got.notes, log=got.log)


def live(settings: dict | None = None, *, pku_path=None, frames: dict | None = None, reason: str = ""
         ) -> CalibrationStudy:
    """Every part computed now (nothing written)."""
    frames = real_inputs(pku_path) if frames is None else frames
    s = with_inputs(settings, frames)
    gd, nat = assemble({p: compute_part(p, s, frames) for p in PARTS}, s)
    return CalibrationStudy(guangdong=gd, national=nat, source="live", settings=s, reason=reason)


def _why(s: dict, held: dict) -> str:
    where = f"the stored study in `data/{STORE.name}`"
    if {k: s[k] for k in BOOK} != {k: held.get(k) for k in BOOK}:
        return f" ({where} holds {', '.join(f'{k}={held.get(k)}' for k in BOOK)} only)"
    other = [INPUT_NAMES[k] for k in INPUT_NAMES if s["inputs"].get(k) != (held.get("inputs") or {}).get(k)]
    return f" ({where} was computed from other real inputs: {', '.join(other)})"


def study(source: str = "store", settings: dict | None = None, *, pku_path=None, out=None) -> CalibrationStudy:
    """The appendix's entry point: ``"store"`` reads the store when it holds these settings and
    was computed from the reader's real inputs (else computes live, saying why; a store of the
    book's settings that is missing or stale is refused); ``"live"`` computes now."""
    if source not in ("store", "live"):
        raise ValueError(f"moment_store: source must be 'store' or 'live', got {source!r}")
    frames = real_inputs(pku_path)
    s = with_inputs(settings, frames)
    if source == "live":
        return live(s, frames=frames)
    held = STORE.log(out).get("settings") or {**_settings(None), "inputs": s["inputs"]}
    if s == held:
        return load(out, s)
    return live(s, frames=frames, reason=_why(s, held))


def run(out=None, settings: dict | None = None, *, pku_path=None) -> list:
    """Compute (or keep) every part in ``out`` (default ``data/moments``); returns the parts computed."""
    frames = real_inputs(pku_path)
    s = with_inputs(settings, frames)
    return STORE.run(lambda part: compute_part(part, s, frames), out, s, n_jobs=1, digest=_digest())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m helpers.studies.moment_store",
                                 description="Store Appendix A's calibration moments (REAL moments, SIMULATED twins).")
    ap.add_argument("command", choices=["run"])
    ap.add_argument("--out", default=None, help="store folder (default data/moments)")
    ap.add_argument("--pku-path", default=None, help="the PKU city file (default ../shared/realdata)")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    done = run(a.out, None, pku_path=a.pku_path)
    print(f"moment_store: computed {done or 'nothing (store up to date)'} in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
