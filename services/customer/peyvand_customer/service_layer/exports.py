"""CSV export of the customers in a caller's scope (the columns the importer reads back)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from peyvand_runtime.identity import Caller, scope_filter

from peyvand_customer.adapters.mapping import from_document
from peyvand_customer.domain.csv_rows import EXPORT_COLUMNS, to_row
from peyvand_customer.service_layer.context import Context, scoped_queries, sees

COLUMNS = list(EXPORT_COLUMNS)


def export_rows(ctx: Context, caller: Caller, agent_id: str = "", branch_code: str = "", jalali_dates: bool = False) -> Iterator[dict[str, str]]:
    scope = scope_filter(caller)
    if scope is None:
        return
    query: dict[str, Any] = {"status": "active"}
    if agent_id:
        query["agent_id"] = agent_id
    if branch_code:
        query["branch_code"] = branch_code
    for q in scoped_queries(scope, query):
        for doc in ctx.parties.scan(q):
            if sees(caller, doc):
                yield to_row(from_document(doc).to_snapshot(private=True), jalali_dates)
