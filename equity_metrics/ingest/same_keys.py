"""Rows already stored, found by what they are about (their natural key), not by their whole content.

`same_content` refuses a table that is mostly the same rows as an earlier dataset. A later export that only
partly repeats an earlier one (the same students and some new ones, or the same rows with one corrected) passes
that test, yet the rows it repeats would be counted twice: a suspension's days summed twice, a student's test
result or survey answer counted twice, a school's count added to itself. So before an import's rows are
inserted, each row's key (below: for a roster, the school year, the student and the school) is looked up among
the stored rows of the same kind, and the import is refused when any row's key is already there, naming the
earlier dataset, how many rows it repeats, the school years and the first file rows.

Keys compare missing values as equal (two rows both without a school are the same school). A discipline action
is compared only when it carries its incident number or date: without them, two suspensions of one student in
one year cannot be told from one suspension loaded twice (`same_content` still catches the re-saved file). An
anonymous survey (respondents numbered by their row in the file) is never compared by key: row 2 of one file and
row 2 of another are different people.

Kinds left out on purpose, because the analysis already keeps one row per key across datasets (the latest
dataset wins, so a later file corrects an earlier one): `schools` (a school's latest name) and `graduation`
(a cohort's latest outcomes; storage/graduation_facts.py). Everything runs in DuckDB: one join of the new rows
with the stored rows of their school years, values bound, identifiers quoted.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from equity_metrics.ingest.readers import ROW_NUMBER_COLUMN
from equity_metrics.storage.schema import KINDS
from equity_metrics.storage.store import CATALOG_TABLE, quote_identifier

# The fields that say what one row is about, per kind: two rows with the same key are the same fact.
KEYS: dict[str, tuple[str, ...]] = {
    "enrollment": ("school_year", "student_id", "school_id"),
    "discipline": ("school_year", "student_id", "incident_id", "incident_date", "action"),
    "courses": ("school_year", "student_id", "course_code", "course_name", "course_level"),
    "marks": ("school_year", "student_id", "section_id", "term"),
    "assessments": ("school_year", "student_id", "subject", "grade"),
    "special_education": ("school_year", "student_id"),
    "interventions": ("school_year", "student_id", "intervention", "referral_date"),
    "staff": ("school_year", "staff_id", "school_id"),
    "applicants": ("school_year", "applicant_id", "position"),
    "survey": ("school_year", "response_id", "school_id", "respondent_type", "item_id"),
    "counts": ("school_year", "school_id", "race", "sex", "disability", "measure"),
    "staff_fte": ("school_year", "school_id", "job_group", "race"),
    "survey_summary": ("school_year", "school_id", "respondent", "measure", "item", "option"),
    "representation": ("school_year", "district", "school_name", "unit", "category", "subgroup"),
    "excerpts": ("school_year", "session", "participant_id", "excerpt", "theme", "code_column"),
}
# Rows compared only when their key can tell one fact from another.
_COMPARED = {"discipline": "(incident_id IS NOT NULL OR incident_date IS NOT NULL)"}
_SHOWN_ROWS = 5


@dataclass(frozen=True)
class KeyOverlap:
    """Rows of an import whose key an earlier dataset already holds."""

    kind: str
    dataset_id: int
    name: str
    imported_at: str
    shared: int  # rows of the new table whose key that dataset holds
    new_rows: int  # rows of the new table
    years: tuple[str, ...]  # the school years of the shared rows
    rows: tuple[int, ...]  # the first file rows of the shared rows
    file_rows: int  # file rows holding shared rows (fewer than `shared` where a wide file's row gives several)
    earlier_rows: int  # rows of that dataset
    earlier_left: int  # rows of that dataset whose key the new table does not hold (a replace removes them too)
    others: tuple[int, ...] = ()  # other earlier datasets the new table repeats rows of

    def message(self, label: str) -> str:
        keys = KEYS[self.kind]
        same = f"{', '.join(keys[:-1])} and {keys[-1]}" if len(keys) > 1 else keys[0]
        years = (f", school {'year' if len(self.years) == 1 else 'years'} {_and(self.years)}" if self.years else "")
        rows = ", ".join(map(str, self.rows)) + (", ..." if self.file_rows > len(self.rows) else "")
        noun = "row" if self.file_rows == 1 else "rows"
        earlier = f"dataset {self.dataset_id} ({self.name!r}, imported {self.imported_at} UTC)"
        verb = "is" if self.shared == 1 else "are"
        text = (f"{label}: {self.shared:,} of its {self.new_rows:,} rows ({KINDS[self.kind].label}{years}) {verb} "
                f"already loaded in {earlier}: the same {same} ({noun} {rows}); importing it would count them twice.")
        if self.others:
            text += f" It also repeats rows of {'dataset' if len(self.others) == 1 else 'datasets'} {_and(self.others)}."
        left = ""
        if self.earlier_left:
            word = "row" if self.earlier_left == 1 else "rows"
            left = f" (its {self.earlier_left:,} {word} not in this file would go too)"
        return (f"{text} Delete dataset {self.dataset_id} on the Data page to replace it{left}, or load only the rows "
                "that are new.")


def _and(items: tuple[object, ...]) -> str:
    words = [str(i) for i in items]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _same(left: str, right: str, kind: str) -> str:
    return " AND ".join(f"{left}.{quote_identifier(k)} IS NOT DISTINCT FROM {right}.{quote_identifier(k)}"
                        for k in KEYS[kind])


def key_overlap(cursor: duckdb.DuckDBPyConnection, staged: str, good: str, kind: str) -> KeyOverlap | None:
    """The earlier dataset holding the keys of the most of the staged table's good rows, or None when no
    stored row of the kind has the key of any of them.

    `staged` is a table with the kind's canonical columns and the file row number, `good` the SQL predicate of
    its rows to import. Only stored rows of the staged rows' school years are looked at."""
    if kind not in KEYS:
        return None
    table, keys = quote_identifier(kind), ", ".join(quote_identifier(k) for k in KEYS[kind])
    compared = _COMPARED.get(kind, "TRUE")
    new = (f"SELECT rowid AS i, {quote_identifier(ROW_NUMBER_COLUMN)} AS r, {keys} FROM {staged} "
           f"WHERE ({good}) AND {compared}")
    found = cursor.execute(
        f"""
        WITH new AS ({new}),
        old AS (SELECT DISTINCT dataset_id, {keys} FROM {table}
                WHERE {compared} AND (school_year IN (SELECT school_year FROM new)
                      OR school_year IS NULL AND EXISTS (SELECT 1 FROM new WHERE school_year IS NULL))),
        hit AS (SELECT o.dataset_id, n.i, n.r, n.school_year FROM new n JOIN old o ON {_same('n', 'o', kind)})
        SELECT h.dataset_id, d.name, strftime(d.imported_at, '%Y-%m-%d %H:%M'), count(*) AS shared,
               list(DISTINCT h.school_year ORDER BY h.school_year) FILTER (WHERE h.school_year IS NOT NULL),
               list(DISTINCT h.r ORDER BY h.r)[1:{_SHOWN_ROWS}], count(DISTINCT h.r)
        FROM hit h JOIN {CATALOG_TABLE} d USING (dataset_id)
        GROUP BY ALL ORDER BY shared DESC, h.dataset_id
        """
    ).fetchall()
    if not found:
        return None
    dataset_id, name, when, shared, years, rows, file_rows = found[0]
    new_rows = int(cursor.execute(f"SELECT count(*) FROM {staged} WHERE {good}").fetchone()[0])
    earlier_rows, earlier_left = cursor.execute(
        f"SELECT count(*), count(*) FILTER (WHERE NOT ({compared}) OR NOT EXISTS "
        f"(SELECT 1 FROM ({new}) n WHERE {_same('n', 'o', kind)})) FROM {table} o WHERE o.dataset_id = ?",
        [dataset_id],
    ).fetchone()
    return KeyOverlap(kind, int(dataset_id), str(name), str(when), int(shared), new_rows, tuple(years or ()),
                      tuple(int(r) for r in rows), int(file_rows), int(earlier_rows), int(earlier_left),
                      tuple(int(f[0]) for f in found[1:]))
