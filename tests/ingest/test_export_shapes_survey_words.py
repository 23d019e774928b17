"""Issue 13: climate survey exports whose answers are words ("Strongly agree" ... "Strongly disagree", or Spanish
"Totalmente de acuerdo" ... "Totalmente en desacuerdo") load on the 1-5 agreement scale the store keeps; the
reading is said with the mapping; a word no reading knows stops the command line's import, naming the item
columns and --code, and --code reads it."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest
from fixtures.command_line import run_cli

from equity_metrics.ingest.mapping import Mapping, canonical_values
from equity_metrics.ingest.survey_answers import answer_reading
from equity_metrics.storage.store import Store

ENGLISH = {"Strongly disagree": 1, "Disagree": 2, "Neither agree nor disagree": 3, "Agree": 4, "Strongly agree": 5}
SPANISH = {"Totalmente en desacuerdo": 1, "En desacuerdo": 2, "Ni de acuerdo ni en desacuerdo": 3, "De acuerdo": 4,
           "Totalmente de acuerdo": 5}


def survey(path: Path, words: list[str], items: list[str]) -> Path:
    """Twenty anonymous respondents; respondent i answers item j with words[(i + j) % len(words)]."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Survey Year", "School Code", "Respondent Type", *items])
        for i in range(20):
            writer.writerow(["2023-24", "0101", "Student", *(words[(i + j) % len(words)] for j in range(len(items)))])
    return path


def answers(db: Path) -> list[tuple[str, float, int]]:
    with duckdb.connect(str(db), read_only=True) as connection:
        return connection.execute("SELECT item_id, response, count(*) FROM survey GROUP BY ALL ORDER BY 1, 2").fetchall()


def run(tmp_path: Path, path: Path, *options: str) -> tuple[int, str, str, Path]:
    db = tmp_path / "store.duckdb"
    Store(db).close()
    code, out, err = run_cli("import", str(path), "--db", str(db), *options)
    return code, out, err, db


@pytest.mark.parametrize("scale, items", [
    (ENGLISH, ["Q1 I belong at this school", "Q2 Adults care about me", "Q3 I feel safe"]),
    (SPANISH, ["Q1 Pertenezco a esta escuela", "Q2 Los adultos me cuidan", "Q3 Me siento seguro"]),
    (ENGLISH, ["I belong at this school", "Adults care about me", "I feel safe"]),  # no Q numbers: the answers say
])
def test_answers_written_as_words_are_read_on_the_scale(tmp_path: Path, scale: dict[str, int], items: list[str]) -> None:
    words = list(scale)
    code, out, err, db = run(tmp_path, survey(tmp_path / "climate.csv", [w.upper() if i == 0 else w
                                                                        for i, w in enumerate(words)], items))
    assert code == 0, err
    assert "60 of 60 rows imported as Climate survey responses" in out
    first = next(iter(scale))
    assert f"answers written as words, read on the 1-5 agreement scale: {first!r} 1," in out
    expected = expected_answers(words, scale, items)
    assert answers(db) == expected


def expected_answers(words: list[str], scale: dict[str, int], items: list[str]) -> list[tuple[str, float, int]]:
    """What the store should hold: each item's answers as points, counted."""
    counts: dict[tuple[str, float], int] = {}
    for i in range(20):
        for j, item in enumerate(items):
            item_id = item.split()[0] if item.startswith("Q") else item
            key = (item_id, float(scale[words[(i + j) % len(words)]]))
            counts[key] = counts.get(key, 0) + 1
    return sorted((item, point, n) for (item, point), n in counts.items())


def test_a_four_point_scale_keeps_its_sides(tmp_path: Path) -> None:
    words = ["Strongly disagree", "Disagree", "Agree", "Strongly agree"]
    code, out, err, db = run(tmp_path, survey(tmp_path / "four.csv", words, ["Q1 Belong", "Q2 Care", "Q3 Safe"]))
    assert code == 0, err
    assert {point for _, point, _ in answers(db)} == {1.0, 2.0, 4.0, 5.0}


def test_an_unknown_word_is_refused_naming_the_columns_and_code(tmp_path: Path) -> None:
    words = [*ENGLISH, "Mostly agree"]
    path = survey(tmp_path / "unknown.csv", words[:4] * 4 + ["Mostly agree"], ["Q1 Belong", "Q2 Care", "Q3 Safe"])
    code, out, err, db = run(tmp_path, path)
    assert code == 2
    assert "response (the item columns 'Q1 Belong', 'Q2 Care', 'Q3 Safe'): 'Mostly agree'" in err
    assert '--code "response:Mostly agree=1|2|3|4|5|Unknown"' in err
    code, out, err, db = run(tmp_path, path, "--code", "response:Mostly agree=4")
    assert code == 0, err
    assert 4.0 in {point for _, point, _ in answers(db)}


def test_numbers_need_no_reading() -> None:
    assert answer_reading(["1", "4", "5", "3.0"]) == {}
    assert answer_reading(["Agree", "Mostly", "Kind of", "Sort of"]) == {}  # too few words known: no guess
    assert answer_reading(["Agree", "De acuerdo"]).keys() >= set(ENGLISH) | set(SPANISH)


def test_a_reading_of_answers_is_a_valid_mapping() -> None:
    assert canonical_values("survey", "response") == ["1", "2", "3", "4", "5", "Unknown"]
    mapping = Mapping("survey", {"school_year": "Y", "school_id": "S", "respondent_type": "T", "response_id": "R",
                                 "item_id": "I", "response": "A"}, code_overrides={"response": {"Agree": "4"}})
    mapping.validate()
    assert Mapping.from_json(mapping.to_json()) == mapping


def test_one_row_per_answer_with_the_answer_written_out(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Response ID", "Survey Year", "School Code", "Respondent Type", "Item", "Response"])
        writer.writerows([f"R{i}", "2023-24", "0101", "Student", f"Q{q}", list(ENGLISH)[(i + q) % 5]]
                         for i in range(10) for q in (1, 2))
    code, out, err, db = run(tmp_path, path)
    assert code == 0, err
    assert "response: 'Response': the header is a name for response, and its values fit; answers written as words" in out
    assert sorted({point for _, point, _ in answers(db)}) == [1.0, 2.0, 3.0, 4.0, 5.0]
    with path.open("a", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerow(["R99", "2023-24", "0101", "Student", "Q1", "Sort of"])
    code, out, err, db = run(tmp_path, path, "--replace")
    assert code == 2 and "response (column 'Response'): 'Sort of' (1 row)" in err
