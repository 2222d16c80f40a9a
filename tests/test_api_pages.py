"""The API appendix's page plan (_ext/api_pages.py): every module on exactly one page."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))

import api_pages  # noqa: E402


def test_every_layer_module_is_on_exactly_one_page_and_splits_take_their_kind():
    pages = api_pages.pages()
    on = [m for page, _ in pages for m in api_pages.page_modules(page)]
    every = [m for layer, _ in api_pages.LAYERS for m in api_pages.layer_modules(layer)]
    assert sorted(on) == sorted(every) and len(on) == len(set(on))
    sentences = api_pages.page_modules("book_sentences")
    assert "helpers.book.study_sentences" in sentences and all(m.endswith("_sentences") for m in sentences)
    assert "helpers.book.tables" in api_pages.page_modules("book")
    assert "helpers.data.plausibility" in api_pages.page_modules("data_checks")
    assert "helpers.data.plausibility" not in api_pages.page_modules("data")


def test_every_api_page_has_a_source_file_and_a_toc_entry():
    toc = (ROOT / "_toc.yml").read_text()
    for page, _ in api_pages.pages():
        doc = f"{api_pages.PAGE_PREFIX}{page}"
        assert (ROOT / f"{doc}.md").is_file(), doc
        assert f"file: {doc}\n" in toc, doc
    assert yaml.safe_load(toc)   # still valid YAML
