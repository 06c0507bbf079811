"""Reading stored instants back, whatever form the store returns them in.

nx-27017 0.8.1 stores a top-level datetime written by ``update_one``/``$set`` as the string
``'YYYY-MM-DD HH:MM:SS[.ffffff]'`` (naive UTC) while ``insert_one`` keeps a real datetime
(reproduced in this service's ADR). Range queries and equality still compare correctly,
sorting on such a field does not, so the repositories never rely on that sort and read
every instant through ``stored_instant``. Real MongoDB always returns datetimes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from peyvand_runtime.tehran_time import as_utc


def stored_instant(value: Any) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return as_utc(value)
    if isinstance(value, str):
        return as_utc(dt.datetime.fromisoformat(value.replace("Z", "+00:00")))
    raise TypeError(f"not an instant: {type(value).__name__}")
