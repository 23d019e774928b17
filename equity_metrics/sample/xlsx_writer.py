"""The sample district's files, written byte for byte the same on every run: a minimal XLSX writer (shared
strings, fixed timestamps, one title row where asked) and CSV."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from equity_metrics.ingest.readers import column_letter

FIXED_TIME = (2025, 7, 1, 0, 0, 0)  # every zip entry's timestamp and the workbook's created/modified date


def _is_number_column(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype)


def _as_text(values: pd.Series) -> np.ndarray:
    """A column as an object array of text, "" where missing."""
    return values.astype("string").fillna("").to_numpy(dtype=object)


def _sheet_xml(frame: pd.DataFrame, title: str | None, strings: pd.Index) -> str:
    """Worksheet XML: an optional title row, the header, then the data (numbers as numbers, text shared).

    Cell references (`r`) are optional in SpreadsheetML and make up most of a sheet's compressed size, so
    cells carry them only from the first column with blank (omitted) cells onwards, where readers need them
    to place the next cell. The XML is assembled column by column with pyarrow's string kernels.
    """
    offset = 1 if title else 0
    n = len(frame)
    row_numbers = pc.cast(pa.array(np.arange(n) + 2 + offset), pa.string())
    texts = [_as_text(frame[name]) for name in frame.columns]
    blank = [text == "" for text in texts]
    first_blank = next((j for j, b in enumerate(blank) if b.any()), len(texts))
    pieces: list[pa.Array | str] = [pc.binary_join_element_wise('<row r="', row_numbers, '">', "")]
    widths = []
    for j, name in enumerate(frame.columns):
        if _is_number_column(frame[name]):
            value, kind = pa.array(texts[j], type=pa.string()), ""
            width = max(len(name), 6)
        else:
            value = pc.cast(pa.array(strings.get_indexer(texts[j])), pa.string())
            kind = ' t="s"'
            width = max([len(name)] + [len(v) for v in pd.unique(texts[j])])
        widths.append(min(width + 2, 60))
        if j >= first_blank:
            opening = pc.binary_join_element_wise(f'<c r="{column_letter(j)}', row_numbers, f'"{kind}><v>', "")
        else:
            opening = f"<c{kind}><v>"
        cell = pc.binary_join_element_wise(opening, value, "</v></c>", "")
        pieces.append(pc.if_else(pa.array(blank[j]), "", cell) if blank[j].any() else cell)
    pieces.append("</row>")
    body = "".join(pc.binary_join_element_wise(*pieces, "").to_pylist()) if n else ""
    header = "".join(
        f'<c r="{column_letter(j)}{1 + offset}" t="s" s="1"><v>{strings.get_loc(name)}</v></c>'
        for j, name in enumerate(frame.columns)
    )
    head_rows = f'<row r="1"><c r="A1" t="s" s="1"><v>{strings.get_loc(title)}</v></c></row>' if title else ""
    head_rows += f'<row r="{1 + offset}">{header}</row>'
    last = f"{column_letter(len(frame.columns) - 1)}{n + 1 + offset}"
    cols = "".join(f'<col min="{j + 1}" max="{j + 1}" width="{w}" customWidth="1"/>' for j, w in enumerate(widths))
    pane = (
        f'<sheetViews><sheetView workbookViewId="0"><pane ySplit="{1 + offset}" topLeftCell="A{2 + offset}" '
        'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="A1:{last}"/>{pane}<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols>'
        f"<sheetData>{head_rows}{body}</sheetData></worksheet>"
    )


def _shared_strings(sheets: list[tuple[str, pd.DataFrame, str | None]]) -> pd.Index:
    """Every text value in the workbook, numbered (by position) in order of first appearance."""
    pieces = []
    for _, frame, title in sheets:
        if title:
            pieces.append(np.array([title], dtype=object))
        pieces.append(np.array(list(frame.columns), dtype=object))
        for name in frame.columns:
            if not _is_number_column(frame[name]):
                text = pd.unique(_as_text(frame[name]))
                pieces.append(text[text != ""])
    return pd.Index(pd.unique(np.concatenate(pieces)), dtype=object)


_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"


_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    "</fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def write_xlsx(path: Path, sheets: list[tuple[str, pd.DataFrame, str | None]], title: str) -> None:
    """Write a workbook (sheets of (name, frame, optional title row)) with fixed timestamps: same bytes every run."""
    strings = _shared_strings(sheets)
    parts: dict[str, str] = {
        **_package_parts(len(sheets), title),
        **_workbook_parts(sheets, strings),
    }
    for i, (_, frame, sheet_title) in enumerate(sheets):
        parts[f"xl/worksheets/sheet{i + 1}.xml"] = _sheet_xml(frame, sheet_title, strings)
    path.write_bytes(_zip_bytes(parts))


def _package_parts(n: int, title: str) -> dict[str, str]:
    """The package's parts outside xl/: content types (for `n` sheets), relationships, document properties."""
    stamp = "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z".format(*FIXED_TIME)
    return {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CONTENT_TYPE}.sheet.main+xml"/>'
            + "".join(
                f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" ContentType="{_CONTENT_TYPE}.worksheet+xml"/>'
                for i in range(n)
            )
            + f'<Override PartName="/xl/styles.xml" ContentType="{_CONTENT_TYPE}.styles+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CONTENT_TYPE}.sharedStrings+xml"/>'
            '<Override PartName="/docProps/core.xml" '
            'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            '<Override PartName="/docProps/app.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/'
            'core-properties" Target="docProps/core.xml"/>'
            f'<Relationship Id="rId3" Type="{_REL}/extended-properties" Target="docProps/app.xml"/>'
            "</Relationships>"
        ),
        "docProps/core.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:title>{escape(title)}</dc:title><dc:creator>Equity Explorer sample generator</dc:creator>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
            "</cp:coreProperties>"
        ),
        "docProps/app.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
            "<Application>Equity Explorer</Application></Properties>"
        ),
    }


def _workbook_parts(sheets: list[tuple[str, pd.DataFrame, str | None]], strings: pd.Index) -> dict[str, str]:
    """The workbook's parts in xl/ but the sheets: the workbook, its relationships, styles and shared strings."""
    n = len(sheets)
    return {
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'xmlns:r="{_REL}"><bookViews><workbookView activeTab="0"/></bookViews><sheets>'
            + "".join(
                f'<sheet name={quoteattr(name)} sheetId="{i + 1}" r:id="rId{i + 1}"/>'
                for i, (name, _, _) in enumerate(sheets)
            )
            + "</sheets></workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(
                f'<Relationship Id="rId{i + 1}" Type="{_REL}/worksheet" Target="worksheets/sheet{i + 1}.xml"/>'
                for i in range(n)
            )
            + f'<Relationship Id="rId{n + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId{n + 2}" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>"
        ),
        "xl/styles.xml": _STYLES,
        "xl/sharedStrings.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{len(strings)}" '
            f'uniqueCount="{len(strings)}">'
            + "".join(f"<si><t>{escape(value)}</t></si>" for value in strings)
            + "</sst>"
        ),
    }


def _zip_bytes(parts: dict[str, str]) -> bytes:
    """The parts zipped in their order, with fixed dates and modes (the same bytes every run)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in parts.items():
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            archive.writestr(info, text.encode("utf-8"), compresslevel=6)
    return buffer.getvalue()


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    """UTF-8 CSV with Unix line endings, blanks for missing values."""
    path.write_bytes(frame.to_csv(index=False, lineterminator="\n").encode("utf-8"))
