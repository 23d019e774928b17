"""`python -m equity_metrics audit`: the sample district's standard audit as .xlsx, .pptx and .html, each file
opened with its own library; numbers equal to the library's, no suppressed value, no student ID."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fixtures.command_line import run_cli as run
from fixtures.html_page import Page, assert_offline
from openpyxl import load_workbook
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE

from equity_metrics.core.constants import SAMPLE_DATA_LABEL
from equity_metrics.measures import aggregate, analysis
from equity_metrics.measures.aggregate import Filters
from equity_metrics.measures.disproportionality import disproportionality_table
from equity_metrics.measures.indicators import INDICATORS
from equity_metrics.measures.metrics import MetricOptions
from equity_metrics.narrative import findings
from equity_metrics.reports import audit_export
from equity_metrics.reports.export_tables import column_label, display_text, provenance
from equity_metrics.storage.store import Store

ROOT = Path(__file__).resolve().parents[2]
YEAR = "2024-25"
YEARS = ("2022-23", "2023-24", "2024-25")
CHECKED = ("denominator", "numerator", "rate", "rate_ci_low", "risk_ratio", "risk_ratio_ci_high", "p_value")


@pytest.fixture(scope="module")
def audit_files(tmp_path_factory, sample_db_template: Path) -> dict[str, Path]:
    """The CLI's audit of the sample district in each format, written once for this module."""
    folder = tmp_path_factory.mktemp("audit")
    db = folder / "store.duckdb"
    shutil.copyfile(sample_db_template, db)
    files, measured = {}, _measured(db)
    for suffix in audit_export.AUDIT_SUFFIXES:
        out = folder / "reports" / f"audit{suffix}"
        code, stdout, stderr = run("audit", "--db", str(db), "--out", str(out))
        assert code == 0, stderr
        assert stdout == (f"Wrote {out}: Equity audit, {YEAR}, {measured} indicators, 8 findings, 0 IDEA flags "
                          f"({SAMPLE_DATA_LABEL}).\n")
        files[suffix] = out
    files["db"] = db
    return files


def _measured(db: Path) -> int:
    with Store(db, read_only=True) as store:
        filters = Filters(school_years=(YEAR,))
        rated = set(analysis.audit(store, ("race",), filters)["indicator_id"])
        means = {i.id for i in analysis.indicators_with_data(store, filters) if i.kind == "mean"}
        return len(rated | means)


@pytest.fixture(scope="module")
def expected(audit_files):
    """What the library says, computed the way the app's pages compute it."""
    with Store(audit_files["db"], read_only=True) as store:
        rates = analysis.audit(store, ("race",), Filters(school_years=(YEAR,)))
        found = findings.largest_gaps(rates, ["race"], MetricOptions(), limit=8, per_indicator=1)
        tables = {}
        for indicator in INDICATORS.values():
            if indicator.domain == "Special education" and indicator.kind == "rate":
                try:
                    tables[indicator.id] = analysis.rates(store, indicator.id, ("school_year", "race"),
                                                          Filters(school_years=YEARS)).table
                except analysis.NoDataError:
                    continue
        idea = disproportionality_table(tables, MetricOptions())
        hidden = _hidden_truth(store, rates)
        ids = _student_ids(store)
        source = provenance(store)
        predictor = {ind: analysis.association_by_year(store, ind, "race", Filters(school_years=YEARS[-2:]))
                     for ind in ("oss", "math_scale_score")}
    return {"rates": rates, "findings": found, "idea": idea, "hidden": hidden, "ids": ids, "source": source,
            "predictor": predictor}


def _hidden_truth(store: Store, rates: pd.DataFrame) -> dict[tuple[str, str], tuple[int, float]]:
    """For each suppressed (indicator, race) row: the true count and rate the library hid (straight from SQL)."""
    truth = {}
    for indicator_id in rates.loc[rates["numerator"].isna(), "indicator_id"].unique():
        cells = aggregate.rate_cells(store, [INDICATORS[indicator_id]], ["race"], Filters(school_years=(YEAR,)))
        for _, cell in cells.iterrows():
            row = rates[(rates["indicator_id"] == indicator_id) & (rates["race"] == cell["race"])]
            if len(row) and pd.isna(row["numerator"].iloc[0]):
                truth[(indicator_id, cell["race"])] = (int(cell["numerator"]),
                                                       cell["numerator"] / cell["denominator"])
    assert truth, "the sample district has hidden groups"
    return truth


