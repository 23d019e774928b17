"""The first day of the school year, for a year read from dates: July 1 unless the user says otherwise
(`import --year-start MM-DD`, the Data page's box next to the year, `year_start_month`/`year_start_day` in a
mapping JSON)."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import duckdb
import pytest
from fixtures.command_line import run_cli as run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from equity_metrics.ingest.importer import SourceSpec, import_sources
from equity_metrics.ingest.kinds import year_in_text
from equity_metrics.ingest.mapping import Mapping, MappingError, parse_year_start
from equity_metrics.storage.store import Store


def write_discipline(path: Path, dates: list[date]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Student ID", "School", "Incident Date", "Action"])
        writer.writerows([f"{1000 + i}", "A", d.strftime("%m/%d/%Y"), "OSS"] for i, d in enumerate(dates))
    return path


def school_year(day: date, start: tuple[int, int]) -> str:
    first = day.year - (1 if (day.month, day.day) < start else 0)
    return f"{first}-{(first + 1) % 100:02d}"


@pytest.mark.parametrize(("text", "parsed"), [("08-15", (8, 15)), ("8/1", (8, 1)), (" 07-01 ", (7, 1)),
                                              ("12.31", (12, 31))])
def test_the_first_day_is_read_as_month_and_day(text: str, parsed: tuple[int, int]) -> None:
    assert parse_year_start(text) == parsed


@pytest.mark.parametrize(("text", "said"), [("15-08", "must be 1 to 12, not 15"), ("02-30", "February has no day 30"),
                                            ("02-29", "February has no day 29"), ("August 15", "write the first day"),
                                            ("", "write the first day")])
def test_an_impossible_first_day_is_refused_saying_why(text: str, said: str) -> None:
    with pytest.raises(ValueError, match=said):
        parse_year_start(text)


def test_the_first_day_round_trips_through_the_mapping_json() -> None:
    mapping = Mapping("discipline", {"student_id": "Student ID", "school_id": "School", "action": "Action"},
                      year_from_date="Incident Date", year_start_month=8, year_start_day=15)
    again = Mapping.from_json(mapping.to_json())
    assert (again.year_start_month, again.year_start_day) == (8, 15)
    with pytest.raises(MappingError, match="June has no day 31"):
        Mapping.from_json(mapping.to_json().replace('"year_start_day": 15', '"year_start_day": 31').replace(
            '"year_start_month": 8', '"year_start_month": 6')).validate()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(dates=st.lists(st.dates(min_value=date(2001, 1, 1), max_value=date(2039, 12, 31)), min_size=1, max_size=12),
       start=st.tuples(st.integers(1, 12), st.integers(1, 28)))
def test_the_import_puts_each_date_in_the_school_year_it_falls_in(dates: list[date], start: tuple[int, int],
                                                                  tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp("years")
    path = write_discipline(folder / "d.csv", dates)
    mapping = Mapping("discipline", {"student_id": "Student ID", "school_id": "School", "action": "Action"},
                      year_from_date="Incident Date", year_start_month=start[0], year_start_day=start[1])
    with Store(folder / "s.duckdb") as store:
        import_sources(store, [SourceSpec(path, mapping)])
        got = store.cursor().execute("SELECT school_year FROM discipline ORDER BY student_id").fetchall()
    assert [y for (y,) in got] == [school_year(d, start) for d in dates]
    text = dates[0].strftime("%m/%d/%Y")
    assert year_in_text(f"incidents {text}", *start)[0] == school_year(dates[0], start)


def test_the_command_line_takes_the_first_day(tmp_path: Path) -> None:
    path = write_discipline(tmp_path / "d.csv", [date(2024, 8, 10), date(2024, 8, 20), date(2025, 7, 15)])
    db = tmp_path / "s.duckdb"
    code, out, err = run("import", str(path), "--db", str(db), "--dry-run")
    assert code == 0, err
    assert "school year from the dates in 'Incident Date' (a school year starts on July 1)" in out
    code, out, err = run("import", str(path), "--db", str(db), "--year-start", "08-15")
    assert code == 0, err
    assert "(a school year starts on August 15, as given)" in out
    with duckdb.connect(str(db), read_only=True) as connection:
        assert connection.execute("SELECT student_id, school_year FROM discipline ORDER BY 1").fetchall() == [
            ("1000", "2023-24"), ("1001", "2024-25"), ("1002", "2024-25")]
    code, out, err = run("import", str(path), "--db", str(tmp_path / "t.duckdb"), "--year-start", "02-30")
    assert code == 2 and "--year-start '02-30': February has no day 30" in err
