"""Data: what is loaded, and loading more. Upload a CSV or workbook, check the guessed kind and column
mapping, import it (one transaction), and read the import report. Datasets can be deleted one by one or all."""

import shutil
from dataclasses import replace
from pathlib import Path

import pandas as pd
import streamlit as st

from equity_metrics.ingest.importer import (
    DuplicateDataError,
    ImportRefusedError,
    SourceSpec,
    codes_to_review,
    import_sources,
)
from equity_metrics.ingest.kinds import find_year
from equity_metrics.ingest.mapping import Mapping, MappingError, canonical_values, parse_year_start
from equity_metrics.ingest.readers import (
    EXCEL_SUFFIXES,
    TEXT_SUFFIXES,
    ReadError,
    list_sheets,
    safe_file_name,
)
from equity_metrics.ingest.saved_mappings import adapt_to, save_mapping, saved_mapping
from equity_metrics.ingest.uploads import new_upload_folder, remove_upload
from equity_metrics.sample.sample_store import load_sample
from equity_metrics.storage.schema import KINDS
from equity_metrics.storage.store import StoreError, delete_all, delete_dataset, delete_sample, erase_store
from views.cache import get_store
from views.components import data_source_banner
from views.state import current
from views.text import escape_markdown
from views.upload_reading import upload_copy, upload_guess, upload_reading

MAX_UPLOAD_MB = 200
ASKED_BOXES = (("school_year", ("school year", "School year for every row (if the file has no year column)")),
               ("subject", ("subject", "Subject of every score (the file names none)")))
SAMPLE_REPLACED = ("The synthetic sample district was removed, so your files are not mixed with it. To see it again, "
                   "use \"Load the synthetic sample district\" at the bottom of this page.")


def review_codes(source, mapping: Mapping, key: str) -> dict[str, dict[str, str]]:
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

store = get_store()
current()  # makes sure the page runs inside the app (navigation and sidebar)
st.title("Data")
if st.session_state.get("erased"):
    st.success("Everything was erased from this computer: " + escape_markdown(", ".join(st.session_state.pop("erased")))
               + ".",
               icon=":material/check_circle:")
data_source_banner(store)

st.subheader("Loaded datasets")
catalog = store.datasets()
if catalog.empty:
    st.info("The store is empty. Upload your files below, or load the synthetic sample district.")
else:
    shown = catalog.assign(sha256=catalog["sha256"].str.slice(0, 12))[
        ["dataset_id", "name", "kind", "rows_imported", "rows_read", "file_size", "sha256", "imported_at", "is_sample"]
    ].rename(columns={"dataset_id": "ID", "name": "Dataset", "kind": "Kind", "rows_imported": "Rows imported",
                      "rows_read": "Rows read", "file_size": "Bytes", "sha256": "SHA-256 (start)",
                      "imported_at": "Imported (UTC)", "is_sample": "Sample"})
    st.dataframe(shown, hide_index=True, key="catalog")

st.subheader("Import a file")
uploads_done = st.session_state.setdefault("uploads_done", 0)  # a new key empties the uploader after an import
upload = st.file_uploader(
    "CSV or Excel file", type=[s.lstrip(".") for s in (*TEXT_SUFFIXES, *EXCEL_SUFFIXES)],
    max_upload_size=MAX_UPLOAD_MB, key=f"upload_{uploads_done}",
    help="Files stay on this computer. Every cell is read as text, so leading zeros are kept.",
)
if upload is None:  # imported (the uploader is a new, empty one) or removed by the user: its copy goes
    remove_upload(st.session_state.pop("upload_folder", None))
