"""The Data page's import form, one named step per part of the page: `upload_form` (the file, its sheet and
header row), `kind_box` (what the table holds), `mapping_editor` (which column holds each field), the school
year and subject boxes, `codes_review` (codes no list knows) and `import_button`. Each step reads the page's
`DataPage` state and the `Draft` built so far; `import_form(page)` calls them in the order they are shown.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from equity_metrics.ingest.guessing import ColumnGuess
from equity_metrics.ingest.importer import (
    DuplicateDataError,
    ImportRefusedError,
    SourceSpec,
    codes_to_review,
    import_sources,
)
from equity_metrics.ingest.kinds import find_year
from equity_metrics.ingest.mapping import Mapping, MappingError, Unpivot, canonical_values, parse_year_start
from equity_metrics.ingest.readers import (
    EXCEL_SUFFIXES,
    TEXT_SUFFIXES,
    ReadError,
    SourceTable,
    list_sheets,
    safe_file_name,
)
from equity_metrics.ingest.saved_mappings import adapt_to, save_mapping, saved_mapping
from equity_metrics.ingest.uploads import new_upload_folder, remove_upload
from equity_metrics.storage.schema import KINDS
from equity_metrics.storage.store import Store, StoreError
from views.import_report import report_entries, show_notes
from views.text import escape_markdown
from views.upload_reading import UploadReading, upload_copy, upload_guess, upload_reading

MAX_UPLOAD_MB = 200
ASKED_BOXES = (("school_year", ("school year", "School year for every row (if the file has no year column)")),
               ("subject", ("subject", "Subject of every score (the file names none)")))
SAMPLE_REPLACED = ("The synthetic sample district was removed, so your files are not mixed with it. To see it again, "
                   "use \"Load the synthetic sample district\" at the bottom of this page.")
REPORT_KEY = "last_report"


@dataclass(frozen=True)
class DataPage:
    """What every part of the Data page reads: the store, its catalog, and how many uploads were imported (a
    new count gives the uploaders new keys, which empties them after an import)."""

    store: Store
    catalog: pd.DataFrame
    uploads_done: int


@dataclass(frozen=True)
class UploadedFile:
    """An uploaded file as read: the upload, its private copy, its sheets, and the sheet and header row chosen."""

    upload: Any  # st.file_uploader's UploadedFile
    path: Path
    sheets: list[str]
    sheet: str | None
    header_row: int
    read: UploadReading

    @property
    def source(self) -> SourceTable:
        return self.read.source

    def guess(self, kind: str) -> tuple[ColumnGuess, Mapping]:
        """The columns guessed for `kind` (cached per file, sheet, header row and kind)."""
        return upload_guess(self.upload.file_id, str(self.path), self.sheet, self.header_row, self.upload.name, kind)

    @property
    def dataset_name(self) -> str:
        return f"{self.upload.name}" + (f" [{self.sheet}]" if self.sheet and len(self.sheets) > 1 else "")


@dataclass(frozen=True)
class Draft:
    """The mapping as far as the page has got: the kind chosen, the guess (or preset) it starts from, and the
    columns the user confirmed in the editor."""

    file: UploadedFile
    kind: str
    guessed: Mapping
    column_guess: ColumnGuess
    columns: dict[str, str]

    @property
    def unpivot(self) -> Unpivot | None:
        """The wide columns turned into rows, when the guess (for this kind) has them."""
        return self.guessed.unpivot if self.guessed.kind == self.kind else None


def forget_upload_copy() -> None:
    """The upload's private copy goes (the import ended, or the file left the uploader)."""
    remove_upload(st.session_state.pop("upload_folder", None))


def import_form(page: DataPage) -> None:
    """The whole form: upload, kind, mapping, year and subject, codes, download and Import."""
    file = upload_form(page)
    if file is None:
        return
    preset, mapping_name = preset_mapping(page, file)
    kind = kind_box(file, preset, mapping_name)
    column_guess, first_guess = file.guess(kind)
    guessed = preset if preset is not None and preset.kind == kind else first_guess
    reasons = column_guess.reasons if guessed.columns == column_guess.mapping.columns else {}
    columns = mapping_editor(page, file, kind, guessed, reasons)
    draft = Draft(file, kind, guessed, column_guess, columns)
    mapping = draft_mapping(draft)
    mapping = replace(mapping, code_overrides=codes_review(file.source, mapping, f"{page.uploads_done}_{kind}"))
    st.download_button("Download this mapping (JSON)", data=mapping.to_json().encode("utf-8"),
                       file_name=f"{kind}_mapping.json", mime="application/json", on_click="ignore",
                       key="mapping_download", icon=":material/download:")
    import_button(page, file, mapping)


