"""Fault tests of chapter execution (tools/execute_chapters.py) on tiny generated notebooks.

Atomic output (a killed or failed run leaves nothing that `make` takes as up to date), one run
per output (a concurrent run of the same chapter waits or fails naming the holder), and the
kernel's worker processes reaped on a kill. No real chapter is run here.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
RUNNER = ROOT / "tools" / "execute_chapters.py"


def _notebook(path: Path, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    p = nbformat.v4.new_code_cell("marker = ''")
    p.metadata["tags"] = ["parameters"]
    nb.cells = [p] + [nbformat.v4.new_code_cell(c) for c in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def _profile(tmp_path: Path, marker: Path) -> Path:
    prof = tmp_path / "p.yml"
    prof.write_text(f"timeout: 120\ndefaults: {{}}\nchapters:\n  99_tiny:\n    marker: '{marker}'\n")
    return prof


def _start(tmp_path, nb, out, *extra, log: str = "runner.err") -> subprocess.Popen:
    # output to a file, not a pipe: the kernel's children inherit the runner's descriptors, and a
    # pipe would stay open (and communicate() block) as long as any of them lives
    with (tmp_path / log).open("w") as err:
        return subprocess.Popen([sys.executable, str(RUNNER), "--profile",
                                 str(_profile(tmp_path, tmp_path / "marker")), "--out", str(out), *extra, str(nb)],
                                stdout=subprocess.DEVNULL, stderr=err)


def _run(tmp_path, nb, out, *extra, marker="marker") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(RUNNER), "--profile", str(_profile(tmp_path, tmp_path / marker)),
                           "--out", str(out), *extra, str(nb)], check=False, capture_output=True, text=True,
                          timeout=300)


def _wait_for(path: Path, proc: subprocess.Popen, limit: float = 120.0, text: str | None = None) -> None:
    # waits for a state, not a duration: the limit only stops a broken test from hanging
    deadline = time.monotonic() + limit
    while not path.exists() or (text is not None and text not in path.read_text()):
        if proc.poll() is not None:
            raise AssertionError(f"runner ended early with status {proc.returncode}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"{path} never appeared")
        time.sleep(0.1)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped by its new parent) counts as gone
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return False


# a cell that announces itself (writes the marker) and then runs until killed; it starts a child
# process first, standing in for a loky or Dask worker of the kernel
SLOW_CELL = ("import subprocess, sys, time, pathlib\n"
             "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
             "pathlib.Path(marker).write_text(str(child.pid))\n"
             "time.sleep(600)")


def test_success_writes_the_output_atomically_and_leaves_no_partial(tmp_path):
    nb = _notebook(tmp_path / "99_tiny.ipynb", "print(marker.endswith('marker'))")
    out = tmp_path / "out"
    r = _run(tmp_path, nb, out)
    assert r.returncode == 0, r.stderr[-2000:]
    executed = nbformat.read(out / "99_tiny.ipynb", as_version=4)
    assert executed.cells[-1].outputs[0]["text"] == "True\n"
    assert (out / "99_tiny.ipynb").stat().st_mode & 0o444 == 0o444 & ~_umask()  # as papermill wrote it
    files = sorted(p.name for p in out.iterdir() if p.is_file())
    assert files == ["99_tiny.ipynb"]   # no partial file left
    lock = json.loads((out / ".locks" / "99_tiny.ipynb.lock").read_text())
    assert lock["pid"] != os.getpid() and lock["pid"] > 0


def test_lock_file_lies_outside_the_built_folder_under_build(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("execute_chapters", RUNNER)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    lock = mod.lock_path(tmp_path / "_build" / "stage" / "chapters" / "05_findings.ipynb")
    assert lock == (tmp_path / "_build" / ".locks" / "stage__chapters__05_findings.ipynb.lock").resolve()
    other = mod.lock_path(tmp_path / "out" / "x.ipynb")
    assert other.parent == (tmp_path / "out" / ".locks").resolve()


def test_a_failed_run_removes_an_older_output(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "99_tiny.ipynb").write_text("an older, now stale, executed chapter")
    nb = _notebook(tmp_path / "99_tiny.ipynb", "raise RuntimeError('kaput')")
    r = _run(tmp_path, nb, out, marker="m")
    assert r.returncode != 0 and "CHAPTER FAILED" in r.stderr + r.stdout and "RuntimeError: kaput" in r.stderr + r.stdout
    assert not any(p.suffix == ".ipynb" for p in out.iterdir())


# the same with real loky workers of the kernel (joblib's default backend; they idle for minutes)
LOKY_CELL = ("import os, subprocess, sys, time, pathlib\n"
             "from joblib import Parallel, delayed\n"
             "workers = set(Parallel(n_jobs=2, backend='loky')(delayed(os.getpid)() for _ in range(8)))\n"
             "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
             "pathlib.Path(marker).write_text(' '.join(map(str, [child.pid, *workers])))\n"
             "time.sleep(600)")

# and with Dask worker processes (a LocalCluster as the Monte Carlo chapters start one)
DASK_CELL = ("import os, subprocess, sys, time, pathlib\n"
             "from distributed import Client, LocalCluster\n"
             "cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)\n"
             "client = Client(cluster)\n"
             "workers = set(client.run(os.getpid).values())\n"
             "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
             "pathlib.Path(marker).write_text(' '.join(map(str, [child.pid, *workers])))\n"
             "time.sleep(600)")


def _gone(pids, limit: float = 60.0) -> list:
    """The pids still alive once all are gone or ``limit`` seconds passed (a state, not a time)."""
    deadline = time.monotonic() + limit
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return [p for p in pids if _alive(p)]


@pytest.mark.slow  # ~35 s on a loaded 2-core machine: two kernels
@pytest.mark.parametrize("cell", [LOKY_CELL, DASK_CELL], ids=["loky", "dask"])
def test_sigkill_mid_run_reaps_every_worker_and_leaves_nothing_up_to_date(tmp_path, cell):
    out = tmp_path / "out"
    out.mkdir()
    (out / "99_tiny.ipynb").write_text("an older executed chapter, stale once a run starts")
    nb = _notebook(tmp_path / "99_tiny.ipynb", cell)
    proc = _start(tmp_path, nb, out)
    _wait_for(tmp_path / "marker", proc)
    pids = [int(p) for p in (tmp_path / "marker").read_text().split()]
    assert len(pids) >= 2 and all(_alive(p) for p in pids)  # the child and at least one worker
    proc.kill()  # SIGKILL: no handler runs; the watchdog notices the closed pipe
    proc.wait()
    try:
        assert _gone(pids) == [], "a worker process outlived the SIGKILLed run"
        assert not (out / "99_tiny.ipynb").exists()       # nothing make takes as up to date
        deadline = time.monotonic() + 60  # the watchdog removes the partial file after the reaping
        while list(out.glob(".99_tiny.*.partial.ipynb")) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not list(out.glob(".99_tiny.*.partial.ipynb"))
    finally:
        for p in pids:
            if _alive(p):
                os.kill(p, signal.SIGKILL)
    # a partial file left by a run killed before its watchdog could act: the next run removes it
    (out / ".99_tiny.stale.partial.ipynb").write_text("{}")
    (tmp_path / "marker").unlink()
    _notebook(nb, "x = 1")
    r = _run(tmp_path, nb, out)
    assert r.returncode == 0, r.stderr[-2000:]
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == ["99_tiny.ipynb"]


def test_sigterm_reaps_the_kernel_and_its_workers_and_writes_nothing(tmp_path):
    nb = _notebook(tmp_path / "99_tiny.ipynb", SLOW_CELL)
    out = tmp_path / "out"
    proc = _start(tmp_path, nb, out)
    _wait_for(tmp_path / "marker", proc)
    child = int((tmp_path / "marker").read_text())
    assert _alive(child)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM
    assert "INTERRUPTED" in (tmp_path / "runner.err").read_text()
    deadline = time.monotonic() + 30
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(child), "the kernel's child process outlived the killed run"
    assert not list(out.glob("*.ipynb")) and not list(out.glob(".*.partial.ipynb"))


@pytest.mark.slow  # ~50 s on a loaded 2-core machine: three kernels
def test_a_concurrent_run_of_the_same_chapter_fails_clearly_or_waits(tmp_path):
    nb = _notebook(tmp_path / "99_tiny.ipynb", SLOW_CELL)
    out = tmp_path / "out"
    first = _start(tmp_path, nb, out)
    try:
        _wait_for(tmp_path / "marker", first)
        second = _run(tmp_path, nb, out, "--lock-wait", "0", marker="m2")
        assert second.returncode != 0
        assert "CHAPTER NOT RUN" in second.stderr and "99_tiny.ipynb" in second.stderr
        assert f"'pid': {first.pid}" in second.stderr.replace('"', "'")
        assert not (out / "99_tiny.ipynb").exists()
        # a waiting run proceeds once the first one is gone
        waiting = _start(tmp_path, nb, out, "--lock-wait", "300", log="waiting.err")
        _wait_for(tmp_path / "waiting.err", waiting, text="waiting for another run")
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=120)
        (tmp_path / "marker").unlink()
        _wait_for(tmp_path / "marker", waiting)   # the waiting run got the lock and executes
        waiting.send_signal(signal.SIGTERM)
        waiting.wait(timeout=120)
        assert waiting.returncode == 128 + signal.SIGTERM
    finally:
        for p in [first] + ([waiting] if "waiting" in locals() else []):
            if p.poll() is None:
                p.kill()
