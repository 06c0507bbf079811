"""Issue #9: every process of the stack serves Prometheus metrics that parse, follow the naming
rules, carry only bounded labels, and match the catalogue in docs/metrics.md; the RabbitMQ
node's Prometheus plugin (what ops scrapes) serves the rabbitmq_* families the alerts use.

The whole stack (every process of ``process_specs``, gateway-relay included) runs as real
processes on free ports against the private broker and nx-27017 (``isolated``). The campaign
senders point at closed ports: they are never reached because no campaign runs here.

How the catalogue is checked (so it cannot lie in either direction):
  * every ``peyvand_*``, ``grpc_server_*`` and ``http_request*`` family a process exposes is a
    catalogue row whose "exposed by" globs match that process, with the same type;
  * every catalogue row is exposed (at least its HELP/TYPE lines: prometheus_client prints
    those for a labelled metric that has no child yet) by every process its globs match;
  * label names: compared with the samples when the family has some, and ALWAYS with the
    metric's registration in the module the row names ("defined in"), imported here.
"""

from __future__ import annotations

import fnmatch
import importlib
import os
import re
import signal
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from peyvand_devstack.ports import free_ports
from peyvand_stack.harness import Stack
from peyvand_stack.processes import PortPlan, ProcessSpec, process_specs
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "docs" / "metrics.md"
METRIC_NAMES = ROOT / "deploy" / "metric-names.txt"
OURS = ("peyvand_", "grpc_server_", "http_request")

# Label names that would be an id or personal data (unbounded, or a privacy leak).
FORBIDDEN_LABELS = {
    "id", "ids", "customer", "customer_id", "national_id", "nationalid", "mobile", "email", "phone", "user", "username",
    "user_id", "ticket", "ticket_id", "policy", "policy_id", "party_id", "agent", "agent_id", "delivery_id",
    "campaign_id", "journey_id", "event_id", "request_id", "correlation_id", "name", "first_name", "last_name",
    "address", "ip", "path", "url", "recipient", "token", "session",
}
# Label VALUES that look like an id or personal data: ULID-style ids (cus_01J...), Iranian
# mobile numbers, e-mail addresses, long digit runs (national ids, policy numbers).
SUSPICIOUS_VALUE = re.compile(r"^[a-z]{2,5}_[0-9A-HJKMNP-TV-Z]{20,}$|^(\+98|0)9\d{9}$|@|\d{8,}")
UNIT_SUFFIXES = ("_seconds", "_bytes", "_rials", "_ratio", "_score")


def _stack_ready_timeout() -> float:
    return 60.0


# ---------------------------------------------------------------- the catalogue


@dataclass(frozen=True)
class Row:
    name: str  # as queried: counters with _total
    type: str
    labels: tuple[str, ...]
    exposed_by: tuple[str, ...]  # process-name globs, or rabbitmq scrape targets
    defined_in: str  # python module, or "rabbitmq"

    def family(self) -> str:
        """The family name prometheus_client's parser reports (counters without _total)."""
        return self.name[: -len("_total")] if self.type == "counter" and self.name.endswith("_total") else self.name

    def exposed_on(self, process: str) -> bool:
        return any(fnmatch.fnmatchcase(process, glob) for glob in self.exposed_by)


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def parse_catalogue(text: str) -> list[Row]:
    """Rows of every table whose header is `metric | type | labels | exposed by | defined in | ...`."""
    rows: list[Row] = []
    columns: list[str] | None = None
    for line in text.splitlines():
        if not line.lstrip().startswith("|"):
            columns = None
            continue
        cells = _cells(line)
        if cells and cells[0].lower() == "metric":
            columns = [c.lower() for c in cells]
            continue
        if columns is None or set("".join(cells)) <= set("-: "):
            continue
        assert len(cells) == len(columns), f"docs/metrics.md: {len(cells)} cells under {len(columns)} columns (a '|' in a cell?): {line}"
        cell = dict(zip(columns, cells, strict=True))
        name = re.fullmatch(r"`([a-zA-Z_:][a-zA-Z0-9_:]*)`", cell["metric"])
        assert name, f"docs/metrics.md: a metric cell must be one `name`: {line}"
        # label names are the backticked words of the labels cell outside parentheses; the
        # value sets are in parentheses
        outside = cell["labels"]
        while re.search(r"\([^()]*\)", outside):
            outside = re.sub(r"\([^()]*\)", " ", outside)
        labels = tuple(sorted(re.findall(r"`([a-zA-Z_][a-zA-Z0-9_]*)`", outside)))
        exposed = tuple(re.findall(r"`([^`]+)`", cell["exposed by"]))
        defined = re.findall(r"`([^`]+)`", cell["defined in"])
        assert exposed and defined, f"docs/metrics.md: 'exposed by' and 'defined in' need `values`: {line}"
        rows.append(Row(name.group(1), cell["type"].strip("` ").lower(), labels, exposed, defined[0]))
    return rows


