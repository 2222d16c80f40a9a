"""Notebook hygiene: no outputs in git, one parameters cell each, every chapter in the TOC."""

import ast
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))


def test_mechanism_and_findings_share_one_profile_block():
    # both chapters reuse one cached run: their shared settings must be the same in each profile
    import importlib.util

    spec = importlib.util.spec_from_file_location("execute_chapters", ROOT / "tools" / "execute_chapters.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    shared = ["panel_path", "twin_seed", "boot_seed", "n_boot", "threshold_boot", "wild_boot", "truths_source"]
    for prof in ("book", "ci"):
        profile = yaml.safe_load((ROOT / "profiles" / f"{prof}.yml").read_text())
        p4 = mod.chapter_parameters(profile, ROOT / "chapters" / "04_mechanism.ipynb")
        p5 = mod.chapter_parameters(profile, ROOT / "chapters" / "05_findings.ipynb")
        assert {k: p4.get(k) for k in shared} == {k: p5.get(k) for k in shared}, prof
        assert "seed" not in p4 and "seed" not in p5  # twin_seed and boot_seed, never an ambiguous seed


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_sources_carry_no_outputs(path):
    nb = nbformat.read(path, as_version=4)
    dirty = [i for i, c in enumerate(nb.cells)
             if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs or execution counts; strip them"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_exactly_one_parameters_cell_with_plain_assignments(path):
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, f"{path.name}: {len(cells)} cells tagged parameters"
    tree = ast.parse(cells[0].source)
    assert tree.body and all(isinstance(n, ast.Assign) for n in tree.body)


def _toc_files(node):
    if isinstance(node, dict):
        if "file" in node:
            yield node["file"]
        for v in node.values():
            yield from _toc_files(v)
    elif isinstance(node, list):
        for v in node:
            yield from _toc_files(v)


def test_toc_lists_every_chapter_and_nothing_missing():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = set(_toc_files(toc)) | {toc["root"]}
    on_disk = {str(p.relative_to(ROOT).with_suffix("")) for p in (ROOT / "chapters").glob("*.*")
               if p.suffix in (".ipynb", ".md")}
    assert files == on_disk
    captions = [p["caption"] for p in toc["parts"]]
    for word in ("Background", "Theory", "Measurement", "Mechanism", "Findings", "Appendices"):
        assert any(word in c for c in captions), word


def test_profiles_only_name_declared_parameters():
    import importlib.util

    spec = importlib.util.spec_from_file_location("execute_chapters", ROOT / "tools" / "execute_chapters.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    for prof in ("book", "ci"):
        profile = yaml.safe_load((ROOT / "profiles" / f"{prof}.yml").read_text())
        for nb in NOTEBOOKS:
            mod.chapter_parameters(profile, nb)  # raises SystemExit on an unknown name
        for stem in (profile.get("chapters") or {}):
            assert (ROOT / "chapters" / f"{stem}.ipynb").exists(), f"{prof}.yml names unknown chapter {stem}"


def test_a_raising_cell_fails_execution_naming_chapter_and_cell(tmp_path):
    import subprocess
    import sys

    nb = nbformat.v4.new_notebook()
    p = nbformat.v4.new_code_cell("x = 1")
    p.metadata["tags"] = ["parameters"]
    nb.cells = [p, nbformat.v4.new_code_cell("y = x + 1"), nbformat.v4.new_code_cell("raise ValueError('boom')")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    src = tmp_path / "99_broken.ipynb"
    nbformat.write(nb, src)
    profile = tmp_path / "p.yml"
    profile.write_text("timeout: 60\ndefaults: {}\nchapters: {}\n")
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "execute_chapters.py"), "--profile", str(profile),
                        "--out", str(out), str(src)], capture_output=True, text=True, timeout=300)
    assert r.returncode != 0
    msg = r.stdout + r.stderr
    assert "CHAPTER FAILED" in msg and "99_broken.ipynb" in msg and "cell 3" in msg and "ValueError: boom" in msg
    assert not (out / "99_broken.ipynb").exists()  # no stale output that make would take as up to date
