"""A ledger's villages, by code or by name (with its township where a name is not unique).

A clerk knows 城东社区, not 350725100200.  The villages of the importer's area are loaded once
per file (a province has 20,000: a few megabytes), so that 100,000 rows cost no query each.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.imports import ledger_problems as why
from casework.imports.ledger_values import CellProblem, key
from casework.storage.models import Area


@dataclass
class Places:
    names: dict[str, str] = field(default_factory=dict)  # village and township code -> name
    villages: set[str] = field(default_factory=set)
    by_name: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    townships: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def load(cls, session: Session, area: str) -> Places:
        """The villages and townships inside ``area`` ('' for every one)."""
        places = cls()
        rows = session.execute(
            select(Area.code, Area.name, Area.kind)
            .where(Area.kind.in_(("village", "township")),
                   Area.code.startswith(area, autoescape=True)))
        for code, name, kind in rows:
            places.names[code] = name
            if kind == "village":
                places.villages.add(code)
                places.by_name[key(name)].append(code)
            else:
                places.townships[key(name)].append(code)
        return places

    def village(self, text: str, township_text: str = "") -> str:
        """The code of the village ``text`` names (a 12-digit code or a name)."""
        township = self.township(township_text) if township_text else None
        if len(text) == 12 and text.isascii() and text.isdigit():
            if text not in self.villages:
                raise CellProblem(why.NO_SUCH_VILLAGE)
            found = [text]
        else:
            found = self.by_name.get(key(text), [])
            if not found:
                raise CellProblem(why.NO_SUCH_VILLAGE)
        if township is not None:
            inside = [code for code in found if code[:9] in township]
            if not inside:
                if len(found) == 1 and len(text) == 12:
                    raise CellProblem(why.WRONG_TOWNSHIP, village=text)
                raise CellProblem(why.NO_SUCH_VILLAGE_IN, township=township_text)
            found = inside
        if len(found) > 1:
            towns = sorted({self.names.get(code[:9], code[:9]) for code in found})
            raise CellProblem(why.NOT_UNIQUE, townships="、".join(towns))
        return found[0]

    def township(self, text: str) -> set[str]:
        """The township codes ``text`` names (a 9-digit code or a name)."""
        if len(text) == 9 and text.isascii() and text.isdigit():
            if text in self.names:
                return {text}
        elif self.townships.get(key(text)):
            return set(self.townships[key(text)])
        raise CellProblem(why.NO_SUCH_TOWNSHIP)
