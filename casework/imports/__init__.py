"""File imports: what counties bring in from the paper and Excel they keep today.

It owns the administrative areas (``areas``: the county, township and village codes, imported
from CSV and looked up by name, code or pinyin initials), the paper ledger (``ledger``: each
row a case with the events it implies, all rows or none) and the reading of their CSV files
(``csvfile``).
"""
