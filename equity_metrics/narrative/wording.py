"""The words of a generated sentence in a language: group nouns, the comparison group, indicator names and
events, test names, notes and places, each from the glossary (`locales/glossary.csv`) or the catalogue.

English is what `findings` always wrote (its own `group_noun`); another language takes a group's noun from
the glossary when it holds it ("Black or African American students" -> "los estudiantes negros o
afroamericanos") and otherwise names the group after the noun ("estudiantes (Negro o afroamericano,
Masculino)"), never by joining English fragments.
"""

from __future__ import annotations

import re

from equity_metrics.core.constants import TWO_OR_MORE, UNKNOWN
from equity_metrics.core.i18n import N_, Translator
from equity_metrics.core.stats import CHI_SQUARE, FISHER_EXACT
from equity_metrics.measures.indicators import Indicator
from equity_metrics.measures.metrics import (
    ALL_OTHERS,
    COMPARISON_BELOW_MINIMUMS,
    PROTECTED_NOTE_COUNT,
    PROTECTED_NOTE_GROUP,
    MetricOptions,
)
from equity_metrics.measures.respondents import CLUSTERED_Z
from equity_metrics.narrative import scope

# Test names the measures write (core.stats), marked for the catalogue.
TEST_NAMES = {CHI_SQUARE: N_("chi-square"), FISHER_EXACT: N_("Fisher's exact"),
              CLUSTERED_Z: N_("z test, clustered by respondent")}


def capitalized(text: str) -> str:
    """The first letter in capitals (a sentence's start); text without letters unchanged."""
    return text[:1].upper() + text[1:]


_FLAG_PHRASES = {
    "Students with disabilities": "with disabilities",
    "Students without disabilities": "without disabilities",
    "Section 504": "with a Section 504 plan",
    "Not Section 504": "without a Section 504 plan",
    "English learners": "who are English learners",
    "Not English learners": "who are not English learners",
    "Low income": "from low-income families",
    "Not low income": "not from low-income families",
}


def english_group_noun(values: dict[str, str], noun: str = "students") -> str:
    """Plural noun for a group or intersection: {'race': 'Black or African American', 'sex': 'Male'} ->
    'Black or African American male students'."""
    adjectives, phrases = [], []
    for dimension, value in values.items():
        if value == UNKNOWN:
            phrases.append(f"of unknown {dimension.replace('_', ' ')}")
        elif dimension == "race" and value == TWO_OR_MORE:
            phrases.append("of two or more races")
        elif dimension == "race":
            adjectives.append(value)
        elif dimension == "sex":
            adjectives.append(value.lower())
        elif dimension == "grade":
            phrases.append(f"in grade {value}")
        elif dimension in ("school", "school_year"):
            phrases.append(f"at {value}" if dimension == "school" else f"in {value}")
        else:
            phrases.append(_FLAG_PHRASES.get(value, value))
    text = " ".join([*adjectives, noun, *phrases]).strip()
    return text[0].upper() + text[1:]


def english_mid_sentence(noun: str) -> str:
    """A group noun inside a sentence: 'Students with disabilities' -> 'students with disabilities';
    names of groups ('Black or African American students') keep their capitals."""
    first = noun.split(" ", 1)[0]
    return first.lower() + noun[len(first):] if first in _COMMON_NOUNS else noun


_COMMON_NOUNS = {"Students", "Teachers", "Applicants", "Staff", "Interviewed"}




def group_noun(values: dict[str, str], noun: str, tr: Translator) -> str:
    """A group as a plural noun in the language, at the start of a sentence (capitalised)."""
    english = english_group_noun(values, noun)
    if tr.english:
        return english
    if len(values) == 1:
        dimension, value = next(iter(values.items()))
        key = english
        if dimension == "race" and value == UNKNOWN:
            key = "Students of unknown race"
        elif dimension == "race" and value == TWO_OR_MORE and noun == "students":
            key = "Students of two or more races"
        found = tr.term(key)
        if found != key:
            return capitalized(found)
    labels = ", ".join(tr.term(value) for value in values.values())
    return capitalized(tr.gettext("{noun} ({groups})").format(noun=tr.term(noun), groups=labels))


def mid_sentence(noun: str, tr: Translator) -> str:
    """A group noun inside a sentence: English as `findings.mid_sentence`; Spanish nouns start lower case
    ("los estudiantes ..."); Chinese has no case."""
    if tr.english:
        return english_mid_sentence(noun)
    return noun[:1].lower() + noun[1:] if noun[:4] in ("Los ", "Las ") else noun


