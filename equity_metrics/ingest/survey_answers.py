"""Survey answers written as words ("Strongly agree", "De acuerdo") read onto the 1-5 agreement scale the store
keeps (`survey.response`: 1 strongly disagree ... 5 strongly agree).

The guess (`guessing.guess_columns`) finds item columns answered with these words and puts the reading into the
mapping's code overrides for `response`, so it is shown with the mapping (and can be changed with `--code`); a
four-point scale without a middle answer keeps its ends and sides (agree 4, disagree 2). A word outside these
lists is never guessed: `unread_answers` finds it, and the command line refuses the file naming the columns and
`--code response:WORD=N` (status_codes.unread_message).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import duckdb

from equity_metrics.core.codes import code_key
from equity_metrics.ingest.cleaning import cleaned_sql
from equity_metrics.storage.store import quote_identifier

SCALE_POINTS = ("1", "2", "3", "4", "5")  # what an answer may be read as (or Unknown: no answer)
# The answers each language writes, as shown in the reading (the first spelling of each point is shown).
AGREEMENT: dict[str, dict[str, int]] = {
    "English": {"Strongly disagree": 1, "Disagree": 2, "Neither agree nor disagree": 3, "Neutral": 3,
                "Neither agree or disagree": 3, "Agree": 4, "Strongly agree": 5},
    "Spanish": {"Totalmente en desacuerdo": 1, "Muy en desacuerdo": 1, "En desacuerdo": 2,
                "Ni de acuerdo ni en desacuerdo": 3, "De acuerdo": 4, "Totalmente de acuerdo": 5,
                "Muy de acuerdo": 5},
}
_POINTS = {code_key(word): (language, point) for language, words in AGREEMENT.items() for word, point in words.items()}
_NUMBER = {code_key(p) for p in SCALE_POINTS} | {f"{p} 0" for p in SCALE_POINTS}  # "4", "4.0"
ENOUGH_WORDS = 0.8  # share of the worded answers the lists must read for the columns to be read as words


def _worded(value: str) -> bool:
    key = code_key(value)
    return bool(key) and key not in _NUMBER and any(c.isalpha() for c in key)


def agreement_word(value: str) -> bool:
    """Whether an answer is one of the agreement words read here (any capitals and punctuation)."""
    return code_key(value) in _POINTS


def answer_reading(values: Sequence[str]) -> dict[str, str]:
    """The code overrides that read a survey's worded answers (sample values of its item columns, blanks
    left out): every word of each language seen -> its point, as text; {} when the answers are numbers or
    too few of the words are known."""
    words = [v for v in values if _worded(v)]
    if not words:
        return {}
    known = [_POINTS[code_key(v)] for v in words if code_key(v) in _POINTS]
    if len(known) < ENOUGH_WORDS * len(words):
        return {}
    languages = Counter(language for language, _ in known)
    return {word: str(point) for language in AGREEMENT if languages[language]
            for word, point in AGREEMENT[language].items()}


def reading_said(reading: dict[str, str]) -> str:
    """The reading in words, one spelling per point ("'Strongly disagree' 1, 'Disagree' 2, ...")."""
    first: dict[tuple[str, str], str] = {}
    for language, words in AGREEMENT.items():
        for word, point in words.items():
            if word in reading:
                first.setdefault((language, str(point)), word)
    parts = [f"{word!r} {point}" for (_, point), word in first.items()]
    return ("answers written as words, read on the 1-5 agreement scale: " + ", ".join(parts)
            + "; another reading with --code \"response:WORD=N\"")


def unread_answers(table: object, columns: Sequence[str],
                   reading: dict[str, str]) -> tuple[tuple[str, int], ...]:
    """The worded answers of the item `columns` of an Arrow `table` that neither the reading nor a number
    reads, with how many answers each is (most first): one GROUP BY per column in a private in-memory
    database."""
    said = {code_key(raw) for raw in reading}
    counts: Counter[str] = Counter()
    connection = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False,
                                                    "autoload_known_extensions": False})
    try:
        connection.execute("SET enable_external_access = false")
        connection.register("__answers", table)
        for column in columns:
            value = cleaned_sql(f"CAST({quote_identifier(column)} AS VARCHAR)")
            for raw, n in connection.execute(f"SELECT {value} AS v, count(*) FROM __answers WHERE {value} IS NOT NULL "
                                             "GROUP BY ALL").fetchall():
                if _worded(str(raw)) and code_key(str(raw)) not in said:
                    counts[str(raw)] += int(n)
    finally:
        connection.close()
    return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
