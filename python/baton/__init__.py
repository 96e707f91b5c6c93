"""Baton for Python: a member of a Baton fleet (standard library only).

Python and Node processes share one SQLite database through one elected leader, whichever
language that leader runs in. See python/README.md.
"""

from .constants import PROTOCOL_VERSION, VERSION
from .errors import StoreError
from .results import ResultSet, Row
from .store import Store, Transaction, open_store

__all__ = ["open_store", "Store", "Transaction", "ResultSet", "Row", "StoreError", "PROTOCOL_VERSION", "VERSION"]
