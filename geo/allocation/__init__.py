"""Allocation engine: divide a programme envelope among units by a declarative rule (``rules/*.toml``).

:mod:`~geo.allocation.rules` reads and checks rule files, :mod:`~geo.allocation.engine`
allocates (eligibility, points, capped shares, exact rounding), :mod:`~geo.allocation.data`
prepares the units from the built data, :mod:`~geo.allocation.cli` is ``python -m geo allocate``.
"""