def upload_form(page: DataPage) -> UploadedFile | None:
    """The uploader, then the sheet and header row of the file chosen, read once per file (the page stops with
    the reason when it cannot be read); None while no file is chosen."""
    upload = st.file_uploader(
        "CSV or Excel file", type=[s.lstrip(".") for s in (*TEXT_SUFFIXES, *EXCEL_SUFFIXES)],
        max_upload_size=MAX_UPLOAD_MB, key=f"upload_{page.uploads_done}",
        help="Files stay on this computer. Every cell is read as text, so leading zeros are kept.",
    )
    if upload is None:  # imported (the uploader is a new, empty one) or removed by the user: its copy goes
        forget_upload_copy()
        return None
    folder = st.session_state.get("upload_folder")
    if folder is None or not Path(folder).is_dir():  # a private folder inside this server's own
        folder = st.session_state["upload_folder"] = str(new_upload_folder())
    path = upload_copy(upload, folder)  # written once per uploaded file, not on every rerun
    try:
        sheets = list_sheets(path)
        sheet = st.selectbox("Sheet", sheets, key="upload_sheet") if len(sheets) > 1 else (sheets[0] if sheets else None)
        header_row = st.number_input("Rows above the header (title rows; 0: found for you)", min_value=0,
                                     max_value=50, value=0, key="upload_header_row")
        read = upload_reading(upload.file_id, str(path), sheet, int(header_row), upload.name)  # cached per file
    except ReadError as error:
        st.error(escape_markdown(error))
        st.stop()
    return UploadedFile(upload, path, sheets, sheet, int(header_row), read)


def preset_mapping(page: DataPage, file: UploadedFile) -> tuple[Mapping | None, str | None]:
    """A mapping to start from: one uploaded as JSON, else the one saved for files of these columns; with the
    uploaded JSON's name."""
    mapping_file = st.file_uploader("Use a mapping saved as JSON (optional)", type=["json"],
                                    key=f"mapping_upload_{page.uploads_done}")
    if mapping_file is not None:
        try:
            return (adapt_to(Mapping.from_json(mapping_file.getvalue()),
                             file.source.columns), mapping_file.name)
        except MappingError as error:
            st.error(escape_markdown(f"{safe_file_name(mapping_file.name)}: {error}"))
            return None, mapping_file.name
    preset = saved_mapping(page.store, file.source.columns)
    if preset is not None:
        st.info("These columns match a file you imported before: its mapping is filled in below. Check it, "
                "and give the school year if the file has no year column.", icon=":material/history:")
    return preset, None


def kind_box(file: UploadedFile, preset: Mapping | None, mapping_name: str | None) -> str:
    """Why the kind was guessed (or what the file holds, or that the user must choose), and the kind box, which
    opens on the guess again whenever the file is read another way."""
    choice = file.read.choice
    default_kind = preset.kind if preset is not None else file.read.kind
    if preset is None and choice.kind is not None:
        st.info(f"Kind guessed: {escape_markdown(choice.reason)}.", icon=":material/lightbulb:")
    elif preset is None and choice.unfit:  # a published aggregate no kind takes: say what it is
        st.warning(f"This file {escape_markdown(choice.reason)}.", icon=":material/block:")
    elif preset is None:
        st.warning(f"Which kind of file is this? {escape_markdown(choice.reason)}: choose it below.",
                   icon=":material/help:")
    reading = (file.upload.name, file.sheet, file.header_row, mapping_name)
    if st.session_state.get("upload_kind_reading") != reading:  # a new reading of the file: offer its kind again
        st.session_state["upload_kind_reading"] = reading
        st.session_state["upload_kind"] = default_kind
    return st.selectbox("What this table holds", list(KINDS),
                        format_func=lambda k: f"{KINDS[k].label} (one row per {KINDS[k].row})", key="upload_kind")


