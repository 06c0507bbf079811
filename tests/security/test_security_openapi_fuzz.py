"""schemathesis over the gateway's whole OpenAPI, as every role: no 5xx, and every answer
matches the schema the gateway publishes for it.

One test per operation (listed from the app itself, so a new endpoint is fuzzed without
anyone adding it). Valid requests and invalid ones schemathesis derives from the schema; each
generated request goes to the next role in turn, so every role sends several of each
operation's requests. Derandomized: a failure reproduces on the next run.
"""

from __future__ import annotations

import functools
from typing import Any

import hypothesis
import pytest
import schemathesis
from access_rules import published_operations
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance
from security_stack import ROLES, SecurityStack

# Signing out would revoke the session every other request uses; the token tests cover it.
SKIPPED = {("POST", "/api/v1/auth/logout")}
EXAMPLES = {GenerationMode.POSITIVE: 10, GenerationMode.NEGATIVE: 5}
OPERATIONS = [r for r in published_operations() if r not in SKIPPED]


@functools.cache
def _schema(base_url: str) -> Any:
    return schemathesis.openapi.from_url(base_url + "/openapi.json")


def test_the_served_schema_is_the_apps_whole_schema(sec: SecurityStack) -> None:
    served = {(o.method.upper(), o.path) for o in (r.ok() for r in _schema(sec.base_url).get_all_operations())}
    assert served == set(published_operations())
    assert len(OPERATIONS) >= 70


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=lambda v: str(v))
def test_operation_answers_every_role_without_server_errors_and_within_its_schema(sec: SecurityStack, method: str, path: str) -> None:
    operation = _schema(sec.base_url)[path][method]
    failures: list[str] = []
    sent = [0]
    last: list[Any] = []

    def send(case: Any, mode: GenerationMode) -> None:
        role = ROLES[sent[0] % len(ROLES)]
        sent[0] += 1
        last[:] = [(case, mode)]
        response = case.call(base_url=sec.base_url, headers={"Authorization": f"Bearer {sec.tokens[role]}"}, timeout=30)
        try:
            case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
        except (Exception, FailureGroup) as exc:  # noqa: BLE001 - collected, reported together below
            failures.append(f"{role} [{mode.value}] → {response.status_code}: {str(exc)[:800]}")

    for mode, examples in EXAMPLES.items():
        try:
            _fuzz(operation.as_strategy(generation_mode=mode), examples, lambda case, mode=mode: send(case, mode))
        except hypothesis.errors.Unsatisfiable:
            pass  # no invalid request can be derived from this operation's schema (e.g. no parameters)
    while last and sent[0] < len(ROLES):  # an operation without parameters has one request to make
        send(*last[0])
    assert sent[0] >= len(ROLES), f"only {sent[0]} requests generated"
    assert not failures, f"{method} {path}: {len(failures)} failures:\n" + "\n".join(failures[:5])


def _fuzz(strategy: Any, examples: int, send: Any) -> None:
    @settings(
        max_examples=examples, derandomize=True, database=None, deadline=None, phases=[hypothesis.Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        send(case)

    run()
