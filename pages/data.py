"""Data: what is loaded, and loading more. Upload a CSV or workbook, check the guessed kind and column
mapping, import it (one transaction), and read the import report. Datasets can be deleted one by one or all.

The page is a few named sections fed by one `DataPage` state; the import form's steps are in
views/import_form.py."""

import shutil

import streamlit as st

from equity_metrics.sample.sample_store import load_sample
from equity_metrics.storage.store import delete_all, delete_dataset, delete_sample, erase_store
from views.cache import get_store
from views.components import data_source_banner
from views.import_form import REPORT_KEY, DataPage, import_form
from views.import_report import show_report
from views.state import current
from views.text import escape_markdown

CATALOG_LABELS = {"dataset_id": "ID", "name": "Dataset", "kind": "Kind", "rows_imported": "Rows imported",
                  "rows_read": "Rows read", "file_size": "Bytes", "sha256": "SHA-256 (start)",
                  "imported_at": "Imported (UTC)", "is_sample": "Sample"}


def _erased_message() -> None:
    """After "Erase everything": what was erased (said once)."""
    if st.session_state.get("erased"):
        st.success("Everything was erased from this computer: "
                   + escape_markdown(", ".join(st.session_state.pop("erased"))) + ".", icon=":material/check_circle:")


def _loaded_datasets(page: DataPage) -> None:
    st.subheader("Loaded datasets")
    catalog = page.catalog
    if catalog.empty:
        st.info("The store is empty. Upload your files below, or load the synthetic sample district.")
        return
    shown = catalog.assign(sha256=catalog["sha256"].str.slice(0, 12))[list(CATALOG_LABELS)]
    st.dataframe(shown.rename(columns=CATALOG_LABELS), hide_index=True, key="catalog")


def _import_report() -> None:
    """The report of the last import, kept until the next one (or a deletion of everything); a list of more
    than a dozen names is one line, the whole list behind an expander."""
    if st.session_state.get(REPORT_KEY):
        show_report(st.session_state[REPORT_KEY])


def _remove_data(page: DataPage) -> None:
    """Delete one dataset, or all of them (after a confirmation)."""
    st.subheader("Remove data")
    store, catalog = page.store, page.catalog
    if catalog.empty:
        return
    chosen = st.selectbox("Dataset", catalog["dataset_id"].tolist(), key=f"delete_choice_{store.data_version()}",
                          format_func=lambda i: f"{i}: {catalog.loc[catalog['dataset_id'] == i, 'name'].iloc[0]}")
    if st.button("Delete this dataset", key="delete_one", icon=":material/delete:"):
        delete_dataset(store, int(chosen))
        st.rerun()
    confirm = st.checkbox("I want to delete every dataset from this computer's store", key="delete_all_confirm")
    if st.button("Delete all datasets", key="delete_all", disabled=not confirm, icon=":material/delete_forever:"):
        delete_all(store)
        st.session_state.pop(REPORT_KEY, None)
        st.rerun()


def _erase_everything(page: DataPage) -> None:
    """Erase the store file, the uploaded copies and every cache; the app starts over on the sample."""
    store = page.store
    with st.expander("Delete all my data from this computer"):
        st.markdown(f"Erases the store file `{store.path}` (every dataset, saved mapping, goal and the report "
                    "basket), the uploaded copies and every cached result. The app then starts over on the "
                    "synthetic sample district.")
        erase = st.checkbox("Yes, erase everything", key="erase_confirm")
        if not st.button("Erase everything", key="erase_all", disabled=not erase, type="primary",
                         icon=":material/delete_forever:"):
            return
        removed = erase_store(store)
        upload_folder = st.session_state.pop("upload_folder", None)
        if upload_folder:
            shutil.rmtree(upload_folder, ignore_errors=True)
            removed.append(upload_folder)
        st.cache_data.clear()
        st.cache_resource.clear()
        st.session_state.pop(REPORT_KEY, None)
        st.session_state["erased"] = [str(p) for p in removed]
        st.rerun()


def _sample_district(page: DataPage) -> None:
    """Remove the synthetic sample district from beside one's own files, or load it back."""
    store = page.store
    mixed = store.holds_sample() and not store.holds_only_sample()
    if mixed:
        st.warning("The synthetic sample district is loaded next to your own files: every page mixes them. Remove "
                   "it below to see only your data.", icon=":material/warning:")
    if mixed and st.button("Remove the synthetic sample district (keep my files)", key="delete_sample",
                           icon=":material/science_off:"):
        delete_sample(store)
        st.rerun()
    if not store.holds_sample() and st.button("Load the synthetic sample district", key="load_sample",
                                              icon=":material/science:"):
        load_sample(store)
        st.rerun()


store = get_store()
current()  # makes sure the page runs inside the app (navigation and sidebar)
st.title("Data")
_erased_message()
data_source_banner(store)
page = DataPage(store, store.datasets(), st.session_state.setdefault("uploads_done", 0))
_loaded_datasets(page)
st.subheader("Import a file")
import_form(page)
_import_report()
_remove_data(page)
_erase_everything(page)
_sample_district(page)