def mapping_editor(page: DataPage, file: UploadedFile, kind: str, guessed: Mapping,
                   reasons: dict[str, str]) -> dict[str, str]:
    """The table of the kind's fields, each with the column guessed, its sample values and why; returns the
    columns the user confirmed (field -> column)."""
    source, shown_values = file.source, file.read.preview
    editor = pd.DataFrame([
        {"Field": f.name, "Meaning": f.description, "Required": f.required,
         "Column in your file": guessed.columns.get(f.name, ""),
         "Sample values": shown_values.get(guessed.columns.get(f.name, ""), ""), "Why": reasons.get(f.name, "")}
        for f in KINDS[kind].fields
    ])
    st.caption(f"{escape_markdown(source.label)}: {source.table.num_rows:,} rows, {len(source.columns)} columns. "
               "Check which column holds each field; leave a field empty if your file does not have it.")
    show_notes(source.notes, "notes on rows left out")  # title rows, footers and repeated headers, in plain words
    edited = st.data_editor(
        editor, hide_index=True, key=f"mapping_editor_{page.uploads_done}_{kind}",
        disabled=["Field", "Meaning", "Required", "Sample values", "Why"],
        column_config={"Column in your file": st.column_config.SelectboxColumn(options=["", *source.columns])},
    )
    return {row["Field"]: row["Column in your file"] for _, row in edited.iterrows() if row["Column in your file"]}


def draft_mapping(draft: Draft) -> Mapping:
    """The mapping the draft and the boxes below the editor say: the school year (typed, or from dates with the
    day a year starts), the subject, and race from two questions; the notes on the guess are shown too."""
    file, kind, guessed, columns, unpivot = draft.file, draft.kind, draft.guessed, draft.columns, draft.unpivot
    if unpivot is not None:
        fields = ", ".join(sorted(unpivot.fields()))
        st.caption(f"{len(unpivot.columns):,} wide columns are turned into rows: their names give "
                   f"{escape_markdown(fields)} (e.g. {escape_markdown(unpivot.columns[0])}).")
    year, found, year_start = school_year_boxes(draft)
    subject = st.text_input("Subject of every score (the file names none)", key="upload_subject",
                            placeholder="e.g. Math") if kind == "assessments" and "subject" not in columns \
        and (unpivot is None or "subject" not in unpivot.fields()) else ""
    show_notes(draft.column_guess.notes, "headers that looked right but whose values did not fit")
    questions = guessed.race_questions if guessed.kind == kind and "race" not in columns else None
    if questions is not None:
        st.caption("Race/ethnicity is derived from " + escape_markdown(", ".join(questions.raw_columns())) + " (federal rule: "
                   "Hispanic of any race; else more than one race is Two or more races; else the one race).")
    given = {"school_year": year} if year else {}
    return Mapping(kind=kind, columns=columns, constants=given | ({"subject": subject} if subject else {}),
                   header_row=file.header_row, unpivot=unpivot, race_questions=questions,
                   code_overrides=guessed.code_overrides if guessed.kind == kind else {},
                   year_from_date=found.year_from_date if not year and found.year_from_date in file.source.columns
                   else None, year_start_month=year_start[0], year_start_day=year_start[1],
                   school_id_from_name=guessed.school_id_from_name
                   and columns.get("school_id") == guessed.columns.get("school_id"))


def school_year_boxes(draft: Draft) -> tuple[str, Mapping, tuple[int, int]]:
    """The school year typed for every row (when no column holds it), the year as found (a mapping of its
    constants and date column), and the day a school year starts (asked when the year comes from dates)."""
    file, columns = draft.file, draft.columns
    found, year_reason = find_year(file.source, draft.guessed, file.read.samples, file.upload.name)
    year = st.text_input("School year for every row (if the file has no year column)", key="upload_year",
                         value=found.constants.get("school_year", ""),
                         placeholder="e.g. 2024-25") if "school_year" not in columns else ""
    year_start = (found.year_start_month, found.year_start_day)
    if found.year_from_date and not year and "school_year" not in columns:  # the year comes from dates
        typed = st.text_input("The school year starts on (month-day)", key="upload_year_start", value="07-01",
                              help="Dates before this day belong to the school year before: 07-01 is July 1.")
        try:
            year_start = parse_year_start(typed)
        except ValueError as error:
            st.error(escape_markdown(str(error)))
        found, year_reason = find_year(file.source, draft.guessed, file.read.samples, file.upload.name,
                                       year_start=year_start)
    if year_reason and "school_year" not in columns:
        st.caption(f"The school year: {escape_markdown(year_reason)}.")
    return year, found, year_start


