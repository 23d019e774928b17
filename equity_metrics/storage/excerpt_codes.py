"""How the codes of one excerpt are written in one cell (kind `excerpts`): read by the importer's layouts and
split by `measures.themes` in SQL, so both sides agree."""

from __future__ import annotations

__all__ = ["CODE_SEPARATORS"]

CODE_SEPARATORS = r"\s*(?:;|\||\r?\n)\s*"  # between the codes of one cell (a comma may be part of a theme's name)