def comparison_phrase(options: MetricOptions, noun: str, tr: Translator) -> str:
    """Whom a group is compared with: 'all other students', 'todos los demás estudiantes', or a chosen group."""
    if tr.english:
        return options.comparison_phrase(noun)
    if options.comparison == ALL_OTHERS:
        return tr.gettext("all other {noun}").format(noun=tr.term(noun))
    return mid_sentence(group_noun({"race": options.comparison}, noun, tr), tr)


def indicator_label(indicator: Indicator, tr: Translator) -> str:
    return tr.term(indicator.label)


def measure_words(indicator: Indicator, tr: Translator) -> str:
    """The indicator's name inside a sentence ('out-of-school suspension'; 'suspensión fuera de la escuela')."""
    label = tr.term(indicator.label)
    return label[0].lower() + label[1:]


def event(indicator: Indicator, tr: Translator) -> str:
    return tr.term(indicator.event)


def test_name(test: str, tr: Translator) -> str:
    return tr.gettext(TEST_NAMES[test]) if test in TEST_NAMES else test


def number(value: float, digits: int, tr: Translator) -> str:
    return tr.plain(value, digits)


def times(ratio: float, tr: Translator) -> str:
    """A risk ratio as 'times as likely': two decimals below 1, else one ('2.9'; '2,9' in Spanish)."""
    return tr.plain(ratio, 2 if ratio < 1 else 1)


def p_text(p_value: float, tr: Translator) -> str:
    if p_value < 0.001:
        return tr.gettext("p < {value}").format(value=tr.plain(0.001, 3))
    return tr.gettext("p = {value}").format(value=tr.plain(p_value, 3))


def q_text(q_value: float, tr: Translator) -> str:
    if q_value < 0.001:
        return tr.gettext("q < {value}").format(value=tr.plain(0.001, 3))
    return tr.gettext("q = {value}").format(value=tr.plain(q_value, 3))


# The measures' notes (metrics._rate_notes), each a template whose numbers are read back out of the English.
_NOTES: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(pattern), message) for pattern, message in (
    (r"fewer than (?P<n>\d+) students: counts hidden \(privacy\)", N_("fewer than {n} students: counts hidden (privacy)")),
    (r"count under (?P<n>\d+) hidden \(privacy\)", N_("count under {n} hidden (privacy)")),
    (r"hidden so a suppressed count cannot be recovered \(complementary suppression\)",
     N_("hidden so a suppressed count cannot be recovered (complementary suppression)")),
    (r"fewer than (?P<n>\d+) students: rate not calculated \(n-size\)",
     N_("fewer than {n} students: rate not calculated (n-size)")),
    (r"fewer than (?P<n>\d+) with the event: risk ratio not calculated \(cell size\)",
     N_("fewer than {n} with the event: risk ratio not calculated (cell size)")),
    (r"comparison group's count is suppressed", N_("comparison group's count is suppressed")),
    (r"comparison group", N_("comparison group")),
    (r"not compared", N_("not compared")),
    (r"(?P<share>[0-9.]+)% of students", N_("{share}% of students")),
    (re.escape(COMPARISON_BELOW_MINIMUMS), N_("comparison group below the minimums: risk ratio not calculated")),
    (re.escape(PROTECTED_NOTE_GROUP), N_("group's counts hidden (privacy: a small count, or one that would reveal one)")),
    (re.escape(PROTECTED_NOTE_COUNT), N_("count hidden (privacy: a small count, or one that would reveal one)")),
))


def note(text: str, tr: Translator) -> str:
    """A table's note (parts joined by '; ') in the language; a part the catalogue does not know stays as
    written."""
    if tr.english or not text:
        return text
    parts = []
    for part in text.split("; "):
        for pattern, message in _NOTES:
            match = pattern.fullmatch(part)
            if match:
                values = {k: tr.plain(float(v), 1) if k == "share" else v for k, v in match.groupdict().items()}
                parts.append(tr.gettext(message).format(**values))
                break
        else:
            parts.append(part)
    return "; ".join(parts)


def finding_where(group: dict[str, str], school_year: str, tr: Translator) -> str:
    """Where a finding holds: 'District, all grades, 2024-25' (`scope.finding_where`), in the language."""
    if tr.english:
        return scope.finding_where(group, school_year)
    place = group.get("school") or tr.gettext("District")
    return tr.gettext("{place}, {grades}, {years}").format(place=place, grades=tr.gettext("all grades"),
                                                           years=school_year)
