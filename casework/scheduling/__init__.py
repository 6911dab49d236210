"""Deadlines and the scheduler that watches them.

It owns Chinese working days and the deadline rules of the contract (``deadlines``), which rule
applies to a case at a level and how waiting and extensions move it (``timing``), the scan that
records each warning and overdue once and escalates where the workflow says so (``scan``), the
lease that lets one scheduler scan at a time (``lease``), and the APScheduler process that runs
the scan, the month closing, the outbox and the partitions on time (``scheduler``).
"""
