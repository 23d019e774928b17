"""Issue 18: `python -m equity_metrics audit --lang es|zh` writes the audit in Spanish or Chinese: the lang
attribute, the headings, the table headers, the chart text and the findings. Each finding is checked against
an independent expectation: the Spanish (Chinese) template written out here, filled with the English run's
numbers formatted by hand and the words of locales/glossary.csv."""

from __future__ import annotations

import csv
import html
import io
import shutil
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.oxml.ns import qn

from equity_metrics.cli import main
from equity_metrics.measures import analysis
from equity_metrics.measures.aggregate import Filters
from equity_metrics.measures.metrics import MetricOptions
from equity_metrics.narrative import findings
from equity_metrics.storage.store import Store

ROOT = Path(__file__).resolve().parents[2]
YEAR = "2024-25"


def _glossary(column: str) -> dict[str, str]:
    with (ROOT / "locales" / "glossary.csv").open(newline="", encoding="utf-8") as handle:
        return {row["term"]: row[column] for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def audits(tmp_path_factory, sample_db_template: Path) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("audit_lang")
    db = folder / "store.duckdb"
    shutil.copyfile(sample_db_template, db)
    pages = {}
    for lang, suffix in (("es", ".html"), ("zh", ".html"), ("es", ".xlsx"), ("zh", ".pptx")):
        out = folder / f"audit_{lang}{suffix}"
        err = io.StringIO()
        with redirect_stdout(io.StringIO()), redirect_stderr(err):
            assert main(["audit", "--db", str(db), "--out", str(out), "--lang", lang]) == 0, err.getvalue()
        pages[lang if suffix == ".html" else f"{lang}{suffix}"] = (
            html.unescape(out.read_text(encoding="utf-8")) if suffix == ".html" else out)
    with Store(db, read_only=True) as store:
        rates = analysis.audit(store, ("race",), Filters(school_years=(YEAR,)))
    pages["findings"] = findings.largest_gaps(rates, ["race"], MetricOptions(), limit=8, per_indicator=1)
    return pages


def _es_number(value: float, digits: int) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


def _p(name: str, value: float, decimal: str) -> str:
    return f"{name} < 0{decimal}001" if value < 0.001 else f"{name} = {f'{value:.3f}'.replace('.', decimal)}"


def _spanish(finding: findings.Finding) -> str:
    words = _glossary("es")
    noun = words[f"{finding.group['race']} students"]
    ratio, rate, other = finding.risk_ratio, finding.rate, finding.comparison_rate
    event = words[finding.indicator.event]
    test = {"chi-square": "ji cuadrado", "Fisher's exact": "prueba exacta de Fisher"}[finding.test]

    def pct(value: float) -> str:
        return _es_number(value * 100, 1) + "\u00a0%"

    if ratio >= 1:
        text = (f"{noun[0].upper() + noun[1:]} tenían {_es_number(ratio, 1)} veces más probabilidades que todos los "
                f"demás estudiantes de {event} ({pct(rate)} frente a {pct(other)})")
    else:
        inverse = 1 / ratio
        text = (f"Todos los demás estudiantes tenían {_es_number(inverse, 2 if inverse < 1 else 1)} veces más "
                f"probabilidades que {noun} de {event} ({pct(other)} frente a {pct(rate)})")
    return (f"{text}; la diferencia es estadísticamente significativa ({test}, {_p('p', finding.p_value, ',')}, "
            f"q < 0,001 corregido por comparaciones múltiples).")


def _chinese(finding: findings.Finding) -> str:
    words = _glossary("zh-Hans")
    noun = words[f"{finding.group['race']} students"]
    event = words[finding.indicator.event]
    test = {"chi-square": "卡方检验", "Fisher's exact": "费希尔精确检验"}[finding.test]
    ratio, rate, other = finding.risk_ratio, f"{finding.rate * 100:.1f}%", f"{finding.comparison_rate * 100:.1f}%"
    if ratio >= 1:
        text = f"{noun}{event}的可能性是所有其他学生的{ratio:.1f}倍（{rate}对比{other}）"
    else:
        inverse = 1 / ratio
        text = f"所有其他学生{event}的可能性是{noun}的{inverse:.{2 if inverse < 1 else 1}f}倍（{other}对比{rate}）"
    return f"{text}；差异具有统计显著性（{test}，{_p('p', finding.p_value, '.')}，经多重检验校正后q < 0.001）。"


def test_the_lang_attribute_and_the_headings(audits) -> None:
    assert '<html lang="es">' in audits["es"]
    assert '<html lang="zh-Hans">' in audits["zh"]
    assert f"<h1>Auditoría de equidad, {YEAR}</h1>" in audits["es"]
    assert f"<h1>{YEAR}学年公平性审查</h1>" in audits["zh"]
    assert "<h2>Métodos y privacidad</h2>" in audits["es"]
    assert "<h2>方法与隐私</h2>" in audits["zh"]
    for lang, words in (("es", ("Razón de riesgo", "Con el resultado", "Desproporcionalidad significativa según IDEA",
                                "Datos de muestra (sintéticos)", "Hispano o latino", "ji cuadrado")),
                        ("zh", ("风险比", "有此结果", "IDEA显著不成比例", "示例数据（虚构）", "西班牙裔或拉丁裔", "卡方检验"))):
        for word in words:
            assert word in audits[lang], (lang, word)
    for english in ("Risk ratio", "With outcome", "Methods and privacy", "Table: every group", "times as likely",
                    "Not fully shown", "all other students", "chi-square"):
        assert english not in audits["es"], english
        assert english not in audits["zh"], english


def test_the_findings_are_the_english_run_said_in_each_language(audits) -> None:
    found = audits["findings"]
    assert len(found) == 8
    for finding in found:
        assert finding.sentence not in audits["es"]
        assert f'<p class="sentence">{_spanish(finding)}</p>' in audits["es"], (finding.sentence, _spanish(finding))
        assert f'<p class="sentence">{_chinese(finding)}</p>' in audits["zh"], (finding.sentence, _chinese(finding))


def test_the_chart_text_is_translated(audits) -> None:
    es, zh = _glossary("es"), _glossary("zh-Hans")
    for finding in audits["findings"]:
        label = finding.indicator.label
        assert f">Tasa de {es[label]}</text>" in audits["es"]
        assert f">{zh[label]}比率</text>" in audits["zh"]
    assert ">Todos los demás estudiantes</text>" in audits["es"]
    assert ">所有其他学生</text>" in audits["zh"]


def test_the_spanish_workbook(audits) -> None:
    workbook = load_workbook(audits["es.xlsx"])
    assert workbook.sheetnames == ["Hallazgos", "Tasas por raza", "Brechas por raza", "Desproporcionalidad IDEA",
                                   "La raza como predictor", "Notas"]
    rows = list(workbook["Hallazgos"].iter_rows(values_only=True))
    assert rows[0][:5] == ("Área", "Indicador", "Año escolar", "Grupo", "Hallazgo")
    assert [row[4] for row in rows[1:]] == [_spanish(f) for f in audits["findings"]]
    rates = list(workbook["Tasas por raza"].iter_rows(values_only=True))
    assert "Razón de riesgo" in rates[0] and "Risk ratio" not in rates[0]
    assert {row[4] for row in rates[1:]} >= {"Negro o afroamericano", "Hispano o latino", "Blanco"}
    notes = [cell for row in workbook["Notas"].iter_rows(values_only=True) for cell in row if cell]
    for words in ("Acerca de este libro", "Reglas de supresión", "Definiciones", "Datos de muestra (sintéticos)",
                  "Tasa menos tasa de comparación, en puntos porcentuales."):
        assert words in notes, words
    assert "Suppression rules" not in notes and "Definitions" not in notes


def test_the_chinese_deck(audits) -> None:
    deck = Presentation(audits["zh.pptx"])
    slides = list(deck.slides)
    assert slides[0].shapes.title.text == f"{YEAR}学年公平性审查"
    texts = [shape.text_frame.text for slide in slides for shape in slide.shapes if shape.has_text_frame]
    for finding in audits["findings"]:
        assert _chinese(finding) in texts
    assert "方法、隐私与数据" in texts
    pictures = [shape for slide in slides for shape in slide.shapes if shape.shape_type == MSO_SHAPE_TYPE.PICTURE]
    assert len(pictures) == len(audits["findings"])
    assert all("的可能性是" in p._element.nvPicPr.cNvPr.get("descr") for p in pictures)
    # every run says it is Chinese and names an East Asian font (no run falls back to a Latin-only font)
    for slide in slides:
        for run in slide._element.xpath(".//a:r"):
            properties = run.find(qn("a:rPr"))
            assert properties is not None and properties.get("lang") == "zh-CN"
            assert properties.find(qn("a:ea")).get("typeface") == "Microsoft YaHei"
