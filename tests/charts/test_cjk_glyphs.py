"""Issue 18: chart files with Chinese text draw its characters, not empty boxes. vl-convert uses the fonts
installed on the computer (scripts/test.sh installs fonts-wqy-microhei): where no font has the glyphs, every
character is the same empty box, so two different words of two characters render to the same picture."""

from __future__ import annotations

import re

import altair as alt
import pandas as pd

from equity_metrics.charts import chart_files


def _picture(words: str) -> bytes:
    chart = alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x="x:Q").properties(title=words, width=60,
                                                                                         height=20)
    return chart_files.png_bytes(chart, ppi=72)


def test_chinese_characters_are_drawn() -> None:
    assert _picture("学生") != _picture("比率")
    assert _picture("学生") == _picture("学生")  # the comparison means something: rendering is repeatable


def _pdf_fonts(title: str) -> set[bytes]:
    chart = alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x=alt.X("x:Q", title=title))
    return {name.split(b"+")[-1] for name in re.findall(rb"/BaseFont\s*/([^\s/>]+)", chart_files.pdf_bytes(chart))}


def test_chinese_characters_in_a_pdf_chart_embed_a_chinese_font() -> None:
    """A PDF chart with Chinese text embeds a font beside the Latin one (the one holding the glyphs)."""
    latin = _pdf_fonts("Out-of-school suspension rate")
    chinese = _pdf_fonts("校外停学比率")
    assert chinese - latin, (latin, chinese)