def catalogue() -> list[Row]:
    rows = parse_catalogue(CATALOGUE.read_text())
    names = [r.name for r in rows]
    assert len(names) == len(set(names)), "docs/metrics.md lists a metric twice: " + str({n for n in names if names.count(n) > 1})
    return rows


# ---------------------------------------------------------------- scrapes


@dataclass
class Family:
    name: str
    type: str
    labels: set[str] = field(default_factory=set)
    values: dict[str, set[str]] = field(default_factory=dict)
    samples: int = 0


def parse_exposition(text: str) -> dict[str, Family]:
    """Families of one scrape (raises on text that does not parse)."""
    out: dict[str, Family] = {}
    for metric in text_string_to_metric_families(text):
        fam = Family(metric.name, "untyped" if metric.type == "unknown" else metric.type)  # the parser says unknown
        for sample in metric.samples:
            fam.samples += 1
            for key, value in sample.labels.items():
                if key in ("le", "quantile"):
                    continue
                fam.labels.add(key)
                fam.values.setdefault(key, set()).add(value)
        out[metric.name] = fam
    # prometheus_client prints `x_created` as its own gauge family next to counter/histogram x
    for name in [n for n in out if n.endswith("_created")]:
        if name[: -len("_created")] in out and out[name[: -len("_created")]].type in ("counter", "histogram", "summary"):
            del out[name]
    return out


def ours(families: dict[str, Family]) -> dict[str, Family]:
    return {n: f for n, f in families.items() if n.startswith(OURS)}


def compare(process: str, families: dict[str, Family], rows: list[Row]) -> list[str]:
    """What differs between a process's scrape and the catalogue (empty: they agree)."""
    problems = []
    expected = {r.family(): r for r in rows if r.exposed_on(process)}
    for name, fam in sorted(ours(families).items()):
        row = expected.get(name)
        if row is None:
            shown = name + "_total" if fam.type == "counter" else name
            problems.append(f"{process}: exposes {shown} ({fam.type}) which docs/metrics.md does not list for it")
            continue
        if fam.type != row.type:
            problems.append(f"{process}: {row.name} is a {fam.type}, docs/metrics.md says {row.type}")
        if fam.samples and fam.labels != set(row.labels):
            problems.append(f"{process}: {row.name} has labels {sorted(fam.labels)}, docs/metrics.md says {list(row.labels)}")
    for name, row in sorted(expected.items()):
        if name not in families:
            problems.append(f"{process}: docs/metrics.md lists {row.name} but the process does not expose it")
    return problems


def label_problems(process: str, families: dict[str, Family]) -> list[str]:
    problems = []
    for name, fam in ours(families).items():
        for label in fam.labels:
            if label.lower() in FORBIDDEN_LABELS or re.search(r"(^|_)ids?$", label.lower()):
                problems.append(f"{process}: {name} has an id or personal-data label {label!r}")
        for label, values in fam.values.items():
            for value in values:
                if SUSPICIOUS_VALUE.search(value):
                    problems.append(f"{process}: {name}{{{label}={value!r}}} looks like an id or personal data")
    return problems


def naming_problems(rows: list[Row]) -> list[str]:
    problems = []
    for row in rows:
        if not row.name.startswith(("peyvand_", "grpc_server_", "http_request")):
            continue
        if row.type == "counter" and not row.name.endswith("_total"):
            problems.append(f"{row.name}: a counter must end in _total")
        if row.type != "counter" and row.name.endswith("_total"):
            problems.append(f"{row.name}: only counters end in _total")
        if re.search(r"(duration|latency|_time|_age|handling|_took|timestamp)", row.name) and not row.name.endswith("_seconds"):
            problems.append(f"{row.name}: a duration or a timestamp must be in seconds and end in _seconds")
        if re.search(r"_(milliseconds|ms|minutes|hours|days)(_total)?$", row.name):
            problems.append(f"{row.name}: use base units (seconds)")
        if row.type == "histogram" and not row.name.endswith(UNIT_SUFFIXES):
            problems.append(f"{row.name}: a histogram's name ends in its unit {UNIT_SUFFIXES}")
        for label in row.labels:
            if label.lower() in FORBIDDEN_LABELS or re.search(r"(^|_)ids?$", label.lower()):
                problems.append(f"{row.name}: label {label!r} is an id or personal data")
    return problems


