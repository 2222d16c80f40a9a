"""environment.yml, requirements.in and requirements.lock name the same exact versions."""

import re

import yaml


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(lines):
    out = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.\-\[\]]+)==([^\s;]+)", line)
        assert m, f"not an exact pin: {line!r}"
        out[_norm(m.group(1))] = m.group(2)
    return out


def test_direct_dependencies_are_pinned_identically(root):
    direct = _pins((root / "requirements.in").read_text().splitlines())
    lock = _pins((root / "requirements.lock").read_text().splitlines())
    env = yaml.safe_load((root / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    conda = _pins(pip_section)
    assert "python=3.11" in env["dependencies"]
    assert conda == direct, "environment.yml and requirements.in disagree"
    for name, version in direct.items():
        assert lock.get(name) == version, f"{name}: requirements.in {version}, lock {lock.get(name)}"


def test_jupyter_book_stays_on_version_1(root):
    lock = _pins((root / "requirements.lock").read_text().splitlines())
    assert lock["jupyter-book"].startswith("1.")
    assert lock["sphinx"].startswith("7.")


def test_package_dependencies_are_in_the_lock(root):
    import tomllib

    deps = tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"]
    lock = _pins((root / "requirements.lock").read_text().splitlines())
    missing = [d for d in deps if _norm(re.split(r"[<>=!~ ]", d)[0]) not in lock]
    assert not missing
