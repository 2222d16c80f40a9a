"""Dask stays quiet and deterministic under load (helpers.studies.quiet, the design runner).

The failure this guards against: on a busy machine Chapter 8's live Dask cell printed
``distributed.nanny - WARNING - Worker process still alive after 4.0 seconds, killing`` with a
time stamp to stderr, and nbval compared it with the stored output.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
ENV_KEY = "DASK_DISTRIBUTED__LOGGING__DISTRIBUTED"


def _python(code: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != ENV_KEY}
    env["PYTHONPATH"] = str(ROOT / "src")
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], check=False, capture_output=True,
                          text=True, env=env, timeout=300)


def test_the_trap_import_distributed_resets_a_level_set_before_it():
    # why a plain setLevel before the first import does not work (what the live run did)
    r = _python("""
        import logging
        logging.getLogger("distributed").setLevel(logging.ERROR)
        import distributed
        logging.getLogger("distributed.nanny").warning("Worker process still alive after 4.0 seconds, killing")
    """)
    assert "Worker process still alive" in r.stderr


def test_quiet_distributed_silences_warnings_keeps_errors_and_restores_everything():
    r = _python("""
        import logging, os, sys
        from helpers.studies.quiet import quiet_distributed
        assert "distributed" not in sys.modules
        with quiet_distributed():
            logging.getLogger("distributed.nanny").warning("Worker process still alive after 4.0 seconds, killing")
            logging.getLogger("distributed.scheduler").error("an error still shows")
            print(os.environ["DASK_DISTRIBUTED__LOGGING__DISTRIBUTED"])
        print(logging.getLogger("distributed").level, "DASK_DISTRIBUTED__LOGGING__DISTRIBUTED" in os.environ)
    """)
    assert r.returncode == 0, r.stderr
    assert "still alive" not in r.stderr and "an error still shows" in r.stderr
    assert r.stdout.split() == ["error", "20", "False"]  # distributed's own INFO level is back


def _live_cell_notebook(reps: int = 4, workers: int = 2) -> nbformat.NotebookNode:
    """Chapter 8's parameters, its first code cell (needs the stored study) and its live Dask cell."""
    nb = nbformat.read(ROOT / "chapters" / "08_study_size.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    params = next(c for c in code if "parameters" in c.metadata.get("tags", []))
    first = code[code.index(params) + 1]
    live = next(c for c in code if "live_run(" in c.source)
    out = nbformat.v4.new_notebook()
    out.metadata = nb.metadata
    out.cells = [nbformat.v4.new_code_cell(params.source),
                 nbformat.v4.new_code_cell(f"live_reps = {reps}\nlive_workers = {workers}"),
                 nbformat.v4.new_code_cell(first.source), nbformat.v4.new_code_cell(live.source)]
    return out


def _outputs(nb) -> list:
    """Every output as text (streams and displays), memory addresses masked as nbval does."""
    seen = []
    for i, cell in enumerate(nb.cells):
        for o in cell.get("outputs", []):
            if o["output_type"] == "stream":
                seen.append((i, o["name"], o["text"]))
            elif o["output_type"] in ("display_data", "execute_result"):
                seen += [(i, k, v) for k, v in sorted(o["data"].items()) if k.startswith("text/")]
            else:
                seen.append((i, o["output_type"], str(o)))
    return [(i, k, re.sub(r"0x[0-9a-fA-F]{6,16}", "0xADDRESS", v)) for i, k, v in seen]


@pytest.mark.slow
def test_chapter8_live_cell_twice_under_a_cpu_hog_gives_identical_quiet_output(monkeypatch):
    from nbclient import NotebookClient

    if not list((ROOT / "data" / "power").glob("*.parquet")):
        pytest.skip("no stored design study in data/power")
    # the kernel gets no quieting environment: the helpers must be quiet by themselves
    monkeypatch.delenv(ENV_KEY, raising=False)
    monkeypatch.setenv("PYTHONPATH", str(ROOT / "src"))
    hog_code = "import time\nend = time.time() + 900\nwhile time.time() < end:\n    pass\n"
    hogs = [subprocess.Popen([sys.executable, "-c", hog_code]) for _ in range(max(2, os.cpu_count() or 1))]
    try:
        runs = []
        for _ in range(2):
            nb = _live_cell_notebook(reps=1)   # one twin per cell: the cluster's start and shutdown are the test
            NotebookClient(nb, timeout=900, kernel_name="python3",
                           resources={"metadata": {"path": str(ROOT / "chapters")}}).execute()
            runs.append(_outputs(nb))
    finally:
        for h in hogs:
            h.kill()
            h.wait()
    first, second = runs
    assert first == second
    streams = [(i, name, text) for i, name, text in first if name in ("stderr", "stdout")]
    assert not [s for s in streams if s[1] == "stderr"], streams
    text = "\n".join(v for _, _, v in first)
    assert "WARNING" not in text and "distributed." not in text
    # the live run's own sentence (its size follows the CI profile's grid and worlds)
    assert re.search(r"The live run computed \d+ twins in \d+ cells", text), text[-300:]


def test_a_critical_quiet_silences_errors_and_a_nested_quiet_keeps_it():
    # the live run's cell: a worker's heartbeat traceback (ERROR) must not reach the page
    r = _python("""
        import logging, os
        from helpers.studies.quiet import quiet_distributed
        with quiet_distributed(logging.CRITICAL):
            with quiet_distributed():   # the design runner's own call, nested
                logging.getLogger("distributed.worker").error("Failed to communicate with scheduler")
                print(os.environ["DASK_DISTRIBUTED__LOGGING__DISTRIBUTED"])
            print(os.environ["DASK_DISTRIBUTED__LOGGING__DISTRIBUTED"])
        with quiet_distributed():
            print(os.environ["DASK_DISTRIBUTED__LOGGING__DISTRIBUTED"])
    """)
    assert r.returncode == 0, r.stderr
    assert "Failed to communicate" not in r.stderr
    assert r.stdout.split() == ["critical", "critical", "error"]
