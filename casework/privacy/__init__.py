"""Privacy: petitioners are survivors, and this package is what keeps their data theirs.

It owns the data keys and the sealing of a petitioner's name, phone and ID number with
AES-256-GCM, with a keyed hash that finds a caller's earlier cases without decrypting anything
(``crypto``), and the petitioner records themselves: sealed on the way in, opened only for a
view that is recorded, masked in every list (``petitioners``).  The cadres' own words about a
case (summaries, notes, reasons) are sealed the same way (``narratives``; ``narrative_keys``
re-seals them at a key rotation), and phones and ID numbers are shown masked (``masks``).
"""
