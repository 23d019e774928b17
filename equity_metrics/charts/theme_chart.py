"""The themes chart of the Listening sessions page: one theme, the share of each shown group's participants who
raised it (colour per group, as in every chart; hidden groups are not drawn and the note under the chart names
them), and a title that states the finding with the sessions' years and the dimension."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from equity_metrics.charts.specs import CHART_WIDTH, GROUP_AXIS, ROW_STEP, colour_scale, wrap_title
from equity_metrics.core.constants import OKABE_ITO
from equity_metrics.measures.themes import ALL_PARTICIPANTS, ALL_THEMES

__all__ = ["theme_chart", "theme_title"]

_WORDS = {"race": "race/ethnicity", "role": "role", "school": "school"}
_PALETTE = tuple(c for c in OKABE_ITO if c not in ("#F0E442", "#000000"))


def _scale(by: str, groups: Sequence[str]) -> alt.Scale:
    if by == "race":
        return colour_scale("race", groups)
    return alt.Scale(domain=list(groups), range=[_PALETTE[i % len(_PALETTE)] for i in range(len(groups))])


def theme_title(table: pd.DataFrame, by: str, theme: str, years: Sequence[str]) -> str:
    """'Belonging: raised by 46% of Hispanic or Latino participants, the most of any group shown (listening
    sessions 2024-25, by race/ethnicity)'."""
    rows = table[(table["theme"] == theme) & (table[by] != ALL_PARTICIPANTS)].dropna(subset=["share_of_respondents"])
    when = f"listening sessions {', '.join(years)}" if years else "listening sessions"
    where = f"({when}, by {_WORDS.get(by, by)})"
    if rows.empty:
        return f"{theme}: no group is large enough to be shown {where}"
    top = rows.sort_values(["share_of_respondents", by], ascending=[False, True]).iloc[0]
    return (f"{theme}: raised by {top['share_of_respondents']:.0%} of {top[by]} participants, the most of any "
            f"group shown {where}")


def theme_chart(table: pd.DataFrame, by: str, theme: str, years: Sequence[str]) -> alt.Chart:
    """Bars of each shown group's share of participants raising `theme` (from `themes.publish`'s table)."""
    if theme == ALL_THEMES:
        raise ValueError("pick one theme")
    rows = table[(table["theme"] == theme) & (table[by] != ALL_PARTICIPANTS)]
    shown = rows.dropna(subset=["share_of_respondents"]).rename(columns={by: "group"})
    groups = list(rows[by])
    frame = shown[["group", "respondents", "excerpts", "share_of_respondents"]].astype(
        {"respondents": "float64", "excerpts": "float64"})
    chart = alt.Chart(frame).mark_bar().encode(
        y=alt.Y("group:N", sort=groups, title=None, axis=GROUP_AXIS),
        x=alt.X("share_of_respondents:Q", title="Share of the group's participants", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("group:N", scale=_scale(by, groups), legend=None),
        tooltip=[alt.Tooltip("group:N", title=_WORDS.get(by, by).capitalize()),
                 alt.Tooltip("share_of_respondents:Q", title="Share", format=".0%"),
                 alt.Tooltip("respondents:Q", title="Participants", format=",.0f"),
                 alt.Tooltip("excerpts:Q", title="Excerpts", format=",.0f")])
    title = theme_title(table, by, theme, years)
    return chart.properties(width=CHART_WIDTH, height=max(len(shown), 1) * ROW_STEP,
                            title=alt.TitleParams(wrap_title(title), anchor="start"))
