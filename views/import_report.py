"""The Data page's import report, with long lists summarised.

A CRDC school file has more than a thousand columns the tool does not use; listed in full they filled about
8,000 pixels of page. Any list of more than `MAX_LISTED` names becomes one line ("1,134 columns not used, e.g.
A, B, C") with the whole list behind an expander. Shorter lists stay in their sentence, as the library words
it (`ImportReport.lines`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import streamlit as st

from equity_metrics.ingest.importer import ImportReport
from equity_metrics.storage.schema import KINDS
from views.text import escape_markdown

MAX_LISTED = 12  # a longer list is summarised, the whole of it behind an expander
EXAMPLES = 3


@dataclass(frozen=True)
class LongList:
    """A list too long to show in full: what the items are (a plural noun phrase), and the items."""

    noun: str
    items: tuple[str, ...]

    @property
    def summary(self) -> str:
        return f"{len(self.items):,} {self.noun}, e.g. {', '.join(self.items[:EXAMPLES])}"


ReportEntry = str | LongList


def is_long(items: Sequence[object]) -> bool:
    return len(items) > MAX_LISTED


def report_entries(report: ImportReport) -> list[ReportEntry]:
    """The report's sentences, with every list of more than MAX_LISTED names taken out of its sentence and
    given as a LongList after them."""
    long: list[LongList] = []
    if is_long(report.columns_ignored):
        long.append(LongList("columns not used", report.columns_ignored))
        report = replace(report, columns_ignored=())
    kept_codes = {}
    for name, codes in report.unknown_codes.items():
        if not is_long(codes):
            kept_codes[name] = codes
            continue
        usable = KINDS[report.kind].field(name).sql_type in ("DOUBLE", "DATE")
        noun = (f"values not usable in {name} (not a count or date, negative, or impossible), stored as missing"
                if usable else f"values not recognised in {name}, stored as missing (shown as Unknown)")
        long.append(LongList(noun, tuple(f"{raw!r} x{count:,}" for raw, count in codes)))
    report = replace(report, unknown_codes=kept_codes)
    for field, noun in (("x_marked_flags", "fields marked only with X, so blanks read as No"),
                        ("yes_only_flags", "fields whose every value reads Yes, so blanks read as No")):
        if is_long(getattr(report, field)):
            long.append(LongList(noun, getattr(report, field)))
            report = replace(report, **{field: ()})
    return [*report.lines(), *long]


def show_long_list(entry: LongList) -> None:
    """The summary as a list item, and every item behind an expander (escaped: they come from the file)."""
    st.markdown(f"- {escape_markdown(entry.summary)}")
    with st.expander(escape_markdown(f"All {len(entry.items):,} {entry.noun.split(',')[0]}")):
        st.markdown("\n".join(f"- {escape_markdown(item)}" for item in entry.items))


def show_notes(notes: Sequence[str], noun: str) -> None:
    """One caption per note; more than MAX_LISTED notes are one caption saying how many (`noun`: what they are,
    plural), every note behind an expander."""
    if not is_long(notes):
        for note in notes:
            st.caption(escape_markdown(note))
        return
    st.caption(escape_markdown(f"{len(notes):,} {noun}: see the list below."))
    with st.expander(escape_markdown(f"All {len(notes):,} {noun}")):
        st.markdown("\n".join(f"- {escape_markdown(note)}" for note in notes))


def show_report(entries: Sequence[ReportEntry]) -> None:
    """The import report in a bordered box: one bullet per sentence, long lists summarised."""
    with st.container(border=True):
        st.markdown("**Import report**")
        for entry in entries:
            if isinstance(entry, LongList):
                show_long_list(entry)
            else:
                st.markdown(f"- {escape_markdown(entry)}")
