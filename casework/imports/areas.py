"""Areas: China's statistical division codes (county 6 digits, township 9, village 12)."""

from __future__ import annotations

import re
from pathlib import Path

from pypinyin import Style, lazy_pinyin
from sqlalchemy import case, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from casework.bootstrap import Casework
from casework.errors import NotFound
from casework.imports._csvfile import read_table, refuse
from casework.lifecycle.schemas import CONTROL
from casework.people.access import Actor
from casework.storage.db import reading, writing
from casework.storage.models import Area

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
        # isascii: str.isdigit() also takes other scripts' digits, such as ١٢٣٤٥٦.
        if not (code.isascii() and code.isdigit()) or len(code) not in KIND_BY_LENGTH:
            raise refuse(f"line {line}: code '{code[:20]}' is not a 6, 9 or 12 digit area code")
        if not name or len(name) > 100:
            raise refuse(f"line {line}: the name of {code} is empty or longer than 100 characters")
        if CONTROL.search(name):
            raise refuse(f"line {line}: the name of {code} contains control characters")
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


# -- administration (the admin pages) ---------------------------------------------------------
def list_areas(cw: Casework, *, by: Actor | None, under: str | None = None
               ) -> tuple[list[Area], list[tuple[Area, int]]]:
    """The area ``under`` (by default ``by``'s own) with its ancestors inside ``by``'s area,
    and its children with how many children each has: one level at a time, since a province
    holds 20,000 villages."""
    from casework.people.users import managed_area

    top = managed_area(by)
    under = under or top or None
    if under is not None and (not under.startswith(top) or len(under) not in KIND_BY_LENGTH):
        raise NotFound("no such area")
    child = aliased(Area)
    inside = true() if under is None else child.parent_code.startswith(under, autoescape=True)
    counts = (select(child.parent_code, func.count().label("n")).where(inside)
              .group_by(child.parent_code).subquery())
    parent = Area.parent_code.is_(None) if under is None else Area.parent_code == under
    with reading(cw.engine) as session:
        lineage = []
        if under is not None:
            prefixes = [under[:n] for n in sorted(KIND_BY_LENGTH) if len(top) <= n <= len(under)]
            lineage = list(session.execute(
                select(Area).where(Area.code.in_(prefixes)).order_by(Area.code)).scalars())
            if not lineage or lineage[-1].code != under:
                raise NotFound("no such area")
        rows = session.execute(
            select(Area, func.coalesce(counts.c.n, 0)).outerjoin(
                counts, counts.c.parent_code == Area.code).where(parent).order_by(Area.code))
        return lineage, [(area, n) for area, n in rows]


def import_areas_by(cw: Casework, *, by: Actor | None, path: str | Path) -> int:
    """``import_areas``, for a file whose every area lies inside ``by``'s own."""
    from casework.people.users import managed_area

    top = managed_area(by)
    if top:
        for line, row in read_table(path, ("code", "name", "parent_code"),
                                    required=("code", "name")):
            if not row.get("code", "").startswith(top):
                raise refuse(f"line {line}: {row.get('code', '')[:20]} is outside your area "
                             f"{top}")
    return import_areas(cw, path)


def search_villages(cw: Casework, actor: Actor, q: str, limit: int = 10) -> list[dict]:
    """Villages inside the actor's area whose code starts with ``q``, whose name contains it,
    or whose pinyin or initials start with it: an operator on a call types "dlc" for 大李村.

    Best matches first (same initials or name, then prefixes), then by code."""
    raw = "".join((q or "").split())[:50]  # "da li" and "dali" are one search
    q = raw.lower()
    limit = max(1, min(limit, 50))
    if not q or CONTROL.search(q):  # PostgreSQL refuses a NUL in text; no name has one
        return []
    matches = [Area.name.contains(raw, autoescape=True)]
    if re.fullmatch(r"[0-9]+", q):
        matches.append(Area.code.startswith(q, autoescape=True))
    elif re.fullmatch(r"[a-z]+", q):
        matches += [Area.pinyin.startswith(q, autoescape=True),
                    Area.initials.startswith(q, autoescape=True)]
    rank = case((or_(Area.initials == q, Area.name == raw, Area.code == q), 0),
                (Area.name.startswith(raw, autoescape=True), 1), else_=2)
    town = aliased(Area)
    with reading(cw.engine) as session:
        rows = session.execute(
            select(Area.code, Area.name, town.name)
            .outerjoin(town, town.code == Area.parent_code)
            .where(Area.kind == "village", Area.code.startswith(actor.area_code, autoescape=True),
                   or_(*matches))
            .order_by(rank, Area.code).limit(limit)).all()
    return [{"code": code, "name": name, "township": township}
            for code, name, township in rows]


def names_of(cw: Casework, codes) -> dict[str, str]:
    """Area names by code, for pages that show places; unknown codes are left out."""
    wanted = sorted({code for code in codes if code})
    if not wanted:
        return {}
    with reading(cw.engine) as session:
        return dict(session.execute(
            select(Area.code, Area.name).where(Area.code.in_(wanted))).all())
