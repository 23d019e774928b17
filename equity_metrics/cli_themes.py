"""The `themes` command: participants and excerpts per theme per group, from coded excerpts (kind `excerpts`).

    python -m equity_metrics themes [--by race|role|school] [--db PATH] [--format csv|json|table]

Prints `theme, <dim>, respondents, excerpts, share_of_respondents, suppressed, note`: every theme x group, the
theme's participants ('All participants') and every group's participants ('All themes'), protected as the
Listening sessions page shows them (`measures.themes`: a group under 10 participants is hidden, counts from 1
to 9 are hidden, and complements so that no hidden count can be worked out). No quote is ever printed. The
notes go to standard error; the store is opened read-only.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from equity_metrics.measures.themes import THEME_DIMENSIONS, themes_by
from equity_metrics.storage.store import default_db_path, open_for_reading

__all__ = ["add_themes", "cmd_themes"]


def cmd_themes(args: argparse.Namespace, render: Callable[[pd.DataFrame, str], str]) -> str:
    with open_for_reading(Path(args.db) if args.db else default_db_path()) as store:
        result = themes_by(store, args.by)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    return render(result.table, args.format)


def add_themes(commands: argparse._SubParsersAction, common: Callable[[argparse.ArgumentParser], None],
               render: Callable[[pd.DataFrame, str], str]) -> None:
    """Add `themes`."""
    p = commands.add_parser("themes", help="participants and excerpts per theme per group, from coded excerpts of "
                                           "listening sessions, focus groups or comments (kind excerpts)")
    p.add_argument("--by", choices=THEME_DIMENSIONS, default="race",
                   help="the participants' group: race, role or school (default: race)")
    common(p)
    p.set_defaults(run=lambda args: cmd_themes(args, render))
