"""Reports: the handling-rate figures the network is judged by, computed from events alone.

It owns the reports of an area over one month or a run of months (``reports``), made of each
month's counts (``counting``, with the state at the month's end replayed in ``month_end``)
added up and turned into figures in one place (``figures``); report months and periods checked
(``months``); which months are closed and their stored figures, including the refusal of a
petition dated inside a closed month (``closed_months``); the job that closes finished months
(``closing``); and the report files, CSV and Excel with native charts, which carry figures only
(``report_files``).
"""
