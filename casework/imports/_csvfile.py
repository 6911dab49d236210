"""Reading uploaded tables (CSV or XLSX) as rows of text, with their line numbers."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from casework.errors import Invalid

MAX_FILE_BYTES = 50 * 1024 * 1024


def refuse(message: str) -> Invalid:
    """The refusal of a file.  Messages quote the offending cell, which may hold anything: line
    breaks, terminal escapes and invisible marks are shown as escapes, so the refusal stays one
    plain line on a terminal and in a JSON body."""
    message = "".join(_visible(char) for char in message)
    return Invalid({"file": message}, message=message)


def _visible(char: str) -> str:
    if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co"):
        code = ord(char)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return char


def read_table(path: str | Path, columns: tuple[str, ...], *, required: tuple[str, ...] = ()
               ) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) for each data row; the header must name every required column."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise refuse(f"cannot read {path}: {exc.strerror}") from None
    if size > MAX_FILE_BYTES:
        raise refuse(f"{path.name} is larger than {MAX_FILE_BYTES // 2**20} MiB")
    rows = _xlsx_rows(path) if path.suffix.lower() == ".xlsx" else _csv_rows(path)
    header_line, header = next(rows, (1, []))
    names = [str(cell or "").strip().lstrip("\ufeff") for cell in header]
    missing = [name for name in (required or columns) if name not in names]
    if missing:
        raise refuse(f"line {header_line}: the header lacks the column(s) {', '.join(missing)}")
    unknown = [name for name in names if name and name not in columns]
    if unknown:
        raise refuse(f"line {header_line}: unknown column(s) {', '.join(unknown)}")
    for line, cells in rows:
        if not any(str(cell or "").strip() for cell in cells):
            continue
        if len(cells) > len(names):
            raise refuse(f"line {line}: more cells than columns")
        yield line, {name: _text(cell) for name, cell in zip(names, cells, strict=False) if name}


def _text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return cell.isoformat(sep=" ")
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _csv_rows(path: Path) -> Iterator[tuple[int, list]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise refuse(f"{path.name} is not UTF-8 text (byte {exc.start}); save it as UTF-8 CSV"
                     ) from None
    if "\x00" in text:
        raise refuse(f"{path.name} is not a text file")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for cells in reader:
            yield reader.line_num, cells
    except csv.Error as exc:
        raise refuse(f"line {reader.line_num}: {exc}") from None


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise refuse(f"{path.name} is not a readable .xlsx workbook ({type(exc).__name__})"
                     ) from None
    number = 0
    try:
        if not workbook.worksheets:
            raise refuse(f"{path.name} has no worksheet")
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        while True:
            try:
                cells = next(rows, None)
            except Exception as exc:  # a damaged sheet fails only when its rows are read
                raise refuse(f"line {number + 1}: {path.name} is damaged and cannot be read "
                             f"({type(exc).__name__})") from None
            if cells is None:
                return
            number += 1
            yield number, list(cells)
    finally:
        workbook.close()
