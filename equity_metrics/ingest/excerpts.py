"""Coded excerpts (listening sessions, focus groups, open-ended comments), recognised from their headers and read
into kind `excerpts`: one row per excerpt and code.

Three layouts are recognised, each with the reason said:
- **Taguette's highlights export** (`Export highlights` as CSV or Excel): `id, document, tag, content`, and since
  Taguette 1.x `id, document, tag, tag_parent, tag_full_path, tag_description, content`; one row per highlight
  and tag (a highlight with two tags is two rows with the same `id`). `document` is the session (the file
  coded); the export names no participant and no participant attributes.
- **QualCoder's coded text export** (the coding report's CSV or XLSX export): `File/case, Coder, Coded, Id,
  Codename, Coded_Memo`, then one `Category` column per level of the code's categories and, when variables are
  exported, `FileVar_<name>` and `CaseVar_<name>` columns; one row per coding. `File/case` is the case (the
  participant) or the file; `CaseVar_`/`FileVar_` columns named like a role, race, school or session give them.
- **A district's own file**: an excerpt column (`Excerpt`, `Quote`, `Comment`, `Text`, ...) and either one code
  column (`Codes`, `Themes`, `Tags`: several codes in a cell separated by ';', '|' or a line break), several
  numbered ones (`Code 1`, `Code 2`, ...: one row per code column), or one row per excerpt and code; optional
  participant ID, name or speaker, role, race/ethnicity, school and session columns.

A file that also names a student, staff or incident ID is not taken for excerpts (it is a roster or an event
file with a comment column).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from equity_metrics.core.codes import code_key
from equity_metrics.ingest.guessing import ColumnGuess
from equity_metrics.ingest.mapping import Mapping, Unpivot
from equity_metrics.storage.excerpt_codes import CODE_SEPARATORS

__all__ = ["CODE_SEPARATORS", "excerpts_guess", "excerpts_layout", "is_excerpts", "split_codes"]

_TAGUETTE = ("id", "document", "tag", "content")
_QUALCODER = ("file case", "coder", "coded", "id", "codename")
_TEXT = ("excerpt", "excerpt text", "quote", "quotation", "coded text", "coded segment", "segment", "passage",
         "comment", "comments", "comment text", "open ended response", "response text", "statement", "text",
         "content", "highlight")
_CODES = ("codes", "code", "themes", "theme", "tags", "tag", "codename", "code name", "theme name", "code s",
          "theme s")
_NUMBERED = re.compile(r"^(?:code|theme|tag)\s?(\d+)$")
_FIELDS: dict[str, tuple[str, ...]] = {
    "participant_id": ("participant id", "participant", "participant number", "respondent id", "speaker id", "pid",
                       "participant code", "case", "case id"),
    "participant_name": ("participant name", "name", "speaker", "speaker name", "respondent name"),
    "session": ("session", "session name", "listening session", "focus group", "group", "document", "transcript",
                "file", "event", "meeting", "session id"),
    "role": ("role", "participant role", "stakeholder group", "stakeholder", "participant type", "respondent type",
             "position"),
    "race": ("race", "race ethnicity", "ethnicity", "race and ethnicity"),
    "school": ("school", "school name", "site", "campus", "building"),
    "excerpt_id": ("excerpt id", "quote id", "comment id", "highlight id", "coding id"),
    "school_year": ("school year", "year"),
}
_NOT_EXCERPTS = ("student id", "student number", "staff id", "employee id", "incident id", "applicant id",
                 "local student id", "state student id")


def _keyed(columns: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for column in columns:
        out.setdefault(code_key(column), column)
    return out


def _first(keyed: dict[str, str], keys: Sequence[str], taken: set[str]) -> str | None:
    return next((keyed[k] for k in keys if k in keyed and keyed[k] not in taken), None)


def excerpts_layout(columns: Sequence[str]) -> str | None:
    """'taguette', 'qualcoder' or 'own' when the headers are coded excerpts; None otherwise."""
    keyed = _keyed(columns)
    if any(k in keyed for k in _NOT_EXCERPTS):
        return None
    if all(k in keyed for k in _TAGUETTE):
        return "taguette"
    if all(k in keyed for k in _QUALCODER):
        return "qualcoder"
    text = _first(keyed, _TEXT, set())
    coded = _first(keyed, _CODES, set()) or next((c for k, c in keyed.items() if _NUMBERED.match(k)), None)
    return "own" if text and coded else None


def is_excerpts(columns: Sequence[str]) -> bool:
    return excerpts_layout(columns) is not None


def _variables(columns: Sequence[str], taken: set[str]) -> tuple[dict[str, str], dict[str, str]]:
    """QualCoder's CaseVar_/FileVar_ columns named like a participant field (case variables first)."""
    mapped: dict[str, str] = {}
    reasons: dict[str, str] = {}
    for prefix, what in (("casevar ", "a case variable"), ("filevar ", "a file variable")):
        named = {code_key(c)[len(prefix):]: c for c in columns if code_key(c).startswith(prefix)}
        for name, keys in _FIELDS.items():
            column = _first(named, keys, taken)
            if name not in mapped and name != "excerpt_id" and column:
                mapped[name] = column
                taken.add(column)
                reasons[name] = f"{column!r}: {what} of QualCoder's export"
    return mapped, reasons


