"""Execute chapter notebooks with papermill under a parameter profile.

Usage::

    python tools/execute_chapters.py --profile profiles/book.yml --out _build/stage/chapters chapters/03_measurement.ipynb

Parameters live in one place, the profile (``profiles/book.yml`` for the published book,
``profiles/ci.yml`` for the fast test run): a ``defaults`` mapping applied to every chapter
and a ``chapters`` mapping keyed by notebook stem. Only names that the notebook's
``parameters`` cell defines are passed, so a typo in a profile is an error, not a silent no-op.

On a failing cell the script prints the chapter, the cell number and the error, removes the
partial output (so ``make`` does not take it as up to date) and exits with status 1.

Robust under faults and concurrency:

- **Atomic output.** The chapter is executed into a hidden temporary file in the output folder
  (``.<name>.<random>.partial.ipynb``) and renamed onto ``<out>/<name>`` (``os.replace``) only
  when every cell ran and the page tags are set. A killed run leaves no file that ``make`` takes
  as up to date; the next run of that chapter removes the stale partial file.
- **One run per output.** A run holds an exclusive ``fcntl.flock`` on a lock file per output
  notebook (in ``_build/.locks`` when the output is under ``_build``): a second run of the same
  chapter into the same folder waits (``--lock-wait`` seconds, default the profile's timeout)
  and then fails naming the chapter and the holder's pid. Different chapters run in parallel
  (``make -j2``).
- **Worker processes reaped.** The kernel runs in its own process group (jupyter_client starts
  it in a new session), and so do its loky and Dask workers; after each chapter, on failure and
  on SIGTERM/SIGHUP/SIGINT, the script terminates every such group it started.
- **Even after SIGKILL.** No handler runs on SIGKILL, so the script starts a small watchdog
  process (``--watchdog``, in a session of its own, so a kill of the runner's process group
  spares it) and tells it over a pipe which kernel groups and partial files exist. When the
  pipe closes without the word ``exit`` (the runner died, however), the watchdog terminates
  those groups (SIGTERM, then SIGKILL) and removes those files. A run also removes the chapter's
  old output before it starts, so a killed run leaves nothing that ``make`` takes as up to date.
- **Quiet Dask.** Kernels inherit ``DASK_DISTRIBUTED__LOGGING__DISTRIBUTED=error`` (and spawned
  Dask workers from them), so no time-stamped log line reaches a cell's output.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import fcntl
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

# jsonschema imports rfc3987_syntax when it is installed (jupyter-events asks for it), which
# builds a grammar for IRI formats at import: 0.8 s of every chapter's run. The notebook
# schema nbformat validates against uses no IRI format, so this process goes without it.
sys.modules.setdefault("rfc3987_syntax", None)

import nbformat  # noqa: E402
import papermill as pm  # noqa: E402
import yaml  # noqa: E402
from traitlets.config import Config  # noqa: E402

# Curve-encrypt the kernel's local ZMQ sockets: ipykernel >= 7.3 warns on every start otherwise,
# and a clean build prints no warnings.
KERNEL_CONFIG = Config({"KernelManager": {"transport_encryption": "auto"}})

#: Set for every kernel (and the Dask workers it spawns): distributed logs errors only, so a
#: busy machine's shutdown warnings never reach a cell's output (helpers.studies.quiet).
QUIET_ENV = {"DASK_DISTRIBUTED__LOGGING__DISTRIBUTED": "error"}

#: Process groups of the kernels this process started (each kernel leads its own group, and its
#: loky/Dask workers stay in it even after the kernel exits).
KERNEL_GROUPS: set[int] = set()

#: Pipe to the watchdog (None when it could not be started: the signal handler still reaps).
_WATCHDOG: list = []


def _tell_watchdog(word: str, arg: object) -> None:
    """One line ``<word> <arg>`` to the watchdog: ``group``/``ungroup`` a kernel's process group,
    ``file``/``unfile`` a partial output, ``exit`` on a normal end."""
    for pipe in _WATCHDOG:
        with contextlib.suppress(OSError, ValueError):
            pipe.write(f"{word} {arg}\n".encode())
            pipe.flush()


def start_watchdog() -> None:
    """Start the watchdog (see the module notes) and keep the write end of its pipe."""
    import subprocess

    try:
        proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--watchdog"],
                                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                start_new_session=True, close_fds=True)
    except OSError as err:
        print(f"warning: no watchdog ({err}); a SIGKILL may leave kernel workers running", file=sys.stderr)
        return
    _WATCHDOG[:] = [proc.stdin]


def watchdog(stream) -> int:
    """Read the runner's lines from ``stream`` until it closes; if the runner did not say
    ``exit``, terminate the process groups and remove the files it left registered."""
    groups, files, clean = set(), set(), False
    for raw in stream:
        word, _, arg = raw.decode(errors="replace").rstrip("\n").partition(" ")
        if word == "group":
            groups.add(int(arg))
        elif word == "ungroup":
            groups.discard(int(arg))
        elif word == "file":
            files.add(arg)
        elif word == "unfile":
            files.discard(arg)
        elif word == "exit":
            clean = True
    if clean:
        return 0
    KERNEL_GROUPS.update(groups)
    reap_kernel_groups(grace=2.0)
    for f in files:
        with contextlib.suppress(OSError):
            os.unlink(f)
    return 0


def parameter_names(nb_path: Path) -> set[str]:
    """Names assigned in the cell tagged ``parameters``; error if there is no such cell."""
    nb = nbformat.read(nb_path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            tree = ast.parse(cell.source)
            return {t.id for node in tree.body if isinstance(node, ast.Assign)
                    for t in node.targets if isinstance(t, ast.Name)}
    raise SystemExit(f"{nb_path}: no cell tagged 'parameters' (papermill needs one)")


def chapter_parameters(profile: dict, nb_path: Path) -> dict:
    params = dict(profile.get("defaults") or {})
    params.update((profile.get("chapters") or {}).get(nb_path.stem) or {})
    known = parameter_names(nb_path)
    # defaults apply only where the chapter declares them; chapter-specific names must exist
    specific = set((profile.get("chapters") or {}).get(nb_path.stem) or {})
    unknown = sorted(specific - known)
    if unknown:
        raise SystemExit(f"{nb_path}: profile sets {unknown}, not defined in its parameters cell")
    return {k: v for k, v in params.items() if k in known}


def _failing_cell(executed: Path) -> str:
    """'cell N' counted in the chapter source (1-based, papermill's own added cells excluded)."""
    nb = nbformat.read(executed, as_version=4)
    added = {"injected-parameters", "papermill-error-cell-tag"}
    cells = [c for c in nb.cells if not added & set(c.get("metadata", {}).get("tags", []))]
    for n, c in enumerate(cells, start=1):
        if any(o.get("output_type") == "error" for o in c.get("outputs", [])):
            first = next((ln for ln in c.source.splitlines() if ln.strip()), "")
            return f"cell {n} ({first.strip()[:60]!r})"
    return "unknown cell"


# How the book shows papermill's cells: the injected copy of the parameters is plumbing (removed
# from the page); the chapter's own `parameters` cell stays, collapsed behind a toggle, so a
# reader sees what can be changed without it interrupting the argument.
PAGE_TAGS = {"injected-parameters": "remove-cell", "parameters": "hide-cell"}


def tag_for_page(executed: Path) -> None:
    """Add Jupyter Book display tags to papermill's cells in an executed notebook (in place)."""
    nb = nbformat.read(executed, as_version=4)
    for cell in nb.cells:
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        for tag, display in PAGE_TAGS.items():
            if tag in tags and display not in tags:
                tags.append(display)
    nbformat.write(nb, executed)


def _kernel_manager_class():
    """AsyncKernelManager that records the process group of each kernel it starts."""
    from jupyter_client import AsyncKernelManager

    class GroupRecordingKernelManager(AsyncKernelManager):
        async def _async_post_start_kernel(self, **kw):
            await super()._async_post_start_kernel(**kw)
            pgid = getattr(self.provisioner, "pgid", None)
            if pgid and pgid != os.getpgrp():
                KERNEL_GROUPS.add(int(pgid))
                _tell_watchdog("group", int(pgid))

    return GroupRecordingKernelManager


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap_kernel_groups(grace: float = 5.0) -> None:
    """SIGTERM, then (after ``grace`` seconds) SIGKILL, every process group of a started kernel."""
    groups = [g for g in KERNEL_GROUPS if g != os.getpgrp()]
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for g in groups:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(g, sig)
        deadline = time.monotonic() + grace
        while any(_group_alive(g) for g in groups) and time.monotonic() < deadline:
            time.sleep(0.05)
        groups = [g for g in groups if _group_alive(g)]
        if not groups:
            break
    for g in KERNEL_GROUPS:
        _tell_watchdog("ungroup", g)
    KERNEL_GROUPS.clear()


def lock_path(out: Path) -> Path:
    """Lock file of one output notebook: in ``_build/.locks`` if the output lies under a
    ``_build`` folder (outside what the book builds), else in ``<out folder>/.locks``."""
    out = out.resolve()
    build = next((p for p in out.parents if p.name == "_build"), None)
    folder = (build / ".locks") if build is not None else out.parent / ".locks"
    rel = out.relative_to(build) if build is not None else Path(out.name)
    return folder / (str(rel).replace(os.sep, "__") + ".lock")


@contextlib.contextmanager
def output_lock(out: Path, wait: float):
    """Exclusive flock on ``out``'s lock file; waits up to ``wait`` seconds, then exits naming the holder."""
    path = lock_path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    try:
        deadline, told = time.monotonic() + wait, False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "unknown"
                if time.monotonic() >= deadline:
                    raise SystemExit(f"\nCHAPTER NOT RUN: {out} is being executed by another run "
                                     f"({holder}); lock {path}\n") from None
                if not told:
                    print(f"waiting for another run executing {out} ({holder})", file=sys.stderr, flush=True)
                    told = True
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid()}).encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def _remove_stale_partials(out: Path) -> None:
    # only called under the output's lock: a partial file left then is from a killed run
    for stale in out.parent.glob(f".{out.stem}.*.partial.ipynb"):
        stale.unlink(missing_ok=True)


