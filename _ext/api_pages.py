"""Appendix C, the API reference, as one light page per layer of ``helpers``.

One page documented every module (88,000 px tall, 11 s to load). Now ``chapters/a3_api.md`` is
a short index and each layer has its own page, ``chapters/a3_api_<layer>.md``, whose body is
generated at build time (``source-read``) from the package itself, so moving a module between
layers or adding one needs no edit here:

- a layer that is a package, ``helpers.<layer>``, is documented as a package: with ``__all__``
  its public names (the API the chapters use), without ``__all__`` the names it defines plus
  each public sub-module;
- before the layered layout (modules still at the top of ``helpers``), ``FALLBACK`` says which
  top-level modules a layer page shows;
- a public module on no page is listed on the index, so nothing drops out of the reference.

The layers follow the package's import rule: data < measure < models < analysis and
simulate < studies < scenarios, with ``helpers.book`` (tables, figures, sentences) on top.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

#: Layer pages in reading order: (layer, one-line description).
LAYERS = (
    ("data", "Reading, checking and describing the data: the city registry, loaders, schemas."),
    ("measure", "Indices, agglomeration, coordination, inequality, networks and constructs."),
    ("models", "Estimators: panel fixed effects, IV, mediation, thresholds, spatial models."),
    ("analysis", "The mechanism run and the real-data analysis built from the estimators."),
    ("simulate", "The simulated twin of Guangdong and its true effects."),
    ("studies", "Experiments on twins: Monte Carlo, truth comparisons, the design study."),
    ("scenarios", "Policy scenarios on the extended twin and their uncertainty."),
    ("book", "Figures, tables, sentences and provenance for the chapters."),
)

#: Top-level modules of the pre-layer layout, by the layer page that shows them. Ignored for a
#: layer once ``helpers.<layer>`` is a package.
FALLBACK = {
    "data": ("data", "cities", "schema", "units", "issues", "readers"),
    "measure": ("measure", "network", "constructs"),
    "analysis": ("report", "realdata"),
    "simulate": ("simulate", "estimands", "twin_flows"),
    "studies": ("experiments", "design", "power"),
    "book": ("plots", "scenario_plots", "tables", "narrative", "provenance"),
}

#: Layers whose page would be too tall for a phone (tests/test_browser.py: 40,000 px) give part of
#: their modules a second page: layer -> (page suffix, one-line description, rule), where the rule
#: picks a module by its last name part (a tuple of names or a ``*_suffix`` pattern), so a new
#: module of that kind lands on the second page with no edit here.
SPLITS = {
    "data": ("data_checks", "The plausibility, coherence and unit rules that `check` and the chapters "
             "share, and the issue reports they write.",
             ("coherence", "guards", "issues", "national_rules", "plausibility", "units")),
    "book": ("book_sentences", "The generated sentences of the chapters (every finding sentence is "
             "written from the numbers by one of these).", "*_sentences"),
}

INDEX_DOC = "chapters/a3_api"
PAGE_PREFIX = "chapters/a3_api_"


def _public_children(pkg) -> list[str]:
    """Public sub-modules of a package (no ``_private``, no ``__main__``)."""
    path = getattr(pkg, "__path__", None)
    if path is None:
        return []
    return sorted(f"{pkg.__name__}.{m.name}" for m in pkgutil.iter_modules(path)
                  if not m.name.startswith("_"))


def _import(name: str):
    """The module, or None when it does not exist in the imported package's own tree (an
    editable install elsewhere can still answer for a module this version has moved)."""
    try:
        mod = importlib.import_module(name)
    except ImportError:
        return None
    root = importlib.import_module(name.split(".")[0])
    here = Path(getattr(root, "__file__", "")).parent
    where = getattr(mod, "__file__", None)
    if where is not None and here not in Path(where).parents:
        return None
    return mod


def _is_package(name: str) -> bool:
    mod = _import(name)
    return mod is not None and hasattr(mod, "__path__")


def layer_modules(layer: str, root: str = "helpers") -> list[str]:
    """Modules documented on the page of ``layer``, in order.

    A package with ``__all__`` stands for its sub-modules (it re-exports their public names);
    a package without ``__all__`` is followed by its public sub-modules.
    """
    pkg_name = f"{root}.{layer}"
    names = []
    if _is_package(pkg_name):
        names.append(pkg_name)
        pkg = _import(pkg_name)
        if not hasattr(pkg, "__all__"):
            for child in _public_children(pkg):
                names.append(child)
                mod = _import(child)
                if mod is not None and hasattr(mod, "__path__") and not hasattr(mod, "__all__"):
                    names += _public_children(mod)
    # modules of the pre-layer layout that still sit at the top of the package
    names += [f"{root}.{m}" for m in FALLBACK.get(layer, ())
              if f"{root}.{m}" not in names and _import(f"{root}.{m}") is not None]
    return names


def covered_modules(root: str = "helpers") -> set[str]:
    """Every module some layer page documents, directly or through its package's ``__all__``."""
    covered: set[str] = set()
    for layer, _ in LAYERS:
        for name in layer_modules(layer, root):
            covered.add(name)
            mod = _import(name)
            if mod is not None and hasattr(mod, "__all__") and hasattr(mod, "__path__"):
                covered.update(_public_children(mod))
    return covered