def _taguette(keyed: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    columns = {"excerpt": keyed["content"], "theme": keyed["tag"], "excerpt_id": keyed["id"],
               "session": keyed["document"]}
    reasons = {"excerpt": f"{keyed['content']!r}: the highlighted text of Taguette's highlights export",
               "theme": f"{keyed['tag']!r}: the highlight's tag (one row per highlight and tag)",
               "excerpt_id": f"{keyed['id']!r}: the highlight's number (the same for each of its tags)",
               "session": f"{keyed['document']!r}: the document the highlight is in (a session or interview)"}
    return columns, reasons


def _qualcoder(columns: Sequence[str], keyed: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    mapped = {"excerpt": keyed["coded"], "theme": keyed["codename"], "excerpt_id": keyed["id"],
              "participant_id": keyed["file case"]}
    reasons = {"excerpt": f"{keyed['coded']!r}: the coded text of QualCoder's coding report export",
               "theme": f"{keyed['codename']!r}: the code's name (one row per coding)",
               "excerpt_id": f"{keyed['id']!r}: the coding's ID (ctid:...)",
               "participant_id": f"{keyed['file case']!r}: the case (a participant) or the file of the coding"}
    found, why = _variables(columns, set(mapped.values()))
    return {**mapped, **found}, {**reasons, **why}


def _own(columns: Sequence[str], keyed: dict[str, str]) -> tuple[dict[str, str], dict[str, str], Unpivot | None]:
    text = _first(keyed, _TEXT, set())
    assert text is not None
    mapped, reasons = {"excerpt": text}, {"excerpt": f"{text!r}: the excerpt's text"}
    taken = {text}
    numbered = [c for k, c in keyed.items() if _NUMBERED.match(k)]
    single = _first(keyed, _CODES, taken)
    unpivot = None
    if single is not None:
        mapped["theme"] = single
        taken.add(single)
        reasons["theme"] = (f"{single!r}: the excerpt's codes (several in a cell separated by ';', '|' or a line "
                            "break; one row per excerpt and code works too)")
    elif numbered:
        unpivot = Unpivot(tuple(numbered), "code_column", "theme")
        taken.update(numbered)
        reasons["theme"] = f"one row per code column: {', '.join(map(repr, numbered))} (blank cells are no code)"
    for name, keys in _FIELDS.items():
        column = _first(keyed, keys, taken)
        if column:
            mapped[name] = column
            taken.add(column)
            reasons[name] = f"{column!r}: named like the {name.replace('_', ' ')}"
    return mapped, reasons, unpivot


def excerpts_guess(columns: Sequence[str]) -> ColumnGuess:
    """The mapping of a coded-excerpts file (see module), with the reason for each field."""
    keyed = _keyed(columns)
    layout = excerpts_layout(columns)
    unpivot = None
    if layout == "taguette":
        mapped, reasons = _taguette(keyed)
    elif layout == "qualcoder":
        mapped, reasons = _qualcoder(columns, keyed)
    else:
        mapped, reasons, unpivot = _own(columns, keyed)
    return ColumnGuess(Mapping("excerpts", mapped, unpivot=unpivot), reasons)


def split_codes(cell: str | None) -> list[str]:
    """The codes of one cell, as `measures.themes` splits them in SQL (for tests and the Data page)."""
    if cell is None:
        return []
    return [part for part in (p.strip() for p in re.split(CODE_SEPARATORS, cell)) if part]
