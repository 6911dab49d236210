"""The case lifecycle: a petition from intake to its conclusion, as an append-only history.

It owns intake (``intake``, with the validated input of ``schemas``), the actions cadres take
(``actions``), the events that record every change and the one path that writes them
(``events``, and ``driver`` for the driver-level write of an action), the case row as a fold
over its events (``projection``), the hash chain that makes edits behind Casework's back show
(``chain``) and its verification (``audit``), and reading cases back: one case with its
timeline, a caller's earlier cases (``cases``), worklists and filtered lists
(``case_lists``).
"""
