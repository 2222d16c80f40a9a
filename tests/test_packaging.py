"""The package installs from a wheel and finds its bundled data without the repository."""

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from helpers import data

ROOT = Path(__file__).resolve().parents[1]


def test_bundled_files_are_found_by_name():
    assert data.bundled_file("guangdong_twin_panel.csv") == data.DEFAULT_PANEL
    assert data.DEFAULT_PANEL.samefile(ROOT / "data" / "guangdong_twin_panel.csv")  # data/ is the one copy
    with pytest.raises(FileNotFoundError, match="no bundled data file 'nope.csv'"):
        data.bundled_file("nope.csv")


def test_realdata_dir_follows_the_environment_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("HELPERS_REALDATA", str(tmp_path))
    assert data.default_realdata_dir() == tmp_path
    monkeypatch.delenv("HELPERS_REALDATA")
    assert data.default_realdata_dir() == ROOT.parent / "shared" / "realdata"


def _run(cmd, **kw):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=600, **kw)
    assert r.returncode == 0, f"{cmd[:4]} failed:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}"
    return r.stdout


@pytest.mark.slow
def test_wheel_carries_every_bundled_csv_and_loads_the_panel_outside_the_repository(tmp_path):
    # build from a copy, so the checkout gets no build/ or egg-info
    src = tmp_path / "project"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".venv", "_build", ".git", "*.egg-info", "__pycache__", "build", "chapters", "tests", "tools"))
    wheels = tmp_path / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
          "-w", wheels, src])
    whl = next(wheels.glob("helpers-*.whl"))
    names = set(zipfile.ZipFile(whl).namelist())
    for csv in (ROOT / "data").glob("*.csv"):
        assert f"helpers/_bundled/{csv.name}" in names, csv.name
    assert "helpers/models/__init__.py" in names

    # a fresh venv with the wheel; its dependencies come from this environment's site-packages
    # (added as a plain path: the editable install's finder there is not activated)
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    site = next(venv.glob("lib/python*/site-packages"))
    _run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--target", site, whl])
    (site / "project_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = ("import helpers, helpers.data as d; p = d.load_panel(); "
            "print(helpers.__file__); print(d.DEFAULT_PANEL); print(len(p), p.attrs['simulated']); "
            "print(d.default_realdata_dir())")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "HELPERS_REALDATA")}
    out = _run([venv / "bin" / "python", "-c", code], cwd=elsewhere, env=env).splitlines()
    assert out[0].startswith(str(site)) and out[1].startswith(str(site))
    assert out[2] == "273 True"  # 21 cities x 13 years of the simulated twin
    assert Path(out[3]) == elsewhere.parent / "shared" / "realdata"  # no repository: relative to the cwd

    # the README's reuse example runs as printed, from the wheel, outside the repository
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = re.search(r"## Reusing the helpers.*?```python\n(.*?)```", readme, re.S).group(1)
    out = _run([venv / "bin" / "python", "-c", example + "\nprint(type(thr).__name__, med.nobs)"],
               cwd=elsewhere, env=env).splitlines()
    assert out[-1] == "ThresholdResult 273"