#: Temporary file of the chapter being executed (removed by the signal handler).
_CURRENT_TMP: list[Path] = []


def execute(nb_path: Path, out_dir: Path, profile: dict, timeout: int, lock_wait: float | None = None) -> float:
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / nb_path.name
    params = chapter_parameters(profile, nb_path)
    t0 = time.perf_counter()
    with output_lock(out, timeout if lock_wait is None else lock_wait):
        _remove_stale_partials(out)
        out.unlink(missing_ok=True)  # stale from here on: a killed run must leave no output behind
        fd, name = tempfile.mkstemp(dir=out_dir, prefix=f".{out.stem}.", suffix=".partial.ipynb")
        os.close(fd)
        tmp = Path(name)
        _CURRENT_TMP[:] = [tmp]
        _tell_watchdog("file", tmp.resolve())
        try:
            _run_papermill(nb_path, tmp, params, timeout)
            tag_for_page(tmp)
            mask = os.umask(0)
            os.umask(mask)
            tmp.chmod(0o666 & ~mask)  # mkstemp's 0600: the page must stay readable as before
            os.replace(tmp, out)  # atomic: the output exists only once the whole chapter ran
        except BaseException:
            out.unlink(missing_ok=True)  # an older output is stale now: make must not take it as current
            raise
        finally:
            tmp.unlink(missing_ok=True)
            _tell_watchdog("unfile", tmp.resolve())
            _CURRENT_TMP.clear()
            reap_kernel_groups()
    return time.perf_counter() - t0


