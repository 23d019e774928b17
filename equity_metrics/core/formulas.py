"""Text a spreadsheet could run as a formula (a cell starting with =, +, -, @, a tab or a carriage return),
and the one guard against it: a leading apostrophe, which spreadsheets show as text and do not display.

Two uses: tables exported for reading (`neutralise`: numbers, and text that is just a number, are left
alone), and files that come back in (`neutralise(..., reversible=True)` and `restore`: every text that could
run, and every text that starts with an apostrophe, gets one, so the import can take exactly one off).
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_QUOTED = (*FORMULA_PREFIXES, "'")  # with `reversible`: an apostrophe the writer did not add is doubled
_NUMBER_TEXT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def neutralise(value: Any, *, reversible: bool = False) -> Any:
    """Text that a spreadsheet could run as a formula gets a leading apostrophe; anything else is returned as
    it is. Numbers, and text that is just a number ("-3.5"), are left alone, unless `reversible`: then every
    text starting with a formula character or an apostrophe gets one, so `restore` gives the text back."""
    if not isinstance(value, str):
        return value
    if reversible:
        return "'" + value if value.startswith(_QUOTED) else value
    if value.startswith(FORMULA_PREFIXES) and not _NUMBER_TEXT.fullmatch(value):
        return "'" + value
    return value


def restore(text: str) -> str:
    """The text `neutralise(text, reversible=True)` was given: one leading apostrophe taken off where it
    added one."""
    return text[1:] if text.startswith("'") and text[1:].startswith(_QUOTED) else text