def codes_review(source: SourceTable, mapping: Mapping, key: str) -> dict[str, dict[str, str]]:
    """Show the codes no list knows, field by field, and let the user say what each means. Returns the
    mapping's overrides plus the user's choices; a code left blank stays missing (shown as Unknown)."""
    try:
        unknown = codes_to_review(source, mapping)
    except (MappingError, ImportRefusedError):
        return mapping.code_overrides  # the mapping is not complete yet: the import button will say why
    overrides = {name: dict(values) for name, values in mapping.code_overrides.items()}
    if not unknown:
        return overrides
    st.markdown("**Codes this tool does not know.** Say what each means, or leave it blank: blank codes are "
                "stored as missing and shown as Unknown. Nothing is guessed.")
    for name, codes in unknown.items():
        table = pd.DataFrame({"Code in your file": [raw for raw, _ in codes], "Rows": [n for _, n in codes],
                              "Means": [""] * len(codes)})
        edited = st.data_editor(
            table, hide_index=True, key=f"codes_{key}_{name}", disabled=["Code in your file", "Rows"],
            column_config={"Means": st.column_config.SelectboxColumn(
                f"Means ({name.replace('_', ' ')})", options=["", *canonical_values(mapping.kind, name)])},
        )
        chosen = {row["Code in your file"]: row["Means"] for _, row in edited.iterrows() if row["Means"]}
        if chosen:
            overrides.setdefault(name, {}).update(chosen)
    return overrides


def import_button(page: DataPage, file: UploadedFile, mapping: Mapping) -> None:
    """The Import button (and, after a refusal because the file repeats a dataset, the offer to replace it);
    a required box left empty is named instead of importing."""
    kind = KINDS[mapping.kind]
    asked = [label for name, label in ASKED_BOXES if name in kind.field_names
             and kind.field(name).required and name not in mapping.fields_supplied()]
    clicked = st.button("Import", type="primary", key="upload_import", icon=":material/upload:")
    replace_ids: tuple[int, ...] = ()
    offer = st.session_state.get("replace_offer")  # (file, dataset, message): this file is that dataset's data
    if offer is not None and offer[0] == file.upload.file_id:
        st.error(f"Nothing was imported. {escape_markdown(offer[2])}")
        if st.button(f"Replace dataset {offer[1]} with this file", key="upload_replace", icon=":material/sync:"):
            clicked, replace_ids = True, (offer[1],)
            st.session_state.pop("replace_offer")
    if clicked and asked:  # the fix is a box on this page, not a column: say which
        st.error(f"Nothing was imported. The file does not say its {' or its '.join(f for f, _ in asked)}: "
                 f"type it in {' and '.join(repr(b) for _, b in asked)} above.")
        forget_upload_copy()  # the import has ended: its copy goes
    elif clicked:
        run_import(page, file, mapping, replace_ids)


def run_import(page: DataPage, file: UploadedFile, mapping: Mapping, replace_ids: tuple[int, ...]) -> None:
    """Import in one transaction; the report is kept for the next run, or the refusal shown now."""
    store = page.store
    replacing = store.holds_only_sample()  # the first file of one's own replaces the sample district
    try:
        reports = import_sources(store, [SourceSpec(file.path, mapping, file.sheet, name=file.dataset_name)],
                                 replace_sample=replacing, replace=replace_ids)
    except DuplicateDataError as error:  # offered: replace the dataset it repeats (one transaction)
        st.session_state["replace_offer"] = (file.upload.file_id, error.dataset_id, str(error))
        st.rerun()
    except (MappingError, ImportRefusedError, ReadError, StoreError) as error:
        st.error(f"Nothing was imported. {escape_markdown(error)}")
    else:
        save_mapping(store, file.source.columns, mapping)  # offered again for next year's file of this shape
        st.session_state[REPORT_KEY] = (report_entries(reports[0]) + ([SAMPLE_REPLACED] if replacing else [])
                                        + [f"It replaced dataset {i}, which held the same data." for i in replace_ids])
        st.session_state["uploads_done"] = page.uploads_done + 1
        st.rerun()
    finally:  # the import has ended: its copy goes (while the file stays in the uploader, the next run copies it again)
        forget_upload_copy()
