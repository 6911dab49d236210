"""Reading uploaded tables (CSV or XLSX) row by row, with their line numbers.

Files are streamed: a province's year of ledger (100,000 rows) is never held whole in memory.
A CSV may be UTF-8 (with or without the BOM Excel writes) or GB18030 (what Excel on a Chinese
Windows saves as "CSV"; GB18030 contains GBK and GB2312); the encoding is told from the bytes.
An XLSX keeps its cells' types: a date cell arrives as a datetime, a number as a number.
"""

from __future__ import annotations

import codecs
import csv
import unicodedata
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from casework.errors import Invalid

MAX_FILE_BYTES = 50 * 1024 * 1024
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls (an OLE container)
CHUNK = 1 << 16


def refuse(message: str, **params) -> Invalid:
    """The refusal of a file.  Messages quote the offending cell, which may hold anything: line
    breaks, terminal escapes and invisible marks are shown as escapes, so the refusal stays one
    plain line on a terminal and in a JSON body.

    With ``params``, ``message`` is an English sentence with ``%(name)s`` parts, kept as the
    refusal's ``reason`` so that a page can say it in its own language."""
    text = visible(message % params if params else message)
    refusal = Invalid({"file": text}, message=text)
    refusal.reason, refusal.params = (message, params) if params else (None, {})
    return refusal


def visible(text: str) -> str:
    return "".join(_visible(char) for char in text)


def _visible(char: str) -> str:
    if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co"):
        code = ord(char)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return char


def read_table(path: str | Path, columns: tuple[str, ...], *, required: tuple[str, ...] = ()
               ) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) for each data row; the header must name every required column."""
    path = Path(path)
    rows = iter_cells(path)
    header_line, header = next(rows, (1, []))
    names = [head_text(cell) for cell in header]
    missing = [name for name in (required or columns) if name not in names]
    if missing:
        raise refuse(f"line {header_line}: the header lacks the column(s) {', '.join(missing)}")
    unknown = [name for name in names if name and name not in columns]
    if unknown:
        raise refuse(f"line {header_line}: unknown column(s) {', '.join(unknown)}")
    for line, cells in rows:
        if is_blank(cells):
            continue
        if len(cells) > len(names):
            raise refuse(f"line {line}: more cells than columns")
        yield line, {name: text_of(cell) for name, cell in zip(names, cells, strict=False)
                     if name}


def head_text(cell: object) -> str:
    return str(cell if cell is not None else "").strip().lstrip("\ufeff").strip()


def is_blank(cells: list) -> bool:
    return not any(str(cell if cell is not None else "").strip() for cell in cells)


def text_of(cell: object) -> str:
    """A cell as text: numbers stored as numbers (a phone, a village code) lose Excel's ".0"."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return str(cell)
    if isinstance(cell, datetime):
        return cell.isoformat(sep=" ")
    if isinstance(cell, float) and cell.is_integer() and abs(cell) < 1e17:
        return str(int(cell))
    return str(cell).strip()


def iter_cells(path: str | Path) -> Iterator[tuple[int, list]]:
    """Yield (line number, cells) for every row of the file, the header first."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise refuse("cannot read %(file)s: %(why)s", file=path.name, why=exc.strerror) from None
    if size > MAX_FILE_BYTES:
        raise refuse("%(file)s is larger than %(limit)s MiB", file=path.name,
                     limit=MAX_FILE_BYTES // 2**20)
    if magic == XLS_MAGIC or path.suffix.lower() == ".xls":
        raise refuse("%(file)s is an old .xls workbook; save it as .xlsx or as CSV",
                     file=path.name)
    if magic == XLSX_MAGIC or path.suffix.lower() == ".xlsx":
        return _xlsx_rows(path)
    return _csv_rows(path)


def _csv_rows(path: Path) -> Iterator[tuple[int, list]]:
    encoding, errors = detect_encoding(path)
    with path.open("r", encoding=encoding, errors=errors, newline="") as handle:
        reader = csv.reader(handle)
        try:
            for cells in reader:
                yield reader.line_num, cells
        except csv.Error as exc:
            raise refuse("line %(line)s: %(why)s", line=reader.line_num, why=str(exc)) from None
        except UnicodeDecodeError:
            # detect_encoding read the whole file; this is a file changed while being read.
            raise refuse("line %(line)s: %(file)s changed while it was read",
                         line=reader.line_num + 1, file=path.name) from None


def detect_encoding(path: Path) -> tuple[str, str]:
    """(encoding, errors) of a CSV: UTF-8 when every byte decodes as UTF-8, else GB18030.

    Each candidate is tried over the whole file in chunks, so the answer costs two reads at
    most and no memory.  A UTF-8 file cut short inside its last character stays UTF-8, with
    the broken character shown as such, rather than turning into GB18030 garbage."""
    with path.open("rb") as handle:
        head = handle.read(4)
    if head.startswith(codecs.BOM_UTF8):
        # The BOM says UTF-8, but the bytes after it must still be checked: a file cut short
        # inside its last character keeps the broken character shown as such.
        verdict = _decodes(path, "utf-8-sig")
        if verdict == "no":
            raise refuse("%(file)s begins as UTF-8 text but is not UTF-8; save it as CSV "
                         "(UTF-8) or as .xlsx", file=path.name)
        return "utf-8-sig", "strict" if verdict == "yes" else "replace"
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        raise refuse("%(file)s is UTF-16 text; save it as CSV (UTF-8) or as .xlsx",
                     file=path.name)
    verdict = _decodes(path, "utf-8")
    if verdict == "yes":
        return "utf-8", "strict"
    if verdict == "cut":
        return "utf-8", "replace"
    if _decodes(path, "gb18030") == "yes":
        return "gb18030", "strict"
    raise refuse("%(file)s is neither UTF-8 nor GB18030 text; save it as CSV (UTF-8) or as "
                 ".xlsx", file=path.name)


def _decodes(path: Path, encoding: str) -> str:
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(CHUNK):
                if b"\x00" in chunk:
                    raise refuse("%(file)s is not a text file", file=path.name)
                decoder.decode(chunk)
        except UnicodeDecodeError:
            return "no"
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cut"
    return "yes"


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise refuse("%(file)s is not a readable .xlsx workbook (%(why)s)", file=path.name,
                     why=type(exc).__name__) from None
    number = 0
    try:
        if not workbook.worksheets:
            raise refuse("%(file)s has no worksheet", file=path.name)
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        while True:
            try:
                cells = next(rows, None)
            except Exception as exc:  # a damaged sheet fails only when its rows are read
                raise refuse("line %(line)s: %(file)s is damaged and cannot be read (%(why)s)",
                             line=number + 1, file=path.name, why=type(exc).__name__) from None
            if cells is None:
                return
            number += 1
            yield number, list(cells)
    finally:
        workbook.close()
