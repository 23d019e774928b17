"""Issue 13: shapes of real student-information-system exports that an adversarial probe found misread
(session 9), each imported from the command line into a blank store and read back from the store: the value
stored, not the guess reported, is what is checked.

- Race asked as two questions: PowerSchool's FedEthnicity with Race_AM ... Race_WH as Y/N or 1/0 (or bare AM,
  AS, BL ... columns), an "Ethnicity" column written out beside a "Race" column of codes, a "Race Codes" list.
- A yes/no column is never read as race ('N' is a race letter elsewhere), nor a status column of one code.
- Dates day first (15/09/2024, 15.09.2024), with a month name (15-Sep-2024) or ISO with a time; the order is
  said. Decimal commas (0,5 days) are not read as thousands separators (5 days).
- An action written as a word no list reads stops the command line's import (naming the column, the rows and
  --code) instead of dropping its rows; common spellings (Susp-OSS, Short-Term Suspension) are read.
- A school column of names ("Building": Lincoln Elementary) gets the code a "School Name" column gets, so a
  roster and a discipline file name the same school alike.
- A score file with a performance level written out and no proficient column gives the proficiency rate
  (Standard Met/Exceeded, Meets Expectations are proficient); numbered levels are read only as --code says.
- "Excel" exports that are text: a tab-separated UTF-16 file named .xls is read as the text it is (and the
  report says so); an HTML table named .xls is refused saying what it is and how to save it.
- IDs that lost their leading zeros (a spreadsheet stored them as numbers) are said to match the roster once
  padded, with how to export them again.
- Headers from real exports: 'SED' is low income, 'Incident Type' the offense.
- School years as exports label them ('SY 2024-25', '2024-25 School Year', '20242025'); a column named for
  the year whose values are not years is named in the refusal.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from fixtures.command_line import run_cli as cli

from equity_metrics.storage.store import Store

AI, ASIAN, BLACK, HISPANIC = ("American Indian or Alaska Native", "Asian", "Black or African American",
                              "Hispanic or Latino")
PACIFIC, WHITE, TWO = "Native Hawaiian or Other Pacific Islander", "White", "Two or more races"
# per student: (Hispanic?, races); the answers every race form below writes out in its own way
ANSWERS = [(True, ["WH"]), (False, ["WH"]), (False, ["BL"]), (False, ["AS"]), (False, ["AM"]), (False, ["PI"]),
           (False, ["WH", "BL"]), (True, ["BL"]), (False, ["AS", "WH"]), (False, ["WH"]), (False, ["BL"]),
           (False, ["AS"])]
EXPECTED = {HISPANIC: 2, WHITE: 2, BLACK: 2, ASIAN: 2, AI: 1, PACIFIC: 1, TWO: 2}
CODES = ["AM", "AS", "BL", "PI", "WH"]


def imported(tmp_path: Path, name: str, lines: list[str], *options: str) -> tuple[Path, str]:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "store.duckdb"
    Store(db).close()
    code, out, err = cli("import", str(path), "--db", str(db), *options)
    assert code == 0, err
    return db, out


def races(db: Path) -> dict[str | None, int]:
    with duckdb.connect(str(db), read_only=True) as connection:
        return dict(connection.execute("SELECT race, count(*) FROM enrollment GROUP BY 1").fetchall())


def roster(header: list[str], answer) -> list[str]:
    """A roster of the twelve students with the race columns `answer(hispanic, races)` writes."""
    lines = [",".join(["Student_Number", "SchoolID", "Grade_Level", *header, "Gender"])]
    for i, (hispanic, codes) in enumerate(ANSWERS):
        lines.append(",".join([f"000{1200 + i}", "0101", "05", *answer(hispanic, codes), "FM"[i % 2]]))
    return lines


@pytest.mark.parametrize("yes, no, header", [
    ("Y", "N", ["FedEthnicity", *(f"Race_{c}" for c in CODES)]),
    ("1", "0", ["FedEthnicity", *CODES]),
    ("Y", "", ["Hispanic", *(f"{c} Flag" for c in CODES)]),
])
def test_a_hispanic_flag_and_one_yes_no_column_per_race(tmp_path: Path, yes: str, no: str,
                                                         header: list[str]) -> None:
    db, out = imported(tmp_path, "roster_2024-25.csv", roster(
        header, lambda hispanic, codes: [yes if hispanic else no, *(yes if c in codes else no for c in CODES)]))
    assert f"race: from the two questions: Hispanic {header[0]!r}" in out
    assert races(db) == EXPECTED


def test_ethnicity_written_out_beside_a_race_column_of_codes(tmp_path: Path) -> None:
    db, out = imported(tmp_path, "roster_2024-25.csv", roster(["Ethnicity", "Race"], lambda hispanic, codes: [
        "Hispanic or Latino" if hispanic else "Not Hispanic or Latino", '"' + ",".join(codes) + '"']))
    assert "race: from the two questions: Hispanic 'Ethnicity' and races 'Race'" in out
    assert races(db) == EXPECTED


def test_a_hispanic_flag_and_a_column_listing_the_race_codes(tmp_path: Path) -> None:
    db, out = imported(tmp_path, "roster_2024-25.csv", roster(["Hispanic Ethnicity", "Race Codes"],
                                                              lambda hispanic, codes: ["Y" if hispanic else "N",
                                                                                       '"' + ",".join(codes) + '"']))
    assert "and races 'Race Codes'" in out
    assert races(db) == EXPECTED


def test_a_yes_no_column_or_a_status_of_one_code_is_never_race(tmp_path: Path) -> None:
    """'N' is American Indian and 'A' Asian in some race lists: a column of Y/N, or of 'A' for a few
    students (a special-education status), must not become race."""
    lines = ["Student_Number,SchoolID,Grade_Level,Gifted,specialEdStatus,Gender"]
    lines += [f"000{1200 + i},0101,05,{'YN'[i % 3 == 0]},{'A' if i % 4 == 0 else ''},F" for i in range(12)]
    db, out = imported(tmp_path, "roster_2024-25.csv", lines)
    assert "race:" not in out
    assert races(db) == {None: 12}


DATES = ["2024-09-15", "2024-09-24", "2024-10-03", "2024-11-17", "2025-01-19", "2025-02-24", "2025-03-14",
         "2025-04-28", "2025-05-25", "2024-12-14", "2024-10-30", "2025-06-03"]


def discipline(dates: list[str], days: list[str], separator: str = ",") -> list[str]:
    lines = [separator.join(["Student Number", "School", "Incident Date", "Action", "Days Suspended"])]
    lines += [separator.join([f"000{1200 + i}", "0101", d, "OSS", n]) for i, (d, n) in enumerate(zip(dates, days,
                                                                                                     strict=True))]
    return lines


def stored(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as connection:
        return connection.execute(sql).fetchall()


@pytest.mark.parametrize("written, said", [
    ("{d}/{m}/{y}", "read day first (15/09/2024: 15 is no month)"),
    ("{d}.{m}.{y}", "read day first (15.09.2024: 15 is no month)"),
    ("{d}-{b}-{y}", "dates read as day, month name, year"),
    ("{y}-{m}-{d}T08:05:00", ""),
    ("{m}/{d}/{y}", ""),
])
def test_dates_in_the_order_the_file_writes_them(tmp_path: Path, written: str, said: str) -> None:
    import datetime

    days = [datetime.date.fromisoformat(d) for d in DATES]
    texts = [written.format(d=f"{d.day:02d}", m=f"{d.month:02d}", y=d.year, b=d.strftime("%b")) for d in days]
    db, out = imported(tmp_path, "incidents.csv", discipline(texts, ["1"] * 12))
    assert out.startswith("incidents.csv: 12 of 12 rows imported as Discipline actions.")
    assert said in out and "school year from the dates in 'Incident Date'" in out
    assert sorted(stored(db, "SELECT incident_date, school_year FROM discipline")) == [(d, "2024-25") for d in
                                                                                     sorted(days)]


def test_decimal_commas_are_not_thousands(tmp_path: Path) -> None:
    days = ["0,5", "1,5", "2,25", "1.002,5", "1,007", "3", "1", "2", "1", "1", "1", "1"]
    db, _ = imported(tmp_path, "incidents.csv", discipline(DATES, [f'"{d}"' for d in days]))
    assert sorted(v for (v,) in stored(db, "SELECT days_removed FROM discipline")) == sorted(
        [0.5, 1.5, 2.25, 1002.5, 1007, 3, 1, 2, 1, 1, 1, 1])


@pytest.mark.parametrize("written", ["SY 2024-25", "SY2024-2025", "SY24-25", "2024-25 School Year", "20242025",
                                     "S.Y. 2024/25"])
def test_school_years_as_exports_label_them(tmp_path: Path, written: str) -> None:
    lines = [line + (",School Year" if i == 0 else f",{written}") for i, line in
             enumerate(roster(["Race"], lambda hispanic, codes: ["HI" if hispanic else codes[0]]))]
    db, out = imported(tmp_path, "roster.csv", lines)
    assert "school year from the column 'School Year'" in out
    assert stored(db, "SELECT DISTINCT school_year FROM enrollment") == [("2024-25",)]


def test_a_year_column_of_no_years_is_named_in_the_refusal(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    lines = [line + (",School Year" if i == 0 else ",24-25") for i, line in
             enumerate(roster(["Race"], lambda hispanic, codes: [codes[0]]))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "store.duckdb"
    Store(db).close()
    code, out, err = cli("import", str(path), "--db", str(db))
    assert code == 2 and out == ""
    assert "('School Year' is named like school_year but its values ('24-25') are not school years" in err
    assert "--year" in err


def test_an_action_no_list_reads_stops_the_import_and_names_the_option(tmp_path: Path) -> None:
    actions = ["Susp-OSS", "Short-Term Suspension", "Expelled w/ Services", "Bus Suspension", "Susp-ISS", "OSS",
               "Bus Suspension", "OSS", "OSS", "ISS", "OSS", "OSS"]
    path = tmp_path / "incidents.csv"
    lines = discipline(DATES, ["1"] * 12)
    lines = [lines[0]] + [line.replace(",OSS,", f",{a},") for line, a in zip(lines[1:], actions, strict=True)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "store.duckdb"
    Store(db).close()
    code, out, err = cli("import", str(path), "--db", str(db))
    assert code == 2 and out == ""
    assert "action (column 'Action'): 'Bus Suspension' (2 rows)" in err and '--code "action:Bus Suspension=' in err
    assert stored(db, "SELECT count(*) FROM discipline") == [(0,)]  # nothing written
    code, out, err = cli("import", str(path), "--db", str(db), "--code", "action:Bus Suspension=Other")
    assert code == 0, err
    assert stored(db, "SELECT action, count(*) FROM discipline GROUP BY 1 ORDER BY 1") == [
        ("Expulsion", 1), ("In-school suspension", 2), ("Other", 2), ("Out-of-school suspension", 7)]


def test_a_building_of_names_is_the_same_school_as_a_school_name_column(tmp_path: Path) -> None:
    names = ["Lincoln Elementary", "Washington Middle", "Roosevelt High"]
    roster_path = tmp_path / "roster_2024-25.csv"
    roster_path.write_text("Student Number,Site Name,Grade Level,Race,Gender\n" + "".join(
        f"000{1200 + i},{names[i % 3]},05,WH,F\n" for i in range(12)), encoding="utf-8")
    db = tmp_path / "store.duckdb"
    Store(db).close()
    assert cli("import", str(roster_path), "--db", str(db))[0] == 0
    incidents = tmp_path / "incidents.csv"
    incidents.write_text("Student ID,Building,Incident Date,Action\n" + "".join(
        f"000{1200 + i},{names[i % 3]},{DATES[i]},OSS\n" for i in range(12)), encoding="utf-8")
    code, out, err = cli("import", str(incidents), "--db", str(db))
    assert code == 0, err
    assert "made from 'Building', whose values are school names" in out and "no enrollment record" not in out
    assert stored(db, "SELECT count(*) FROM discipline JOIN enrollment USING (school_year, student_id, school_id)") \
        == [(12,)]


@pytest.mark.parametrize("levels, options, expected", [
    (["Standard Not Met", "Standard Nearly Met", "Standard Met", "Standard Exceeded"], (), [False, False, True, True]),
    (["Did Not Yet Meet Expectations", "Partially Meets Expectations", "Meets Expectations",
      "Exceeds Expectations"], (), [False, False, True, True]),
    (["Below Basic", "Basic", "Proficient", "Advanced"], (), [False, False, True, True]),
    (["1", "2", "3", "4"], (), [None, None, None, None]),
    (["1", "2", "3", "4"], ("--code", "proficient:1=No", "--code", "proficient:2=No", "--code", "proficient:3=Yes",
                            "--code", "proficient:4=Yes"), [False, False, True, True]),
])
def test_proficiency_from_the_performance_level_written_out(tmp_path: Path, levels: list[str], options: tuple,
                                                            expected: list) -> None:
    lines = ["Student ID,School Code,Subject,Scale Score,Performance Level"]
    lines += [f"000{1200 + i},0101,Math,{2400 + i},{levels[i % 4]}" for i in range(12)]
    db, out = imported(tmp_path, "scores_2024-25.csv", lines, *options)
    assert "proficient: from the levels in 'Performance Level'" in out
    assert stored(db, "SELECT performance_level, any_value(proficient) FROM assessments GROUP BY 1 ORDER BY 1") \
        == sorted(zip(levels, expected, strict=True))


def test_a_text_export_named_xls_is_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "roster_2024-25.xls"
    lines = roster(["Race"], lambda hispanic, codes: ["HI" if hispanic else codes[0]])
    path.write_bytes("\r\n".join(line.replace(",", "\t") for line in lines).encode("utf-16"))
    db = tmp_path / "store.duckdb"
    Store(db).close()
    code, out, err = cli("import", str(path), "--db", str(db))
    assert code == 0, err
    assert "roster_2024-25.xls is text (not an Excel 97-2003 workbook), read as such." in out
    assert stored(db, "SELECT count(*), min(student_id) FROM enrollment") == [(12, "0001200")]


def test_an_html_table_named_xls_is_refused_saying_what_it_is(tmp_path: Path) -> None:
    path = tmp_path / "roster.xls"
    path.write_text("<html><body><table><tr><td>Student ID</td></tr><tr><td>0001200</td></tr></table></body></html>",
                    encoding="utf-8")
    db = tmp_path / "store.duckdb"
    Store(db).close()
    code, out, err = cli("import", str(path), "--db", str(db))
    assert code == 2 and out == ""
    assert "roster.xls: not a readable workbook: this is a web page (HTML) named .xls" in err
    assert "save it as .xlsx or CSV" in err and "calamine" not in err


def test_headers_of_real_exports(tmp_path: Path) -> None:
    lines = ["Student Number,SchoolID,Grade_Level,Race,Gender,SED"]
    lines += [f"000{1200 + i},0101,05,WH,F,{'YN'[i % 2]}" for i in range(12)]
    db, out = imported(tmp_path, "roster_2024-25.csv", lines)
    assert "low_income: 'SED': the header is a name for low income" in out
    assert stored(db, "SELECT low_income, count(*) FROM enrollment GROUP BY 1 ORDER BY 1") == [(False, 6), (True, 6)]
    incidents = discipline(DATES, ["1"] * 12)
    incidents = [incidents[0] + ",Incident Type"] + [line + ",Fighting" for line in incidents[1:]]
    db, out = imported(tmp_path, "incidents.csv", incidents)
    assert "offense: 'Incident Type': the header is a name for offense" in out


def test_ids_that_lost_their_leading_zeros_are_said(tmp_path: Path) -> None:
    imported(tmp_path, "roster_2024-25.csv", roster(["Race"], lambda hispanic, codes: [codes[0]]))
    incidents = discipline(DATES, ["1"] * 12)
    incidents = [incidents[0]] + [line.replace("000", "", 1) for line in incidents[1:]]  # 0001200 -> 1200
    db, out = imported(tmp_path, "incidents.csv", incidents)
    assert "12 rows (12 students) have no enrollment record" in out
    assert "12 of those students match the roster once their ID is written with leading zeros" in out
