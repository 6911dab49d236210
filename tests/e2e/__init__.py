"""HTTP tests of the web layer.

A package on purpose: its conftest is then imported as ``e2e.conftest`` and does not take the
module name ``conftest`` from tests/conftest.py, which the other tests import helpers from."""