def _student_ids(store: Store) -> set[str]:
    tables = store.query("SELECT DISTINCT table_name FROM information_schema.columns WHERE column_name = 'student_id'")
    ids: set[str] = set()
    for table in tables["table_name"]:
        ids |= set(store.query(f'SELECT DISTINCT CAST(student_id AS VARCHAR) AS s FROM "{table}"')["s"].dropna())
    assert len(ids) > 10_000
    return ids


def _tokens(text: str) -> set[str]:
    return set(re.findall(r"(?<![.\d])[A-Za-z0-9_-]+", text))  # not the digits after a decimal point


def _close(a: object, b: float) -> bool:
    return isinstance(a, (int, float)) and not isinstance(a, bool) and abs(float(a) - b) <= 1e-12 * max(1, abs(b))


# ---- XLSX -----------------------------------------------------------------------------------------------------
def test_xlsx_audit(audit_files, expected):
    book = load_workbook(audit_files[".xlsx"])
    assert book.sheetnames == ["Findings", "Rates by race", "Score gaps by race", "IDEA disproportionality",
                               "Race as a predictor", "Notes"]
    predictor = book["Race as a predictor"]
    header = [c.value for c in predictor[1]]
    rows = {(r[2], r[3]): dict(zip(header, r, strict=True)) for r in predictor.iter_rows(min_row=2, values_only=True)}
    for indicator_id, frame in expected["predictor"].items():
        column = "Cramér's V" if indicator_id == "oss" else "Eta squared"
        name = "cramers_v" if indicator_id == "oss" else "eta_squared"
        assert len(frame) == 2
        for _, want in frame.iterrows():
            assert rows[(indicator_id, want["school_year"])][column] == pytest.approx(float(want[name]), rel=1e-12)
    sheet = book["Rates by race"]
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["Indicator", "Domain", "Indicator id", "School year", "Race/ethnicity"]
    assert sheet.freeze_panes == "A2" and sheet.cell(2, header.index("Rate") + 1).number_format == "0.0%"
    rows = {(r[2], r[4]): dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=2, values_only=True)}
    rates = expected["rates"]
    assert len(rows) == len(rates)
    for _, want in rates.iterrows():
        got = rows[(want["indicator_id"], want["race"])]
        assert got["Indicator"] == INDICATORS[want["indicator_id"]].label
        for column in CHECKED:
            value = want[column]
            if pd.isna(value):
                assert got[column_label(column)] is None, (want["indicator_id"], want["race"], column)
            else:
                assert got[column_label(column)] == pytest.approx(float(value), rel=1e-12)
    # Suppressed rows: no count, no rate, and the true hidden count and rate are nowhere in the row.
    for (indicator_id, race), (count, rate) in expected["hidden"].items():
        got = rows[(indicator_id, race)]
        assert got["With outcome"] is None and got["Rate"] is None and got["Risk ratio"] is None
        numbers = [v for k, v in got.items() if k != "n"]
        assert not any(_close(v, count) for v in numbers) and not any(_close(v, rate) for v in numbers)

    found = list(book["Findings"].iter_rows(min_row=2, values_only=True))
    assert [r[4] for r in found] == [f.sentence for f in expected["findings"]]
    assert [r[9] for r in found] == pytest.approx([f.risk_ratio for f in expected["findings"]], rel=1e-12)

    idea_sheet = book["IDEA disproportionality"]
    idea_header = [c.value for c in idea_sheet[1]]
    idea_rows = {(r[2], r[3]): dict(zip(idea_header, r, strict=True))
                 for r in idea_sheet.iter_rows(min_row=2, values_only=True)}
    idea = expected["idea"]
    assert len(idea_rows) == len(idea) > 0
    for _, want in idea.iterrows():
        got = idea_rows[(want["indicator_id"], want["race"])]
        ratio = want["risk_ratio"]
        assert got["Risk ratio"] is None if pd.isna(ratio) else got["Risk ratio"] == pytest.approx(float(ratio))
        assert got["Flag: above in each year"] == bool(want["above_threshold_each_year"])
        assert got["Years above"] == int(want["years_above"])
        assert got["Reasonable progress"] == bool(want["reasonable_progress"])
        for year in YEARS:
            value = want[f"risk_ratio_{year}"]
            assert (got[f"Risk ratio {year}"] is None if pd.isna(value)
                    else got[f"Risk ratio {year}"] == pytest.approx(float(value)))

    notes = "\n".join(str(c.value) for row in book["Notes"].iter_rows() for c in row if c.value is not None)
    assert SAMPLE_DATA_LABEL in notes and date.today().isoformat() in notes
    assert expected["source"].files in notes and "enrollment_roster.xlsx" in notes

    every = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"]
    words = set().union(*(_tokens(str(v)) for v in every))
    assert not words & expected["ids"]


