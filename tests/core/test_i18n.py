"""Issue 18: the catalogues, the glossary and the locale formats.

Every message the code produces is in both catalogues with a translation that keeps its placeholders; every
group label, indicator name, domain and event is in the glossary in both languages; numbers, percents and dates
are written as each locale writes them (exact strings)."""

from __future__ import annotations

import csv
import importlib.util
import string
from datetime import date
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from equity_metrics.core import i18n
from equity_metrics.core.constants import DIMENSIONS, GRADE_BANDS, RACE_LABELS, SEX_LABELS
from equity_metrics.core.i18n import glossary_term, language, translator
from equity_metrics.measures.indicators import INDICATORS

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("update_catalogues", ROOT / "scripts" / "update_catalogues.py")
catalogues = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(catalogues)


@pytest.fixture(scope="module")
def used() -> dict:
    return catalogues.messages()


def _catalogue(code: str):
    with i18n.catalogue_path(code).open("rb") as handle:
        return read_po(handle)


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("code", i18n.TRANSLATED)
def test_every_message_used_in_code_is_translated(code: str, used: dict) -> None:
    catalogue = _catalogue(code)
    missing = [f"{where}: {message!r}" for message, where in used.items()
               if catalogue.get(message) is None or not catalogue.get(message).string]
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("code", i18n.TRANSLATED)
def test_every_catalogue_message_has_a_translation_with_the_same_placeholders(code: str) -> None:
    catalogue = _catalogue(code)
    empty, wrong = [], []
    for message in catalogue:
        if not message.id:
            continue
        if not message.string or message.fuzzy:
            empty.append(message.id)
        elif _fields(message.id) != _fields(message.string):
            wrong.append(f"{message.id!r} -> {message.string!r}")
    assert not empty, empty
    assert not wrong, "\n".join(wrong)


def test_the_extractor_finds_messages_in_code() -> None:
    """The check above is only as good as the extraction: a known message of each kind of call is found."""
    found = catalogues.messages()
    assert "Equity audit, {year}" in found  # tr.gettext(...)
    assert "Overview" in found  # _(...) in app.py
    assert "chi-square" in found  # N_(...)
    assert "Risk ratio" in found  # a column label


def test_the_catalogue_is_used_when_a_language_is_chosen() -> None:
    assert translator("es").gettext("Equity audit, {year}") == "Auditoría de equidad, {year}"
    assert translator("zh").gettext("Equity audit, {year}") == "{year}学年公平性审查"
    assert translator("en").gettext("Equity audit, {year}") == "Equity audit, {year}"
    assert translator("es").ngettext("one", "many", 2) == "many"  # not in the catalogue: English plural rule


def test_language_codes() -> None:
    assert [language(c) for c in ("en", "es", "zh", "zh-Hans", "zh_Hans", None)] == ["en", "es", "zh", "zh", "zh", "en"]
    with pytest.raises(ValueError, match="unknown language"):
        language("fr")
    assert [translator(c).html_lang for c in ("en", "es", "zh")] == ["en", "es", "zh-Hans"]


def test_numbers_percents_and_dates_per_locale() -> None:
    en, es, zh = translator("en"), translator("es"), translator("zh")
    assert (en.decimal(1234.5), es.decimal(1234.5), zh.decimal(1234.5)) == ("1,234.5", "1.234,5", "1,234.5")
    assert (en.percent(0.1234), es.percent(0.1234), zh.percent(0.1234)) == ("12.3%", "12,3\u00a0%", "12.3%")
    assert es.percent(0.5, 0) == "50\u00a0%"
    assert (en.plain(2.94, 1), es.plain(2.94, 1), es.plain(0.456, 2)) == ("2.9", "2,9", "0,46")
    assert (en.integer(15330), es.integer(15330), zh.integer(15330)) == ("15,330", "15.330", "15,330")
    day = date(2025, 9, 15)
    assert (en.date(day), es.date(day), zh.date(day)) == ("2025-09-15", "15 sept 2025", "2025年9月15日")
    assert es.percent(float("nan")) == en.percent(float("nan")) == "—"


def test_english_percent_is_what_the_library_always_wrote() -> None:
    for value in (0.0, 0.00125, 0.1049999, 0.105, 0.2675, 1.0):
        assert translator("en").percent(value) == f"{value * 100:.1f}%"


def test_the_glossary_holds_every_group_label_and_indicator() -> None:
    with (ROOT / "locales" / "glossary.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["term", "es", "zh-Hans", "notes"]
    terms = [row["term"] for row in rows]
    assert len(terms) == len(set(terms)), "a term twice"
    assert all(row["es"] and row["zh-Hans"] for row in rows), [row["term"] for row in rows if not (row["es"] and row["zh-Hans"])]
    flags = [v for d in ("disability", "section_504", "english_learner", "low_income") for v in DIMENSIONS[d].values]
    wanted = {*RACE_LABELS, *SEX_LABELS, *flags, *GRADE_BANDS, *(d.label for d in DIMENSIONS.values()),
              *(i.label for i in INDICATORS.values()), *(i.domain for i in INDICATORS.values()),
              *(i.event for i in INDICATORS.values() if i.kind == "rate")}
    assert sorted(wanted - set(terms)) == []


def test_a_term_is_rendered_one_way() -> None:
    assert glossary_term("Black or African American", "es") == "Negro o afroamericano"
    assert glossary_term("Black or African American", "zh") == "黑人或非裔美国人"
    assert glossary_term("Out-of-school suspension", "zh") == "校外停学"
    assert glossary_term("Out-of-school suspension", "en") == "Out-of-school suspension"
    assert glossary_term("Maple Grove Middle", "es") == "Maple Grove Middle"  # not a term: as written
    assert translator("es").term("Low income") == glossary_term("Low income", "es") == "Bajos ingresos"


def test_no_message_is_translated_inside_an_f_string() -> None:
    """Babel's extractor does not look inside f-strings: a gettext call there would never reach the catalogue."""
    import ast

    found = []
    for path in catalogues.source_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):
                for inner in ast.walk(node):
                    if (isinstance(inner, ast.Call) and isinstance(inner.args[:1] and inner.args[0], ast.Constant)
                            and getattr(inner.func, "attr", getattr(inner.func, "id", "")) in catalogues.KEYWORDS):
                        found.append(f"{path.relative_to(ROOT)}:{inner.lineno}")
    assert not found, found
