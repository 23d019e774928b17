"""An equity impact assessment as one self-contained HTML file: the decision, the standard questions with the
user's answers, the current figures for the groups and schools affected (sentences and tables from the
protected tables), the goals that monitor it, then methods and privacy. Every text is escaped; nothing is
fetched (the CSS of `html_report`)."""

from __future__ import annotations

from collections.abc import Sequence

from equity_metrics.core.constants import DIMENSIONS
from equity_metrics.goals.impact import QUESTIONS, ImpactAssessment
from equity_metrics.goals.impact_figures import ImpactFigure
from equity_metrics.measures.metrics import MetricOptions
from equity_metrics.reports.export_tables import Provenance, methods_lines
from equity_metrics.reports.html_report import CSS, SAMPLE_NOTE, _e, table_html

__all__ = ["impact_file_name", "impact_report_html", "scope_line"]


def scope_line(assessment: ImpactAssessment) -> str:
    """"A policy · 2024-25 · Central High School · by race: Black or African American, White"."""
    where = ", ".join(assessment.schools) if assessment.schools else "the whole district"
    dimension = DIMENSIONS[assessment.dimension].label.lower() if assessment.dimension in DIMENSIONS \
        else assessment.dimension
    groups = ", ".join(assessment.groups) if assessment.groups else "every group"
    year = assessment.school_year or "the latest school year"
    return f"A {assessment.decision_kind} decision · {year} · {where} · by {dimension}: {groups}"


def impact_file_name(assessment: ImpactAssessment) -> str:
    """A file name that says what the file is: impact_assessment_<number>_<title words>.html."""
    words = "".join(c if c.isalnum() else "_" for c in assessment.title.lower()).strip("_")
    words = "_".join(part for part in words.split("_") if part)[:60] or "untitled"
    return f"impact_assessment_{assessment.assessment_id or 'draft'}_{words}.html"


def _answers_html(assessment: ImpactAssessment) -> list[str]:
    parts = []
    for number, question in enumerate(QUESTIONS, start=1):
        answer = assessment.answer(question.key)
        body = "".join(f"<p>{_e(paragraph)}</p>" for paragraph in answer.split("\n\n") if paragraph.strip()) \
            if answer else '<p class="note">Not answered yet.</p>'
        parts.append(f'<section class="question"><h3>{number}. {_e(question.text)}</h3>{body}</section>')
    return parts


def _figure_html(figure: ImpactFigure) -> str:
    heading = f"<h3>{_e(figure.indicator_label)}: {_e(figure.place)}, {_e(figure.school_year)}</h3>"
    if figure.message:
        return f'<section class="figure">{heading}<p class="note">{_e(figure.message)}</p></section>'
    sentences = "".join(f'<li class="sentence">{_e(s)}</li>' for s in figure.sentences)
    return f'<section class="figure">{heading}<ul>{sentences}</ul>{table_html(figure.table)}</section>'


def impact_report_html(assessment: ImpactAssessment, figures: Sequence[ImpactFigure], goal_lines: Sequence[str],
                       source: Provenance, options: MetricOptions = MetricOptions()) -> str:
    """The whole document. `goal_lines`: one sentence per linked goal (its title and status), already made."""
    banner = (f'<p class="sample"><strong>Sample data (synthetic).</strong> {_e(SAMPLE_NOTE)}</p>'
              if source.holds_sample else "")
    goals_html = ("<ul>" + "".join(f"<li>{_e(line)}</li>" for line in goal_lines) + "</ul>") if goal_lines \
        else '<p class="note">No goal is linked to this assessment yet.</p>'
    body = [
        f"<header><h1>{_e(assessment.title)}</h1>",
        f'<p class="sentence">{_e(scope_line(assessment))}</p>',
        f'<p class="source">{_e(source.source_line)}</p>{banner}</header>',
        "<main>",
        '<section id="questions"><h2>The questions</h2>', *_answers_html(assessment), "</section>",
        '<section id="figures"><h2>What the data show for the groups affected</h2>',
        *(_figure_html(f) for f in figures),
        "" if figures else '<p class="note">No indicator was chosen.</p>',
        "</section>",
        f'<section id="goals"><h2>Goals that monitor it</h2>{goals_html}</section>',
        '<section id="methods"><h2>Methods and privacy</h2><ul>',
        *(f"<li>{_e(line)}</li>" for line in methods_lines(options)),
        "</ul></section></main>",
    ]
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_e(assessment.title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            + "\n".join(part for part in body if part) + "\n</body>\n</html>\n")