# ---- PPTX -----------------------------------------------------------------------------------------------------
def _slide_text(slide) -> str:
    return "\n".join(shape.text_frame.text for shape in slide.shapes if shape.has_text_frame)


def test_pptx_audit(audit_files, expected):
    slides = list(Presentation(str(audit_files[".pptx"])).slides)
    found = expected["findings"]
    title = _slide_text(slides[0])
    assert f"Equity audit, {YEAR}" in title and SAMPLE_DATA_LABEL in title and date.today().isoformat() in title
    for slide, finding in zip(slides[1:1 + len(found)], found, strict=True):
        text = _slide_text(slide)
        assert finding.sentence in text and f"{finding.indicator.label}: District, all grades, {YEAR}" in text
        (picture,) = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
        assert picture._element.nvPicPr.cNvPr.get("descr").endswith(finding.sentence)
        assert picture.image.blob.startswith(b"\x89PNG")
    table_slides = [s for s in slides if any(shape.has_table for shape in s.shapes)]
    assert table_slides and "IDEA significant disproportionality" in _slide_text(table_slides[0])
    idea = expected["idea"].set_index(["indicator_id", "race"])
    labels = {INDICATORS[i].label: i for i in INDICATORS}
    checked = 0
    for slide in table_slides:
        (table,) = [shape.table for shape in slide.shapes if shape.has_table]
        header = [cell.text for cell in table.rows[0].cells]
        for row in list(table.rows)[1:]:
            got = dict(zip(header, [cell.text for cell in row.cells], strict=True))
            want = idea.loc[(labels[got["Indicator"]], got["Race/ethnicity"])]
            assert got["Risk ratio"] == display_text("risk_ratio", want["risk_ratio"])
            assert got["With outcome"] == display_text("numerator", want["numerator"])  # empty when hidden
            assert got["n"] == display_text("denominator", want["denominator"])
            checked += 1
    assert checked >= audit_export.IDEA_SLIDE_ROWS
    assert "Methods, privacy and data" in _slide_text(slides[-1])
    assert "Counts from 1 to 9 are never shown" in _slide_text(slides[-1])
    words = set().union(*(_tokens(_slide_text(s) + s.notes_slide.notes_text_frame.text) for s in slides))
    assert not words & expected["ids"]


# ---- HTML -----------------------------------------------------------------------------------------------------
def test_html_audit(audit_files, expected):
    text = audit_files[".html"].read_text(encoding="utf-8")
    page = Page(text)
    assert_offline(page)
    assert SAMPLE_DATA_LABEL in page.all_text and date.today().isoformat() in page.all_text
    assert expected["source"].files in page.all_text
    labels = [svg["aria-label"] for svg in page.named("svg")]
    assert len(labels) == len(expected["findings"]) == 8
    assert all(label.endswith(f.sentence) for label, f in zip(labels, expected["findings"], strict=True))
    rates = expected["rates"]
    header = ["Indicator", "Race/ethnicity", "n", "With outcome", "Rate", "95% CI low", "95% CI high",
              "Comparison rate", "Risk ratio", "RR 95% CI low", "RR 95% CI high", "p-value", "q-value (FDR)", "Note"]
    assert header in page.rows
    rows = {(r[0], r[1]): dict(zip(header, r, strict=True)) for r in page.rows if len(r) == len(header)}
    for _, want in rates.iterrows():
        got = rows[(INDICATORS[want["indicator_id"]].label, want["race"])]
        assert got["n"] == display_text("denominator", want["denominator"])
        assert got["With outcome"] == display_text("numerator", want["numerator"])
        assert got["Rate"] == display_text("rate", want["rate"])
        assert got["Risk ratio"] == display_text("risk_ratio", want["risk_ratio"])
        assert got["p-value"] == display_text("p_value", want["p_value"])
    for (indicator_id, race), (count, rate) in expected["hidden"].items():
        got = rows[(INDICATORS[indicator_id].label, race)]
        assert got["With outcome"] == "" and got["Rate"] == "" and got["Risk ratio"] == ""
        cells = [v for k, v in got.items() if k not in ("n", "Note")]
        assert str(count) not in cells and display_text("rate", rate) not in cells
    assert not _tokens(page.all_text + " ".join(v for _, a in page.tags for v in a.values() if v)) & expected["ids"]