else:
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
        source = read.source
    except ReadError as error:
        st.error(escape_markdown(error))
        st.stop()
    mapping_file = st.file_uploader("Use a mapping saved as JSON (optional)", type=["json"],
                                    key=f"mapping_upload_{uploads_done}")
    preset = None
    if mapping_file is not None:
        try:
            preset = adapt_to(Mapping.from_json(mapping_file.getvalue().decode("utf-8", "replace")), source.columns)
        except MappingError as error:
            st.error(escape_markdown(f"{safe_file_name(mapping_file.name)}: {error}"))
    else:
        preset = saved_mapping(store, source.columns)
        if preset is not None:
            st.info("These columns match a file you imported before: its mapping is filled in below. Check it, "
                    "and give the school year if the file has no year column.", icon=":material/history:")
    kinds = list(KINDS)
    samples, choice = read.samples, read.choice
    default_kind = preset.kind if preset is not None else read.kind
    if preset is None and choice.kind is not None:
        st.info(f"Kind guessed: {escape_markdown(choice.reason)}.", icon=":material/lightbulb:")
    elif preset is None and choice.unfit:  # a published aggregate no kind takes: say what it is
        st.warning(f"This file {escape_markdown(choice.reason)}.", icon=":material/block:")
    elif preset is None:
        st.warning(f"Which kind of file is this? {escape_markdown(choice.reason)}: choose it below.",
                   icon=":material/help:")
    reading = (upload.name, sheet, int(header_row), mapping_file.name if mapping_file is not None else None)
    if st.session_state.get("upload_kind_reading") != reading:  # a new reading of the file: offer its kind again
        st.session_state["upload_kind_reading"] = reading
        st.session_state["upload_kind"] = default_kind
    kind = st.selectbox("What this table holds", kinds,
                        format_func=lambda k: f"{KINDS[k].label} (one row per {KINDS[k].row})", key="upload_kind")
    column_guess, first_guess = upload_guess(upload.file_id, str(path), sheet, int(header_row), upload.name, kind)
    guessed = preset if preset is not None and preset.kind == kind else first_guess
    reasons = column_guess.reasons if guessed.columns == column_guess.mapping.columns else {}
    found, year_reason = find_year(source, guessed, samples, upload.name)
    shown_values = read.preview
    editor = pd.DataFrame([
        {"Field": f.name, "Meaning": f.description, "Required": f.required,
         "Column in your file": guessed.columns.get(f.name, ""),
         "Sample values": shown_values.get(guessed.columns.get(f.name, ""), ""), "Why": reasons.get(f.name, "")}
        for f in KINDS[kind].fields
    ])
    st.caption(f"{escape_markdown(source.label)}: {source.table.num_rows:,} rows, {len(source.columns)} columns. "
               "Check which column holds each field; leave a field empty if your file does not have it.")
    for note in source.notes:  # title rows, footers and repeated headers left out, said in plain words
        st.caption(escape_markdown(note))
    edited = st.data_editor(
        editor, hide_index=True, key=f"mapping_editor_{uploads_done}_{kind}",
        disabled=["Field", "Meaning", "Required", "Sample values", "Why"],
        column_config={"Column in your file": st.column_config.SelectboxColumn(options=["", *source.columns])},
    )
    columns = {row["Field"]: row["Column in your file"] for _, row in edited.iterrows() if row["Column in your file"]}
    unpivot = guessed.unpivot if guessed.kind == kind else None
    if unpivot is not None:
        fields = ", ".join(sorted(unpivot.fields()))
        st.caption(f"{len(unpivot.columns):,} wide columns are turned into rows: their names give "
                   f"{escape_markdown(fields)} (e.g. {escape_markdown(unpivot.columns[0])}).")
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
        found, year_reason = find_year(source, guessed, samples, upload.name, year_start=year_start)
    if year_reason and "school_year" not in columns:
        st.caption(f"The school year: {escape_markdown(year_reason)}.")
    subject = st.text_input("Subject of every score (the file names none)", key="upload_subject",
                            placeholder="e.g. Math") if kind == "assessments" and "subject" not in columns \
        and (unpivot is None or "subject" not in unpivot.fields()) else ""
    for note in column_guess.notes:
        st.caption(escape_markdown(note))
    questions = guessed.race_questions if guessed.kind == kind and "race" not in columns else None
    if questions is not None:
        st.caption("Race/ethnicity is derived from " + escape_markdown(", ".join(questions.raw_columns())) + " (federal rule: "
                   "Hispanic of any race; else more than one race is Two or more races; else the one race).")
    given = {"school_year": year} if year else {}
    mapping = Mapping(kind=kind, columns=columns, constants=given | ({"subject": subject} if subject else {}),
                      header_row=int(header_row), unpivot=unpivot, race_questions=questions,
                      code_overrides=guessed.code_overrides if guessed.kind == kind else {},
                      year_from_date=found.year_from_date if not year and found.year_from_date in source.columns
                      else None, year_start_month=year_start[0], year_start_day=year_start[1],
                      school_id_from_name=guessed.school_id_from_name
                      and columns.get("school_id") == guessed.columns.get("school_id"))
    mapping = replace(mapping, code_overrides=review_codes(source, mapping, f"{uploads_done}_{kind}"))
    st.download_button("Download this mapping (JSON)", data=mapping.to_json().encode("utf-8"),
                       file_name=f"{kind}_mapping.json", mime="application/json", on_click="ignore",
                       key="mapping_download", icon=":material/download:")
    asked = [label for name, label in ASKED_BOXES if name in KINDS[kind].field_names
             and KINDS[kind].field(name).required and name not in mapping.fields_supplied()]
    clicked = st.button("Import", type="primary", key="upload_import", icon=":material/upload:")
    replace_ids: tuple[int, ...] = ()
    offer = st.session_state.get("replace_offer")  # (file, dataset, message): this file is that dataset's data
    if offer is not None and offer[0] == upload.file_id:
        st.error(f"Nothing was imported. {escape_markdown(offer[2])}")
        if st.button(f"Replace dataset {offer[1]} with this file", key="upload_replace", icon=":material/sync:"):
            clicked, replace_ids = True, (offer[1],)
            st.session_state.pop("replace_offer")
    if clicked and asked:  # the fix is a box on this page, not a column: say which
        st.error(f"Nothing was imported. The file does not say its {' or its '.join(f for f, _ in asked)}: "
                 f"type it in {' and '.join(repr(b) for _, b in asked)} above.")
        remove_upload(st.session_state.pop("upload_folder", None))  # the import has ended: its copy goes
    elif clicked:
        replacing = store.holds_only_sample()  # the first file of one's own replaces the sample district
        try:
            reports = import_sources(store, [SourceSpec(path, mapping, sheet, name=f"{upload.name}" +
                                                        (f" [{sheet}]" if sheet and len(sheets) > 1 else ""))],
                                     replace_sample=replacing, replace=replace_ids)
        except DuplicateDataError as error:  # offered: replace the dataset it repeats (one transaction)
            st.session_state["replace_offer"] = (upload.file_id, error.dataset_id, str(error))
            st.rerun()
        except (MappingError, ImportRefusedError, ReadError, StoreError) as error:
            st.error(f"Nothing was imported. {escape_markdown(error)}")
        else:
            save_mapping(store, source.columns, mapping)  # offered again for next year's file of this shape
            st.session_state["last_report"] = (reports[0].lines() + ([SAMPLE_REPLACED] if replacing else [])
                                               + [f"It replaced dataset {i}, which held the same data." for i in replace_ids])
            st.session_state["uploads_done"] = uploads_done + 1
            st.rerun()
        finally:  # the import has ended: its copy goes (while the file stays in the uploader, the next run copies it again)
            remove_upload(st.session_state.pop("upload_folder", None))

