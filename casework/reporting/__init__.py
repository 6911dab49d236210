"""Reports: the handling-rate figures the network is judged by, computed from events alone.

It owns the monthly report of an area with its levels, sub-areas, categories and trend
(``reports``), which months are closed and their stored figures, including the refusal of a
petition dated inside a closed month (``closed_months``), the job that closes finished months
(``closing``), and the report files, CSV and Excel with native charts, which carry figures only
(``report_files``).
"""