def _run_papermill(nb_path: Path, tmp: Path, params: dict, timeout: int) -> None:
    try:
        pm.execute_notebook(
            str(nb_path), str(tmp), parameters=params, kernel_name="python3",
            progress_bar=False, execution_timeout=timeout, cwd=str(nb_path.parent),
            report_mode=False, config=KERNEL_CONFIG, kernel_manager_class=_kernel_manager_class(),
        )
    except pm.PapermillExecutionError as err:
        where = _failing_cell(tmp)
        raise SystemExit(f"\nCHAPTER FAILED: {nb_path} -- {where}: {err.ename}: {err.evalue}\n") from None
    except Exception:
        print(f"\nCHAPTER FAILED: {nb_path} (before or outside a cell)", file=sys.stderr)
        raise


def _on_signal(signum, frame):
    """Killed (SIGTERM/SIGHUP/SIGINT): stop the kernels and their workers, drop the partial file."""
    reap_kernel_groups(grace=2.0)
    for tmp in _CURRENT_TMP:
        with contextlib.suppress(OSError):
            tmp.unlink()
    print(f"\nCHAPTER RUN INTERRUPTED by signal {signum}: no output written", file=sys.stderr, flush=True)
    os._exit(128 + signum)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--watchdog"]:
        for sig in (signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        return watchdog(sys.stdin.buffer)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--lock-wait", type=float, default=None,
                    help="seconds to wait for another run of the same chapter (default: the profile's timeout)")
    ap.add_argument("notebooks", nargs="+", type=Path)
    args = ap.parse_args(argv)
    profile = yaml.safe_load(args.profile.read_text()) or {}
    timeout = int(profile.get("timeout", 600))
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    for key, value in QUIET_ENV.items():
        os.environ.setdefault(key, value)
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, _on_signal)
    start_watchdog()
    for nb in args.notebooks:
        secs = execute(nb, args.out, profile, timeout, args.lock_wait)
        print(f"executed {nb} with {args.profile.name} in {secs:.1f} s -> {args.out / nb.name}")
    _tell_watchdog("exit", 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
