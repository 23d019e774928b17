"""Languages: one gettext catalogue per language (Babel), a glossary for group labels and indicator names, and
locale formatting of numbers, percents and dates.

Catalogues are `locales/<dir>/LC_MESSAGES/messages.po` (`es`, `zh_Hans`), read with Babel and compiled in
memory when first used, so a fresh clone needs no build step. A message id is the English text itself, with
named placeholders (`"{group} were {ratio} times as likely as {comparison} to {event}"`): English needs no
catalogue, and each language writes the whole sentence in its own word order. `locales/glossary.csv` (term,
es, zh-Hans, notes) renders a group label or an indicator name always the same way.

Language codes are 'en', 'es' and 'zh' (Chinese, Simplified script: 'zh-Hans' in HTML). English output is
exactly what the library wrote before it had languages (the same number formats).
"""

from __future__ import annotations

import csv
import gettext as _gettext
import io
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent

LOCALE_DIR = Path(__file__).resolve().parents[2] / "locales"
GLOSSARY = LOCALE_DIR / "glossary.csv"
DEFAULT_LANGUAGE = "en"
# code -> (name in its own language, Babel locale, catalogue folder, HTML lang attribute, glossary column)
_LANGUAGES: dict[str, tuple[str, str, str, str, str]] = {
    "en": ("English", "en_US", "", "en", ""),
    "es": ("Español", "es", "es", "es", "es"),
    "zh": ("中文（简体）", "zh_Hans_CN", "zh_Hans", "zh-Hans", "zh-Hans"),
}
LANGUAGES: tuple[str, ...] = tuple(_LANGUAGES)
TRANSLATED: tuple[str, ...] = tuple(code for code in LANGUAGES if code != DEFAULT_LANGUAGE)
LANGUAGE_NAMES: dict[str, str] = {code: spec[0] for code, spec in _LANGUAGES.items()}


def language(code: str | None) -> str:
    """A language code checked: 'en', 'es' or 'zh' ('zh-Hans' and 'zh_Hans' read as 'zh'); ValueError else."""
    code = (code or DEFAULT_LANGUAGE).replace("_", "-")
    code = "zh" if code.lower() in ("zh-hans", "zh-cn") else code.lower()
    if code not in _LANGUAGES:
        raise ValueError(f"unknown language {code!r}; use one of {', '.join(LANGUAGES)}")
    return code


def catalogue_path(code: str) -> Path:
    """The .po file of a translated language."""
    return LOCALE_DIR / _LANGUAGES[language(code)][2] / "LC_MESSAGES" / "messages.po"


def _read_catalogue(code: str):  # -> babel.messages.Catalog
    with catalogue_path(code).open("rb") as handle:
        return read_po(handle, locale=_LANGUAGES[code][1])


def _compiled(code: str) -> _gettext.NullTranslations:
    """The catalogue compiled to .mo in memory, loaded by the standard library's gettext (plural rules too)."""
    if code == DEFAULT_LANGUAGE:
        return _gettext.NullTranslations()
    buffer = io.BytesIO()
    write_mo(buffer, _read_catalogue(code))
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def read_glossary(path: Path = GLOSSARY) -> dict[str, dict[str, str]]:
    """term -> {'es': ..., 'zh-Hans': ..., 'notes': ...} from the glossary CSV."""
    with path.open(newline="", encoding="utf-8") as handle:
        return {row["term"]: {k: (v or "") for k, v in row.items() if k != "term"} for row in csv.DictReader(handle)}


@lru_cache(maxsize=1)
def _glossary() -> dict[str, dict[str, str]]:
    return read_glossary()


def glossary_term(term: str, code: str = DEFAULT_LANGUAGE) -> str:
    """A glossary term (group label, indicator name, domain, event) in a language; the English term itself
    in English or when the glossary does not hold it."""
    column = _LANGUAGES[language(code)][4]
    if not column:
        return term
    return _glossary().get(term, {}).get(column) or term


def _legacy_percent(value: float, digits: int) -> str:
    return f"{value * 100:.{digits}f}%"


@dataclass(frozen=True, eq=False)  # holds the compiled catalogue: compared by identity
class Translator:
    """One language: its messages, glossary and number formats. `translator(code)` makes (and caches) it."""

    code: str
    catalogue: _gettext.NullTranslations = field(repr=False)

    @property
    def locale(self) -> Locale:
        return Locale.parse(_LANGUAGES[self.code][1])

    @property
    def html_lang(self) -> str:
        """The HTML lang attribute: 'en', 'es', 'zh-Hans'."""
        return _LANGUAGES[self.code][3]

    @property
    def english(self) -> bool:
        return self.code == DEFAULT_LANGUAGE

    def gettext(self, message: str) -> str:
        return self.catalogue.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.catalogue.ngettext(singular, plural, n)

    def term(self, english: str) -> str:
        """A glossary term in this language."""
        return glossary_term(english, self.code)

    def decimal(self, value: float, digits: int = 1) -> str:
        """A number with `digits` decimals: '1234.5' in English as Python writes it, '1.234,5' in Spanish."""
        if self.english:
            return f"{value:,.{digits}f}"
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, pattern, locale=self.locale)

    def plain(self, value: float, digits: int) -> str:
        """A number with `digits` decimals and no grouping ('2.9'; '2,9' in Spanish)."""
        if self.english:
            return f"{value:.{digits}f}"
        pattern = "0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, pattern, locale=self.locale, group_separator=False)

    def integer(self, value: int) -> str:
        return f"{int(value):,}" if self.english else format_decimal(int(value), "#,##0", locale=self.locale)

    def percent(self, value: float, digits: int = 1) -> str:
        """'12.3%' (English as before), '12,3 %' (Spanish), '12.3%' (Chinese); '—' when missing."""
        if value is None or value != value or value in (float("inf"), float("-inf")):
            return "—"
        if self.english:
            return _legacy_percent(value, digits)
        pattern = self.locale.percent_formats[None].pattern.replace("#,##0", "#,##0" + ("." + "0" * digits if digits else ""))
        return format_percent(value, pattern, locale=self.locale)

    def date(self, value: date) -> str:
        """ISO in English (as before); the locale's medium date otherwise ('15 sept 2025', '2025年9月15日')."""
        return value.isoformat() if self.english else format_date(value, "medium", locale=self.locale)


@lru_cache(maxsize=len(_LANGUAGES))
def translator(code: str | None = DEFAULT_LANGUAGE) -> Translator:
    """The Translator of a language code ('en', 'es', 'zh'), its catalogue read once per process."""
    code = language(code)
    return Translator(code, _compiled(code))


ENGLISH = translator(DEFAULT_LANGUAGE)


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark for extraction, translate later"
    """Marks a message for the catalogue where it is defined; translated where it is shown."""
    return message
