"""Errors shared by the layers of geo/.

:class:`CliError` is an expected failure of a command (bad input, a missing
file …): ``python -m geo`` prints it as one line and exits with status 2,
never with a traceback.  Command modules raise it; :mod:`geo.cli` catches it.

Example
-------
>>> str(CliError("no such file: x.csv"))
'no such file: x.csv'
"""

from __future__ import annotations


class CliError(Exception):
    """An expected failure: bad input, missing file… printed without traceback."""