def uncovered_modules(root: str = "helpers") -> list[str]:
    """Public modules of ``root`` (recursively) that no layer page documents."""
    top = _import(root)
    found = []
    for info in pkgutil.walk_packages(top.__path__, prefix=f"{root}."):
        parts = info.name.split(".")
        if any(p.startswith("_") for p in parts[1:]):
            continue
        found.append(info.name)
    covered = covered_modules(root)
    # a sub-module of a documented package with __all__ is covered by that package
    return sorted(n for n in found if n not in covered
                  and not any(n.startswith(c + ".") and hasattr(_import(c), "__all__")
                              for c in covered if _is_package(c)))


def _package_members(name: str) -> list[str] | None:
    """Explicit members of a package without ``__all__``: the functions and classes it defines
    or takes from its private sub-modules (``_model``), and its ``#:``-documented attributes.
    ``None`` for a module or a package with ``__all__`` (autodoc's own ``:members:`` is right)."""
    mod = _import(name)
    if mod is None or not hasattr(mod, "__path__") or hasattr(mod, "__all__"):
        return None
    own = (name, f"{name}._")
    members = [k for k, v in vars(mod).items() if not k.startswith("_")
               and (callable(v) or isinstance(v, type))
               and (getattr(v, "__module__", "") == name
                    or getattr(v, "__module__", "").startswith(own[1]))]
    from sphinx.errors import PycodeError
    from sphinx.pycode import ModuleAnalyzer

    try:
        docs = ModuleAnalyzer.for_module(name).find_attr_docs()
    except PycodeError:  # no source to analyse: the functions and classes are enough
        return members
    return members + [attr for (ns, attr) in docs if ns == "" and not attr.startswith("_")
                      and attr not in members]


def _machine_paths(name: str) -> list[str]:
    """Module attributes whose value is a path on the build machine (``DEFAULT_PANEL``): their
    value would print the machine's absolute path in the page, so they are documented without
    it (``:no-value:``)."""
    import os

    from sphinx.errors import PycodeError
    from sphinx.pycode import ModuleAnalyzer

    mod = _import(name)
    if mod is None:
        return []
    try:  # only attributes the reference shows: documented by a #: comment or in __all__
        shown = {attr for (ns, attr) in ModuleAnalyzer.for_module(name).find_attr_docs() if ns == ""}
    except PycodeError:
        shown = set()
    shown |= set(getattr(mod, "__all__", ()))
    return sorted(k for k, v in vars(mod).items() if k in shown
                  and isinstance(v, os.PathLike | str) and os.path.isabs(os.fspath(v)))


def _automodule(name: str) -> str:
    members = _package_members(name)
    hidden = _machine_paths(name)
    if members is not None:
        members = [m for m in members if m not in hidden]
    opt = "   :members:" if members is None else (
        f"   :members: {', '.join(members)}" if members else "")
    if hidden and members is None:
        opt += f"\n   :exclude-members: {', '.join(hidden)}"
    extra = "".join(f"\n.. autodata:: {name}.{h}\n   :no-value:\n" for h in hidden)
    return f"\n## `{name}`\n\n```{{eval-rst}}\n.. automodule:: {name}\n{opt}\n{extra}```\n"


def _in_split(name: str, rule) -> bool:
    last = name.rsplit(".", 1)[-1]
    if isinstance(rule, str):
        return last.endswith(rule.lstrip("*"))
    return last in rule


def page_modules(page: str, root: str = "helpers") -> list[str]:
    """Modules on the page ``page``: a layer (without the modules of its split page) or a split
    page of :data:`SPLITS`."""
    for layer, (suffix, _, rule) in SPLITS.items():
        if page == suffix:
            return [m for m in layer_modules(layer, root) if _in_split(m, rule)]
    mods = layer_modules(page, root)
    if page in SPLITS:
        mods = [m for m in mods if not _in_split(m, SPLITS[page][2])]
    return mods


def pages() -> list[tuple[str, str]]:
    """Every API page in reading order: (page, one-line description); a split page follows its layer."""
    out = []
    for layer, blurb in LAYERS:
        out.append((layer, blurb))
        if layer in SPLITS:
            out.append(SPLITS[layer][:2])
    return out


def layer_page(layer: str, blurb: str, root: str = "helpers") -> str:
    """MyST source of one layer page (or split page)."""
    mods = page_modules(layer, root)
    head = f"{blurb}\n"
    if not mods:
        return head + f"\nThe package `{root}` has no `{layer}` layer in this version.\n"
    listing = ", ".join(f"`{m}`" for m in mods)
    head += f"\nModules on this page: {listing}.\n"
    return head + "".join(_automodule(m) for m in mods)


def index_page(root: str = "helpers") -> str:
    """The body of the index page: one line per layer, then any module on no page."""
    lines = ["", "| layer | what it holds | modules |", "|---|---|---|"]
    for layer, blurb in pages():
        mods = ", ".join(f"`{m}`" for m in page_modules(layer, root)) or "(none)"
        lines.append(f"| {{doc}}`{layer} <a3_api_{layer}>` | {blurb} | {mods} |")
    rest = uncovered_modules(root)
    if rest:
        lines += ["", "Modules outside the layer pages:", ""]
        lines += [_automodule(m) for m in rest]
    return "\n".join(lines) + "\n"


def _fill(app, docname, source):
    if docname == INDEX_DOC:
        source[0] += index_page()
        return
    if docname.startswith(PAGE_PREFIX):
        layer = docname[len(PAGE_PREFIX):]
        blurb = dict(pages()).get(layer)
        if blurb is not None:
            source[0] += layer_page(layer, blurb)


def setup(app):
    app.connect("source-read", _fill)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