def registration_problems(rows: list[Row]) -> list[str]:
    """Each row against the metric object its module registers (type and label names)."""
    from prometheus_client import REGISTRY

    problems = []
    for row in rows:
        if row.defined_in == "rabbitmq":
            continue
        try:
            importlib.import_module(row.defined_in)
        except ImportError as exc:
            problems.append(f"{row.name}: defined in {row.defined_in}, which does not import ({exc})")
            continue
        collector = REGISTRY._names_to_collectors.get(row.name)  # noqa: SLF001 - the registry's own index
        if collector is None:
            problems.append(f"{row.name}: {row.defined_in} registers no such metric")
            continue
        kind = getattr(collector, "_type", None)
        labels = tuple(sorted(getattr(collector, "_labelnames", ())))
        if kind != row.type:
            problems.append(f"{row.name}: registered as a {kind}, docs/metrics.md says {row.type}")
        if labels != row.labels:
            problems.append(f"{row.name}: registered with labels {list(labels)}, docs/metrics.md says {list(row.labels)}")
    return problems


def scrape(url: str, timeout: float = 10) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        assert response.status == 200, url
        return response.read().decode()


def metrics_url(spec: ProcessSpec) -> str:
    port = spec.http_port if spec.kind == "http" else spec.metrics_port
    return f"http://127.0.0.1:{port}/metrics"


RABBIT_DETAILED = "?family=queue_coarse_metrics&family=queue_consumer_count"  # the rabbitmq-queues job


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def chromium_installed() -> None:
    """Overrides the browser tests' autouse fixture: these tests need no browser."""


@pytest.fixture
def stack(isolated: Any) -> Iterator[tuple[Stack, list[ProcessSpec]]]:
    plan = PortPlan.on_free_ports()
    specs = process_specs(plan)
    closed_sms, closed_push, closed_smtp = free_ports(3)  # nothing listens there
    env = isolated.env(
        PEYVAND_ENV="test",
        JWT_SECRET="metrics-jwt-secret-" + "j" * 32,
        LOGIN_FIRST_DELAY_SECONDS="0",
        RELAY_IDLE_SLEEP_SECONDS="0.2",
        SMS_BASE_URL=f"http://127.0.0.1:{closed_sms}",
        PUSH_BASE_URL=f"http://127.0.0.1:{closed_push}",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(closed_smtp),
    )
    stack = Stack(specs, env, plan, isolated.tmp / "logs")
    try:
        for process in stack.processes.values():
            process.start()
        for process in stack.processes.values():
            process.wait_ready(_stack_ready_timeout())
        yield stack, specs
    finally:
        # SIGTERM to all at once (they drain in parallel), then wait for each; SIGKILL after 5 s
        for process in stack.processes.values():
            if process.alive and process.proc is not None:
                process.proc.send_signal(signal.SIGTERM)
        for process in reversed(list(stack.processes.values())):
            process.stop(grace=5)


# ---------------------------------------------------------------- tests without the stack


def test_catalogue_follows_the_naming_rules() -> None:
    rows = catalogue()
    assert len(rows) > 40
    assert not naming_problems(rows), "\n".join(naming_problems(rows))


def test_catalogue_matches_the_code_that_registers_each_metric() -> None:
    problems = registration_problems(catalogue())
    assert not problems, "\n".join(problems)


def test_catalogue_covers_every_name_deploy_uses() -> None:
    listed = {r.name for r in catalogue()}
    used = {line.split("#", 1)[0].strip() for line in METRIC_NAMES.read_text().splitlines()} - {"", "up"}
    assert used <= listed, f"deploy/metric-names.txt names metrics docs/metrics.md does not list: {sorted(used - listed)}"


def test_the_checks_catch_a_lying_catalogue() -> None:
    rows = [
        Row("peyvand_x_total", "counter", ("outcome",), ("*-grpc",), "m"),
        Row("peyvand_y_seconds", "histogram", (), ("policy-grpc",), "m"),
        Row("peyvand_z", "gauge", ("queue",), ("*-grpc",), "m"),
    ]
    text = (
        "# HELP peyvand_x_total x\n# TYPE peyvand_x_total counter\npeyvand_x_total{outcome=\"ok\",customer_id=\"cus_01JG0000000000000000000AG1\"} 1\n"
        "# HELP peyvand_z z\n# TYPE peyvand_z counter\n"
        "# HELP peyvand_extra extra\n# TYPE peyvand_extra gauge\npeyvand_extra 1\n"
    )
    families = parse_exposition(text)
    problems = "\n".join(compare("policy-grpc", families, rows))
    assert "peyvand_x_total has labels" in problems  # extra label
    assert "lists peyvand_y_seconds but the process does not expose it" in problems  # missing
    assert "peyvand_z is a counter" in problems  # wrong type
    assert "exposes peyvand_extra" in problems  # not catalogued
    assert compare("customer-worker", parse_exposition(""), rows) == []  # globs decide who must expose
    assert any("customer_id" in p for p in label_problems("p", families))
    bad = [Row("peyvand_a", "counter", (), ("x",), "m"), Row("peyvand_b_duration", "gauge", ("mobile",), ("x",), "m"),
           Row("peyvand_c_ms", "histogram", (), ("x",), "m")]
    assert len(naming_problems(bad)) >= 4
    assert registration_problems([Row("peyvand_outbox_published_total", "counter", ("producer", "x"), ("x",), "peyvand_runtime.relay")])
    with pytest.raises(ValueError):
        parse_exposition("peyvand_broken{ 1\n")


