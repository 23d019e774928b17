"""The Data page remembers a confirmed mapping and offers it for next year's file of the same shape."""

from __future__ import annotations

from pathlib import Path

from equity_metrics.schema import KINDS

XLSX_CSV_MIME = "text/csv"


def upload(at, path: Path) -> None:
    at.file_uploader[0].set_value((path.name, path.read_bytes(), XLSX_CSV_MIME)).run()
    assert not at.exception, [e.value for e in at.exception]


def test_next_years_file_gets_this_years_mapping(at, tmp_path: Path):
    at.switch_page("pages/data.py").run()
    this_year = tmp_path / "staff_2025.csv"
    this_year.write_text("Emp#,Site,Job,Year\nE0001,0104,Teacher,2025-26\nE0002,0104,Counselor,2025-26\n")
    upload(at, this_year)
    assert not [box.value for box in at.info if "match a file you imported before" in box.value]
    at.selectbox(key="upload_kind").select("staff").run()
    # The user picks the columns the guess missed (AppTest edits a data editor through its edit state).
    fields = list(KINDS["staff"].field_names)
    picks = {"staff_id": "Emp#", "school_year": "Year", "role": "Job"}
    at.session_state["mapping_editor_0_staff"] = {
        "edited_rows": {fields.index(f): {"Column in your file": c} for f, c in picks.items()},
        "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="upload_import").click().run()
    assert any("2 of 2 rows imported as Staff" in m.value for m in at.markdown), [m.value for m in at.markdown]

    next_year = tmp_path / "staff_2026.csv"
    next_year.write_text("EMP#,site,job,YEAR\nE0001,0104,Teacher,2026-27\n")  # same shape, other spelling
    upload(at, next_year)
    assert [box.value for box in at.info if "match a file you imported before" in box.value]
    assert at.selectbox(key="upload_kind").value == "staff"
    mapping = at.data_editor[0].value.set_index("Field")["Column in your file"]
    assert (mapping["staff_id"], mapping["school_year"], mapping["role"]) == ("EMP#", "YEAR", "job")
    at.button(key="upload_import").click().run()
    assert any("1 of 1 rows imported as Staff" in m.value for m in at.markdown)
