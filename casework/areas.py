"""Areas: China's statistical division codes (county 6 digits, township 9, village 12)."""

from __future__ import annotations

from pathlib import Path

from pypinyin import Style, lazy_pinyin
from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.bootstrap import Casework
from casework.csvfile import read_table, refuse
from casework.db import writing
from casework.models import Area

KIND_BY_LENGTH = {6: "county", 9: "township", 12: "village"}


def spell(name: str) -> tuple[str, str]:
    """Full pinyin and initials of a place name: 大李村 -> ("dalicun", "dlc")."""
    full = "".join(lazy_pinyin(name, errors="ignore")).lower()
    initials = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")).lower()
    return full[:300], initials[:100]


def import_areas(cw: Casework, path: str | Path) -> int:
    """Upsert the areas of a ``code,name,parent_code`` file; all or nothing.  Returns the count."""
    rows: list[tuple[int, str, str, str | None]] = []
    seen: dict[str, int] = {}
    for line, row in read_table(path, ("code", "name", "parent_code"),
                                required=("code", "name")):
        code, name, parent = row.get("code", ""), row.get("name", ""), row.get("parent_code", "")
        if not code.isdigit() or len(code) not in KIND_BY_LENGTH:
            raise refuse(f"line {line}: code '{code[:20]}' is not a 6, 9 or 12 digit area code")
        if not name or len(name) > 100:
            raise refuse(f"line {line}: the name of {code} is empty or longer than 100 characters")
        if code in seen:
            raise refuse(f"line {line}: code {code} appears again (first on line {seen[code]})")
        if len(code) > 6 and parent != code[: len(code) - 3]:
            raise refuse(f"line {line}: the parent of {code} must be {code[:-3]}, not '{parent}'")
        seen[code] = line
        rows.append((line, code, name, parent or None))
    with writing(cw.engine) as session:
        known = set(session.execute(select(Area.code)).scalars())
        for line, code, _name, parent in rows:
            if parent and parent not in known and parent not in seen:
                raise refuse(f"line {line}: parent {parent} of {code} is neither in the file "
                             "nor known")
        for _line, code, name, parent in rows:
            _upsert(session, code, name, parent)
    return len(rows)


def _upsert(session: Session, code: str, name: str, parent: str | None) -> None:
    full, initials = spell(name)
    area = session.get(Area, code) or Area(code=code, kind=KIND_BY_LENGTH[len(code)])
    area.name, area.parent_code, area.pinyin, area.initials = name, parent, full, initials
    session.add(area)


def add_area(session: Session, code: str, name: str) -> Area:
    """One area, for demo data and tests; the parent is the code's prefix."""
    parent = code[:-3] if len(code) > 6 else None
    _upsert(session, code, name, parent)
    session.flush()
    return session.get(Area, code)


def children(session: Session, code: str) -> list[Area]:
    return list(session.execute(
        select(Area).where(Area.parent_code == code).order_by(Area.code)).scalars())