# ---------------------------------------------------------------- the stack


def test_every_process_serves_the_catalogued_metrics(stack: tuple[Stack, list[ProcessSpec]], infra: Any) -> None:
    started = time.monotonic()
    running, specs = stack
    rows = catalogue()
    assert {s.name for s in specs} >= {"gateway", "gateway-relay", "policy-jobs", "customer-grpc"}
    problems: list[str] = []
    scraped: dict[str, dict[str, Family]] = {}
    # one call per gRPC server and one gateway request, so the request families have samples
    # (label names from samples, grpc_code values) and not only their HELP/TYPE lines
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    for spec in specs:
        if spec.kind == "grpc":
            with grpc.insecure_channel(f"127.0.0.1:{spec.grpc_port}") as channel:
                answer = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
                assert answer.status == health_pb2.HealthCheckResponse.SERVING, spec.name
    urllib.request.urlopen(f"http://127.0.0.1:{running.plan.gateway_http}/livez", timeout=5).read()
    keep = Path(os.environ.get("PEYVAND_METRICS_SCRAPES") or running.processes[specs[0].name].log_path.parent / "scrapes")
    keep.mkdir(parents=True, exist_ok=True)  # deploy/tools/metrics_inventory.py drafts the catalogue from these
    for spec in specs:
        text = scrape(metrics_url(spec))
        (keep / f"{spec.name}.prom").write_text(text)
        try:
            families = parse_exposition(text)
        except Exception as exc:  # noqa: BLE001 - reported with the process name
            problems.append(f"{spec.name}: /metrics does not parse: {exc}")
            continue
        scraped[spec.name] = families
        assert ours(families), f"{spec.name} exposes none of our metrics"
        problems += compare(spec.name, families, rows)
        problems += label_problems(spec.name, families)
    # every row's globs name at least one real process (a row nobody exposes is a lie)
    for row in rows:
        if row.defined_in != "rabbitmq" and not any(row.exposed_on(s.name) for s in specs):
            problems.append(f"{row.name}: 'exposed by' {row.exposed_by} matches no process")
    logs = "\n".join(f"--- {p.name}\n{p.log_tail(8)}" for p in running.processes.values() if not p.alive)
    assert not problems, "\n".join(problems) + ("\n" + logs if logs else "")
    assert all(p.alive for p in running.processes.values()), logs
    # spot checks of what a reader of the catalogue (and the alert rules) rely on
    codes = {c.name for c in grpc.StatusCode}
    for name in (s.name for s in specs if s.kind == "grpc"):
        handled = scraped[name]["grpc_server_handled"]
        assert handled.samples and handled.values["grpc_code"] <= codes, (name, handled.values)
    assert scraped["gateway"]["http_requests"].values["route"] >= {"/livez"}
    assert scraped["policy-jobs"]["peyvand_policy_renewal_last_success_timestamp_seconds"].type == "gauge"
    assert "peyvand_outbox_broker_connected" in scraped["gateway-relay"]
    assert time.monotonic() - started < 30


def test_rabbitmq_plugin_serves_the_families_ops_uses(isolated: Any) -> None:
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(isolated.amqp_uri))
    try:  # a queue (and its dead-letter twin) so the per-queue families have samples
        channel = connection.channel()
        channel.queue_declare("metrics-probe", durable=True)
        channel.queue_declare("metrics-probe.dlq", durable=True)
    finally:
        connection.close()
    base = isolated.infra.rabbit.prometheus_url
    aggregated = parse_exposition(scrape(base))
    detailed = parse_exposition(scrape(base + "/detailed" + RABBIT_DETAILED))
    assert any(n.startswith("rabbitmq_") for n in aggregated)
    problems = []
    for row in catalogue():
        if row.defined_in != "rabbitmq":
            continue
        families = detailed if "rabbitmq-queues" in row.exposed_by else aggregated
        fam = families.get(row.family())
        if fam is None:
            problems.append(f"{row.name}: not served by the RabbitMQ plugin ({', '.join(row.exposed_by)})")
        elif fam.type != row.type:
            problems.append(f"{row.name}: the plugin says {fam.type}, docs/metrics.md says {row.type}")
        elif fam.samples and fam.labels != set(row.labels):
            problems.append(f"{row.name}: labels {sorted(fam.labels)}, docs/metrics.md says {list(row.labels)}")
    assert not problems, "\n".join(problems)