# ---- the library side and errors --------------------------------------------------------------------------------
def test_run_audit_of_an_earlier_year(sample_store):
    audit = audit_export.run_audit(sample_store, "2023-24", created=date(2025, 6, 30))
    rates = analysis.audit(sample_store, ("race",), Filters(school_years=("2023-24",)))
    assert audit.title == "Equity audit, 2023-24" and audit.idea_years == ("2022-23", "2023-24")
    assert audit.source.created == date(2025, 6, 30)
    left = audit.rates.drop(columns=["indicator", "domain"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(left, rates.reset_index(drop=True))
    assert set(audit.idea["latest_year"]) == {"2023-24"}
    gaps = analysis.gaps(sample_store, "math_scale_score", ["race"], Filters(school_years=("2023-24",))).table
    math = audit.gaps[audit.gaps["indicator_id"] == "math_scale_score"].reset_index(drop=True)
    assert np.allclose(math["hedges_g"].to_numpy(dtype=float), gaps["hedges_g"].to_numpy(dtype=float), equal_nan=True)


@pytest.mark.parametrize("name", ["audit.csv", "audit", "audit.XLSX.bak"])
def test_unknown_suffix_is_one_line_exit_2(tmp_path: Path, name: str):
    out = tmp_path / name
    code, stdout, stderr = run("audit", "--db", str(tmp_path / "none.duckdb"), "--out", str(out))
    assert code == 2 and stdout == ""
    assert stderr.startswith("error: ") and stderr.count("\n") == 1 and ".xlsx, .pptx, .html" in stderr
    assert not out.exists() and not (tmp_path / "none.duckdb").exists()


def test_missing_or_empty_store_is_one_line_exit_2(tmp_path: Path):
    code, _, stderr = run("audit", "--db", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "a.html"))
    assert code == 2 and stderr.count("\n") == 1 and "no store there" in stderr
    assert not (tmp_path / "none.duckdb").exists()  # a scheduled run never creates a store
    empty = tmp_path / "empty.duckdb"
    Store(empty).close()
    code, _, stderr = run("audit", "--db", str(empty), "--out", str(tmp_path / "a.html"))
    assert code == 2 and stderr.count("\n") == 1 and "holds no data" in stderr
    with Store(empty, read_only=True) as store:
        assert store.is_empty()  # the sample district was not loaded behind the user's back
    assert not (tmp_path / "a.html").exists()


def test_year_without_data_is_one_line_exit_2(sample_db: Path, tmp_path: Path):
    code, _, stderr = run("audit", "--db", str(sample_db), "--year", "1999-00", "--out", str(tmp_path / "a.pptx"))
    assert code == 2 and stderr == ("error: No data for 1999-00 (years with data: 2022-23, 2023-24, 2024-25).\n")
    assert not (tmp_path / "a.pptx").exists()


def test_module_entry_point_errors_without_traceback(tmp_path: Path):
    done = subprocess.run([sys.executable, "-m", "equity_metrics", "audit", "--out", str(tmp_path / "a.docx"),
                           "--db", str(tmp_path / "x.duckdb")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("error: a.docx: cannot write a .docx file")


def test_a_failed_write_keeps_the_earlier_file(sample_store, tmp_path: Path, monkeypatch):
    out = tmp_path / "audit.html"
    out.write_text("last year's audit", encoding="utf-8")
    audit = audit_export.run_audit(sample_store)
    monkeypatch.setattr(audit_export, "audit_bytes", lambda audit, suffix: b"<html>new</html>")

    def fail(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(audit_export.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        audit_export.write_audit(audit, out)
    assert out.read_text(encoding="utf-8") == "last year's audit"
    assert [p.name for p in tmp_path.iterdir()] == ["audit.html"]  # no partial file left behind
    monkeypatch.undo()
    monkeypatch.setattr(audit_export, "audit_bytes", lambda audit, suffix: b"<html>new</html>")
    assert audit_export.write_audit(audit, out).read_bytes() == b"<html>new</html>"
