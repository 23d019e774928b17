"""Issue 17: coded excerpts import as kind `excerpts` from a district's own file (codes in one cell, several code
columns, one row per excerpt and code), Taguette's highlights export (both its older and newer headers) and
QualCoder's coded text export (File/case, Coder, Coded, Id, Codename, Coded_Memo, Category, CaseVar_...), each
with the reason said; a file that fits excerpts and another kind is refused naming both; participants' race is
read through the same code list as students'; and the code-splitting rule holds for any codes."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from equity_metrics.cli import main
from equity_metrics.ingest.excerpts import excerpts_layout, split_codes
from equity_metrics.storage.store import Store

OWN = """Session,Participant ID,Speaker,Role,Race/Ethnicity,School,Excerpt,Codes
Fall session,P01,Ana Lopez,Parent,Hispanic/Latino,Central High,"Ana: I never hear back.",Communication; Counseling access
Fall session,P02,Tom Reed,Student,Black/African American,Central High,"AP feels closed to us.",Course access|Belonging
Fall session,P03,Kim Cho,Student,AS,Central High,"It is fine.",
"""
WIDE = """Quote,Code 1,Code 2,Code 3,Participant,Race
"I like it",Belonging,,,P1,White
"Too far",Transportation,Safety,,P2,Black
"""
LONG = """Comment ID,Comment,Theme,Participant ID
C1,"The bus is late",Transportation,R1
C1,"The bus is late",Safety,R1
C2,"Teachers listen",Belonging,R2
"""
TAGUETTE_OLD = """id,document,tag,content
1,Session A.docx,belonging,"I felt welcome."
1,Session A.docx,safety,"I felt welcome."
2,Session B.docx,safety,"Hallways are loud."
"""
TAGUETTE_NEW = """id,document,tag,tag_parent,tag_full_path,tag_description,content
7,Interview 3.txt,late bus,transport,transport.late bus,,"The late bus never comes."
8,Interview 3.txt,,,,,"Uncoded highlight."
"""
QUALCODER = """"File/case","Coder","Coded","Id","Codename","Coded_Memo","Category","CaseVar_Race","CaseVar_Role"
"P01","default","we need more buses","ctid:1","Transport","","Resources","Black","Parent"
"P02","default","teachers listen","ctid:2","Belonging","","Climate","White","Student"
"P02","default","teachers listen","ctid:2","Voice","","Climate","White","Student"
"""


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def _import(tmp_path: Path, name: str, text: str, *options: str) -> tuple[Path, str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    db = tmp_path / "store.duckdb"
    code, out, err = _cli("import", str(path), "--db", str(db), "--year", "2024-25", *options)
    assert code == 0, err
    return db, out


def _rows(db: Path, columns: str) -> list[tuple]:
    with Store(db, read_only=True) as store:
        return store.cursor().execute(f"SELECT {columns} FROM excerpts ORDER BY ALL").fetchall()


def test_own_file_with_codes_in_one_cell(tmp_path: Path) -> None:
    db, out = _import(tmp_path, "own.csv", OWN)
    assert "kind excerpts" in out and "'Codes': the excerpt's codes" in out
    assert "participant_name: 'Speaker'" in out and "race: 'Race/Ethnicity'" in out
    assert _rows(db, "participant_id, race, theme") == [
        ("P01", "Hispanic or Latino", "Communication; Counseling access"),
        ("P02", "Black or African American", "Course access|Belonging"),
        ("P03", "Asian", None),  # race through the students' code list (AS); an excerpt without codes is kept
    ]


def test_several_code_columns_are_one_row_per_column(tmp_path: Path) -> None:
    db, out = _import(tmp_path, "wide.csv", WIDE)
    assert "one row per code column: 'Code 1', 'Code 2', 'Code 3'" in out
    assert [r for r in _rows(db, "excerpt, theme") if r[1] is not None] == [
        ("I like it", "Belonging"), ("Too far", "Safety"), ("Too far", "Transportation")]


def test_one_row_per_excerpt_and_code(tmp_path: Path) -> None:
    db, _ = _import(tmp_path, "long.csv", LONG)
    assert _rows(db, "excerpt_id, theme, participant_id") == [
        ("C1", "Safety", "R1"), ("C1", "Transportation", "R1"), ("C2", "Belonging", "R2")]


@pytest.mark.parametrize("text", [TAGUETTE_OLD, TAGUETTE_NEW])
def test_taguette_highlights_export(tmp_path: Path, text: str) -> None:
    db, out = _import(tmp_path, "highlights.csv", text)
    assert "Taguette's highlights export" in out and "session: 'document'" in out
    rows = _rows(db, "excerpt_id, session, theme, excerpt")
    if text is TAGUETTE_OLD:
        assert rows == [("1", "Session A.docx", "belonging", "I felt welcome."),
                        ("1", "Session A.docx", "safety", "I felt welcome."),
                        ("2", "Session B.docx", "safety", "Hallways are loud.")]
    else:  # the tag's own name is the theme; a highlight without a tag is kept without one
        assert rows == [("7", "Interview 3.txt", "late bus", "The late bus never comes."),
                        ("8", "Interview 3.txt", None, "Uncoded highlight.")]


def test_qualcoder_coded_text_export(tmp_path: Path) -> None:
    db, out = _import(tmp_path, "Report_codings.csv", QUALCODER)
    assert "QualCoder's coding report export" in out and "race: 'CaseVar_Race': a case variable" in out
    assert "Columns ignored: Coder, Coded_Memo, Category." in out
    assert _rows(db, "participant_id, excerpt_id, theme, race, role") == [
        ("P01", "ctid:1", "Transport", "Black or African American", "Parent"),
        ("P02", "ctid:2", "Belonging", "White", "Student"),
        ("P02", "ctid:2", "Voice", "White", "Student")]


def test_a_file_fitting_excerpts_and_a_survey_is_refused_naming_both(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_text("Respondent ID,Respondent Type,Item,Response,Comment,Theme\nR1,Student,Q1,4,Fine,Belonging\n",
                    encoding="utf-8")
    code, _, err = _cli("import", str(path), "--db", str(tmp_path / "s.duckdb"), "--year", "2024-25")
    assert code == 2
    assert "fit Coded excerpts" in err and "Climate survey responses equally well" in err
    assert "--kind (excerpts, survey)" in err
    code, out, err = _cli("import", str(path), "--db", str(tmp_path / "s.duckdb"), "--year", "2024-25",
                          "--kind", "excerpts")
    assert code == 0, err


def test_not_excerpts() -> None:
    assert excerpts_layout(["Student ID", "Comment", "Code"]) is None  # a roster or event file with a comment
    assert excerpts_layout(["Comment", "Rating"]) is None  # no codes
    assert excerpts_layout(["id", "document", "tag", "content"]) == "taguette"
    assert excerpts_layout(["File/case", "Coder", "Coded", "Id", "Codename", "Coded_Memo"]) == "qualcoder"


def test_split_codes_examples() -> None:
    assert split_codes("Belonging; Safety") == ["Belonging", "Safety"]
    assert split_codes("Belonging|Safety\nVoice") == ["Belonging", "Safety", "Voice"]
    assert split_codes("Safety, at dismissal") == ["Safety, at dismissal"]  # a comma belongs to the theme
    assert split_codes(" ; ") == [] and split_codes(None) == []


_CODE = st.text(alphabet=st.characters(blacklist_characters=";|\r\n", blacklist_categories=("Cs",)),
                min_size=1).map(str.strip).filter(bool)


@given(codes=st.lists(_CODE, min_size=1, max_size=6), separators=st.lists(st.sampled_from([";", " | ", "\n", " ;  "]),
                                                                          min_size=5, max_size=5))
def test_split_codes_gives_back_the_codes(codes: list[str], separators: list[str]) -> None:
    cell = codes[0] + "".join(s + c for s, c in zip(separators, codes[1:], strict=False))
    assert split_codes(cell) == codes
