"""`make run`: the whole stack on one machine with embedded defaults and demo data.

Uses the RabbitMQ broker on 127.0.0.1:5672 (starting or installing it if needed), starts
nx-27017 with its data in ``run/mongo`` unless ``MONGODB_URI`` is set, starts every process
under one supervisor, loads demo data and prints where to look. Ctrl-C stops everything.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import sys
from pathlib import Path
from types import FrameType

from peyvand_devstack.ports import port_open
from peyvand_devstack.rabbit import ensure_local_broker

from peyvand_stack.harness import http_ready
from peyvand_stack.processes import PortPlan, ProcessSpec, process_env, process_specs
from peyvand_stack.supervisor import Child, Supervisor

ROOT = Path(__file__).resolve().parents[2]
RUN_DIR = ROOT / "run"
EMBEDDED_MONGO_PORT = int(os.environ.get("PEYVAND_MONGO_PORT", "27117"))
START_ORDER = ("worker", "grpc", "relay", "jobs", "http")


def _module_of(spec: ProcessSpec) -> str:
    return spec.argv[2]


def _ready_check(spec: ProcessSpec) -> object:
    port = spec.http_port if spec.kind == "http" else spec.metrics_port
    return lambda: port is not None and http_ready(port)


# The outside world we cannot reach from a laptop: an SMS provider (Kavenegar-style HTTP
# API), a push service (FCM-style) and a mailbox. Stand-ins that behave like the real ones;
# set SMS_BASE_URL / PUSH_BASE_URL / SMTP_HOST yourself to use real providers.
FAKE_SMS_PORT, FAKE_PUSH_PORT, SMTP_SINK_PORT = 9450, 9451, 2525
OUTSIDE_WORLD_ENV = {
    "SMS_BASE_URL": os.environ.get("SMS_BASE_URL", f"http://127.0.0.1:{FAKE_SMS_PORT}"),
    "PUSH_BASE_URL": os.environ.get("PUSH_BASE_URL", f"http://127.0.0.1:{FAKE_PUSH_PORT}"),
    "SMTP_HOST": os.environ.get("SMTP_HOST", "127.0.0.1"),
    "SMTP_PORT": os.environ.get("SMTP_PORT", str(SMTP_SINK_PORT)),
}


def outside_world_stand_ins() -> list[Child]:
    children = []
    if "SMS_BASE_URL" not in os.environ:
        children.append(Child("fake-sms", [sys.executable, "-m", "peyvand_campaign.fakes.sms_provider", "--port", str(FAKE_SMS_PORT)], dict(os.environ), ready=lambda: port_open("127.0.0.1", FAKE_SMS_PORT), infrastructure=True))
    if "PUSH_BASE_URL" not in os.environ:
        children.append(Child("fake-push", [sys.executable, "-m", "peyvand_campaign.fakes.push_provider", "--port", str(FAKE_PUSH_PORT)], dict(os.environ), ready=lambda: port_open("127.0.0.1", FAKE_PUSH_PORT), infrastructure=True))
    if "SMTP_HOST" not in os.environ:
        children.append(Child("mailbox", [sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink", "-l", f"127.0.0.1:{SMTP_SINK_PORT}"], dict(os.environ), ready=lambda: port_open("127.0.0.1", SMTP_SINK_PORT), infrastructure=True))
    return children


def base_environment(mongo_uri: str, amqp_uri: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("PEYVAND_ENV", "development")
    env["MONGODB_URI"] = mongo_uri
    env["AMQP_URI"] = amqp_uri
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def main() -> int:
    RUN_DIR.mkdir(exist_ok=True)
    sup = Supervisor(RUN_DIR)
    sup.clear_leftovers()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        sup.stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    amqp_uri = os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
    try:
        if "@127.0.0.1" in amqp_uri or "@localhost" in amqp_uri:
            ensure_local_broker(amqp_uri)
    except SystemExit as exc:
        print(exc, file=sys.stderr)
        return 1

    mongo_uri = os.environ.get("MONGODB_URI", "")
    plan = PortPlan()
    busy = [p for p in (plan.gateway_http, *plan.grpc.values(), FAKE_SMS_PORT, FAKE_PUSH_PORT, SMTP_SINK_PORT) if port_open("127.0.0.1", p)]
    if busy:
        print(f"run: ports {busy} are in use by something that is not ours; stop it first", file=sys.stderr)
        return 1
    code = 1
    try:
        if not mongo_uri:
            mongo_uri = f"mongodb://127.0.0.1:{EMBEDDED_MONGO_PORT}/"
            mongo = Child("mongo", [sys.executable, "-m", "peyvand_devstack", "mongo", "--data-dir", str(RUN_DIR / "mongo"), "--port", str(EMBEDDED_MONGO_PORT)], dict(os.environ), ready=lambda: port_open("127.0.0.1", EMBEDDED_MONGO_PORT), infrastructure=True)
            sup.start(mongo)
            sup.wait_ready([mongo], timeout=30)
        env = base_environment(mongo_uri, amqp_uri)
        outside = outside_world_stand_ins()
        for child in outside:
            sup.start(child)
        sup.wait_ready(outside, timeout=30)
        env.update(OUTSIDE_WORLD_ENV)
        specs = process_specs(plan)
        missing = [s.name for s in specs if importlib.util.find_spec(_module_of(s)) is None]
        specs = [s for s in specs if s.name not in missing]
        if missing:
            sup.say("supervisor", "not built yet, not started: " + ", ".join(missing))
        for kind in START_ORDER:
            group = []
            for spec in (s for s in specs if s.kind == kind):
                child = Child(spec.name, list(spec.argv), process_env(spec, env, plan), ready=_ready_check(spec))  # type: ignore[arg-type]
                sup.start(child)
                group.append(child)
            sup.wait_ready(group, timeout=90)
        from peyvand_stack import demo

        summary = demo.seed(env, plan)
        banner(plan, specs, summary)
        code = sup.watch()
    except KeyboardInterrupt:
        code = 0
    except RuntimeError as exc:
        sup.say("supervisor", f"could not start the stack: {exc}")
        code = 1
    finally:
        sup.say("supervisor", "stopping every process")
        sup.stop_all()
        sup.say("supervisor", "stopped")
    return code


def banner(plan: PortPlan, specs: list[ProcessSpec], summary: list[str]) -> None:
    lines = [
        "",
        "Peyvand is running.",
        f"  Web UI (branch staff):  http://127.0.0.1:{plan.gateway_http}/",
        f"  API docs:               http://127.0.0.1:{plan.gateway_http}/docs",
        f"  OpenAPI:                http://127.0.0.1:{plan.gateway_http}/openapi.json",
        "  Metrics (/metrics), liveness (/livez) and readiness (/readyz) of each process:",
    ]
    for spec in specs:
        port = spec.http_port if spec.kind == "http" else spec.metrics_port
        extra = f"   gRPC 127.0.0.1:{spec.grpc_port}" if spec.grpc_port else ""
        lines.append(f"    {spec.name:<18} http://127.0.0.1:{port}/metrics{extra}")
    lines.extend(summary)
    lines.append("Press Ctrl-C to stop everything.")
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
