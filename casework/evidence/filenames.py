"""An attachment's file name as people may read it back.

The name comes from a phone or a computer and is data, not a path: only its last component is
kept (after any ``/`` or ``\\``), control and format characters are removed (a right-to-left
override can make ``gpj.exe`` read as ``exe.jpg``), and it is cut to 120 characters with its
extension kept.  The extension is the content's: a name whose extension is not the kind's gets
the kind's added (``record.docx`` that is really a JPEG is kept as ``record.docx.jpg``), so a
downloaded file opens in the program its bytes are for.  A name left empty becomes
``attachment``.
"""

from __future__ import annotations

import unicodedata

from casework.evidence.kinds import Kind

MAX_LENGTH = 120
FALLBACK = "attachment"


def clean_filename(raw: str, kind: Kind) -> str:
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(" " if unicodedata.category(char)[0] == "Z" else char for char in name
                   if unicodedata.category(char)[0] != "C")
    name = " ".join(name.split()).strip(". ")
    stem, dot, extension = name.rpartition(".")
    if not dot or extension.lower() not in kind.extensions:
        stem, extension = name, kind.extensions[0]
    stem = (stem or FALLBACK)[:MAX_LENGTH - len(extension) - 1].rstrip(". ") or FALLBACK
    return f"{stem}.{extension}"