if st.session_state.get("last_report"):
    with st.container(border=True):
        st.markdown("**Import report**")
        for line in st.session_state["last_report"]:
            st.markdown(f"- {escape_markdown(line)}")

st.subheader("Remove data")
if not catalog.empty:
    chosen = st.selectbox("Dataset", catalog["dataset_id"].tolist(), key=f"delete_choice_{store.data_version()}",
                          format_func=lambda i: f"{i}: {catalog.loc[catalog['dataset_id'] == i, 'name'].iloc[0]}")
    if st.button("Delete this dataset", key="delete_one", icon=":material/delete:"):
        delete_dataset(store, int(chosen))
        st.rerun()
    confirm = st.checkbox("I want to delete every dataset from this computer's store", key="delete_all_confirm")
    if st.button("Delete all datasets", key="delete_all", disabled=not confirm, icon=":material/delete_forever:"):
        delete_all(store)
        st.session_state.pop("last_report", None)
        st.rerun()

with st.expander("Delete all my data from this computer"):
    st.markdown(f"Erases the store file `{store.path}` (every dataset, saved mapping, goal and the report basket), "
                "the uploaded copies and every cached result. The app then starts over on the synthetic sample "
                "district.")
    erase = st.checkbox("Yes, erase everything", key="erase_confirm")
    if st.button("Erase everything", key="erase_all", disabled=not erase, type="primary",
                 icon=":material/delete_forever:"):
        removed = erase_store(store)
        upload_folder = st.session_state.pop("upload_folder", None)
        if upload_folder:
            shutil.rmtree(upload_folder, ignore_errors=True)
            removed.append(upload_folder)
        st.cache_data.clear()
        st.cache_resource.clear()
        st.session_state.pop("last_report", None)
        st.session_state["erased"] = [str(p) for p in removed]
        st.rerun()
if store.holds_sample() and not store.holds_only_sample():
    st.warning("The synthetic sample district is loaded next to your own files: every page mixes them. Remove it "
               "below to see only your data.", icon=":material/warning:")
if store.holds_sample() and not store.holds_only_sample() and st.button(
        "Remove the synthetic sample district (keep my files)", key="delete_sample", icon=":material/science_off:"):
    delete_sample(store)
    st.rerun()
if not store.holds_sample() and st.button("Load the synthetic sample district", key="load_sample",
                                          icon=":material/science:"):
    load_sample(store)
    st.rerun()
