"""Offline checks of deploy/: Prometheus config, rules and rule unit tests (promtool), the
compose file (docker-compose config), both Kubernetes overlays (kustomize + kubernetes-validate
--strict against 1.30), the Grafana dashboards, and that every PromQL expression names only
metrics listed in deploy/metric-names.txt. Nothing here needs a container engine or a cluster.

The tools are installed by scripts/ensure-deploy-tools.sh (session fixture). A tool still
missing afterwards FAILS the test; only when the script cannot install (not root) do the
tests skip, with the script's message.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
PROM = DEPLOY / "prometheus"
RULES = PROM / "rules" / "peyvand.rules.yml"
RULE_TESTS = sorted((PROM / "tests").glob("*.test.yml"))
COMPOSE = DEPLOY / "compose" / "docker-compose.yml"
K8S = DEPLOY / "k8s"
DASHBOARDS = sorted((DEPLOY / "grafana" / "dashboards").glob("*.json"))
TOOLS_VENV = ROOT / ".venv-tools"
OVERLAYS = ("dev", "prod")


def _run(args: list[str], timeout: float = 60, **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=timeout, **kw)


@pytest.fixture(scope="session")
def tools() -> dict[str, str]:
    script = ROOT / "scripts" / "ensure-deploy-tools.sh"
    result = _run(["bash", str(script)], timeout=900)
    if result.returncode == 3:
        pytest.skip("deploy tools missing and not installable here (not root): " + result.stderr.strip())
    assert result.returncode == 0, f"ensure-deploy-tools.sh failed:\n{result.stdout}\n{result.stderr}"
    found = {
        "promtool": shutil.which("promtool"),
        "docker-compose": shutil.which("docker-compose"),
        "kubernetes-validate": str(TOOLS_VENV / "bin" / "kubernetes-validate") if (TOOLS_VENV / "bin" / "kubernetes-validate").exists() else None,
    }
    missing = [name for name, path in found.items() if not path]
    assert not missing, f"still missing after ensure-deploy-tools.sh: {missing}"
    kubectl = shutil.which("kubectl")
    if kubectl and _run([kubectl, "kustomize", "--help"], timeout=30).returncode == 0:
        found["kubectl"] = kubectl
    return {k: v for k, v in found.items() if v}


# ---------------------------------------------------------------- Prometheus


def test_promtool_check_config(tools: dict[str, str]) -> None:
    result = _run([tools["promtool"], "check", "config", str(PROM / "prometheus.yml")])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "rules found" in result.stdout + result.stderr  # the rule files were found and checked too


def test_prometheus_k8s_config(tools: dict[str, str]) -> None:
    result = _run([tools["promtool"], "check", "config", str(PROM / "prometheus-k8s.yml")])
    output = result.stdout + result.stderr
    if result.returncode != 0:
        # Debian's promtool is built without Kubernetes service discovery; anything else is an error.
        unknown = set(re.findall(r"field (\w+) not found in type config.ScrapeConfig", output))
        assert unknown == {"kubernetes_sd_configs"}, output
    config = yaml.safe_load((PROM / "prometheus-k8s.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert {"peyvand", "rabbitmq", "rabbitmq-queues"} <= set(jobs)
    targets = {r.get("target_label") for r in jobs["peyvand"]["relabel_configs"]}
    assert {"service", "process", "kind"} <= targets  # the labels the alerts and dashboards group by


def test_promtool_check_rules(tools: dict[str, str]) -> None:
    result = _run([tools["promtool"], "check", "rules", str(RULES)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_unit_tests(tools: dict[str, str]) -> None:
    assert len(RULE_TESTS) >= 2
    result = _run([tools["promtool"], "test", "rules", *map(str, RULE_TESTS)], timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout + result.stderr


def _alerts() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def _runbook_anchors() -> set[str]:
    text = (ROOT / "docs" / "runbook.md").read_text()
    return {re.sub(r"[^a-z0-9 _-]", "", h.strip().lower()).replace(" ", "-") for h in re.findall(r"^#{2,3} (.+)$", text, re.M)}


def test_every_alert_is_labelled_documented_and_unit_tested() -> None:
    alerts = _alerts()
    anchors = _runbook_anchors()
    tested = {
        case["alertname"]
        for path in RULE_TESTS
        for test in yaml.safe_load(path.read_text())["tests"]
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    expected = {
        "PeyvandTargetDown", "GrpcErrorRatioHigh", "HttpErrorRatioHigh", "LatencySLOBurn", "OutboxBacklogGrowing",
        "OutboxBrokerDisconnected", "ConsumerDeadLetters", "RenewalJobMissed", "SlaBreachRateHigh",
        "CampaignSenderFailing", "RabbitMQMemoryAlarm", "RabbitMQDiskAlarm",
    }
    assert expected <= {a["alert"] for a in alerts}
    for alert in alerts:
        name = alert["alert"]
        assert alert["labels"]["severity"] in ("page", "ticket"), name
        assert alert["labels"].get("team"), name
        for key in ("summary", "description", "runbook_url"):
            assert alert["annotations"].get(key), (name, key)
        url = alert["annotations"]["runbook_url"]
        assert url == f"docs/runbook.md#{name.lower()}", (name, url)
        assert name.lower() in anchors, f"docs/runbook.md has no section for {name}"
        assert name in tested, f"{name} has no promtool test that expects it to fire"


# ---------------------------------------------------------------- PromQL metric names

_FUNCS_AND_WORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset",
    "inf", "nan",
}


def known_metric_names() -> set[str]:
    names = set()
    for line in (DEPLOY / "metric-names.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.add(line)
    return names


def recorded_names() -> set[str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return {rule["record"] for group in groups for rule in group["rules"] if "record" in rule}


def metric_names_in(expr: str) -> set[str]:
    """Metric names an expression selects (strings, label matchers, ranges, grouping removed)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"\$\{?\w+\}?", " ", text)  # Grafana variables
    names = set()
    for match in re.finditer(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?", text):
        word, call = match.group(1), match.group(2)
        if call or word in _FUNCS_AND_WORDS:
            continue
        names.add(word)
    return names


def _base(name: str, known: set[str]) -> str:
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and name[: -len(suffix)] in known:
            return name[: -len(suffix)]
    return name


def _all_exprs() -> list[tuple[str, str]]:
    exprs = []
    for group in yaml.safe_load(RULES.read_text())["groups"]:
        for rule in group["rules"]:
            exprs.append((f"rules:{rule.get('alert') or rule.get('record')}", rule["expr"]))
    for path in DASHBOARDS:
        for panel in json.loads(path.read_text())["panels"]:
            for target in panel.get("targets", []):
                exprs.append((f"{path.name}:{panel['title']}", target["expr"]))
            exprs.extend((f"{path.name}:{panel['title']}", t["expr"]) for p in panel.get("panels", []) for t in p.get("targets", []))
    return exprs


def test_metric_name_extraction_catches_unknown_names() -> None:
    expr = 'sum by (service, le) (rate(grpc_server_handling_seconds_bucket{le="0.25", x=~"a|b"}[5m])) / on (service) peyvand_nope_total > 0.05'
    assert metric_names_in(expr) == {"grpc_server_handling_seconds_bucket", "peyvand_nope_total"}
    assert metric_names_in('time() - max(peyvand_policy_renewal_last_success_timestamp_seconds{process="policy-jobs"}) > 26 * 3600') == {
        "peyvand_policy_renewal_last_success_timestamp_seconds"
    }


def test_every_promql_expression_uses_known_metric_names() -> None:
    known = known_metric_names()
    recorded = recorded_names()
    exprs = _all_exprs()
    assert len(exprs) > 50
    unknown = []
    for where, expr in exprs:
        for name in metric_names_in(expr):
            base = _base(name, known)
            if base not in known and name not in recorded:
                unknown.append(f"{where}: {name}")
    assert not unknown, "metric names missing from deploy/metric-names.txt:\n" + "\n".join(unknown)


def test_every_known_metric_name_is_in_the_catalogue() -> None:
    """deploy/ may only reference metrics docs/metrics.md lists (and the e2e test checks the
    catalogue against what the running processes expose): a renamed metric fails here."""
    catalogue = ROOT / "docs" / "metrics.md"
    listed = set(re.findall(r"^\| `([a-zA-Z_:][a-zA-Z0-9_:]*)` \|", catalogue.read_text(), re.M))
    missing = sorted(known_metric_names() - listed - {"up"})
    assert not missing, f"deploy/metric-names.txt names metrics that docs/metrics.md does not list: {missing}"


# ---------------------------------------------------------------- Grafana


@pytest.mark.parametrize("path", DASHBOARDS, ids=[p.stem for p in DASHBOARDS])
def test_grafana_dashboard(path: Path) -> None:
    dashboard = json.loads(path.read_text())
    assert dashboard["uid"] == path.stem
    assert dashboard["schemaVersion"] >= 38
    assert dashboard["title"]
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    assert len(panels) >= 10
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    for panel in panels:
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["expr"].strip() and target["refId"], panel["title"]
        pos = panel["gridPos"]
        assert pos["x"] + pos["w"] <= 24, panel["title"]
    provisioning = yaml.safe_load((DEPLOY / "grafana" / "provisioning" / "dashboards" / "peyvand.yaml").read_text())
    assert provisioning["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"


# ---------------------------------------------------------------- processes: the one list

def _processes() -> list[Any]:
    from peyvand_stack.processes import PortPlan, process_specs

    return process_specs(PortPlan())


def _module_argv(spec: Any) -> list[str]:
    """argv without the interpreter: ['-m', module, args...]."""
    return list(spec.argv[1:])


# ---------------------------------------------------------------- docker compose


def test_compose_config(tools: dict[str, str], tmp_path: Path) -> None:
    compose = tools["docker-compose"]
    env_example = DEPLOY / "compose" / ".env.example"
    quiet = _run([compose, "-f", str(COMPOSE), "--env-file", str(env_example), "config", "-q"])
    assert quiet.returncode == 0, quiet.stdout + quiet.stderr
    rendered = _run([compose, "-f", str(COMPOSE), "--env-file", str(env_example), "config"])
    assert rendered.returncode == 0, rendered.stderr
    services = yaml.safe_load(rendered.stdout)["services"]

    for spec in _processes():
        service = services.get(spec.name)
        assert service is not None, f"{spec.name} missing from docker-compose.yml"
        assert service["command"][1:] == _module_argv(spec), spec.name
        env = service["environment"]
        assert env["IDENTITY_SECRET"] and env["AMQP_URI"].startswith("amqp://") and "replicaSet=rs0" in env["MONGODB_URI"]
        assert "readyz" in " ".join(service["healthcheck"]["test"]), spec.name
        assert service["read_only"] is True and service["user"] == "10001:10001", spec.name
        for dependency, condition in service["depends_on"].items():
            assert condition["condition"] == "service_healthy", (spec.name, dependency)
        published = service.get("ports", [])
        assert bool(published) == (spec.name == "gateway"), f"{spec.name}: only the gateway publishes a port"
    for infra in ("mongo", "rabbitmq", "prometheus", "grafana"):
        assert infra in services

    # Without the secrets, compose refuses to render (no silent empty IDENTITY_SECRET).
    empty_env = tmp_path / "empty.env"
    empty_env.write_text("")
    clean = {k: v for k, v in os.environ.items() if k not in ("IDENTITY_SECRET", "RABBITMQ_USER", "RABBITMQ_PASSWORD", "GRAFANA_ADMIN_PASSWORD")}
    refused = _run([compose, "-f", str(COMPOSE), "--env-file", str(empty_env), "config", "-q"], env=clean)
    assert refused.returncode != 0
    assert "set " in refused.stderr and "deploy/compose/.env" in refused.stderr


def test_prometheus_scrapes_every_compose_process() -> None:
    config = yaml.safe_load((PROM / "prometheus.yml").read_text())
    targets = {t for job in config["scrape_configs"] for group in job.get("static_configs", []) for t in group["targets"]}
    for spec in _processes():
        expected = "gateway:8000" if spec.kind == "http" else f"{spec.name}:9100"
        assert expected in targets, f"prometheus.yml does not scrape {spec.name}"
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["rabbitmq-queues"]["metrics_path"] == "/metrics/detailed"
    assert jobs["rabbitmq-per-object"]["metrics_path"] == "/metrics/per-object"


# ---------------------------------------------------------------- Kubernetes


def _render(tools: dict[str, str], overlay: str, with_kubectl: bool) -> list[dict[str, Any]]:
    folder = K8S / "overlays" / overlay
    if with_kubectl:
        result = _run([tools["kubectl"], "kustomize", str(folder)])
    else:
        result = _run([sys.executable, str(K8S / "render.py"), str(folder)])
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="module")
def rendered(tools: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[list[dict[str, Any]], Path]]:
    out = {}
    folder = tmp_path_factory.mktemp("k8s")
    for overlay in OVERLAYS:
        docs = _render(tools, overlay, with_kubectl="kubectl" in tools)
        path = folder / f"{overlay}.yaml"
        path.write_text(yaml.safe_dump_all(docs, sort_keys=False))
        out[overlay] = (docs, path)
    return out


def test_kubernetes_validate_catches_a_broken_manifest(tools: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replicas: 1\n  replica: 2\n"
                   "  selector: {matchLabels: {a: b}}\n  template: {metadata: {labels: {a: b}}, spec: {containers: [{name: x, image: x}]}}\n")
    result = _run([tools["kubernetes-validate"], "-k", "1.30.0", "--strict", "--quiet", str(bad)])
    assert result.returncode != 0, "kubernetes-validate --strict accepted an unknown field"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_k8s_overlay_validates(tools: dict[str, str], rendered: dict[str, Any], overlay: str) -> None:
    _docs, path = rendered[overlay]
    result = _run([tools["kubernetes-validate"], "-k", "1.30.0", "--strict", "--quiet", str(path)])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_k8s_overlay_runs_every_process_safely(rendered: dict[str, Any], overlay: str) -> None:
    docs, _path = rendered[overlay]
    by_kind: dict[str, dict[str, dict[str, Any]]] = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
    namespace = {"dev": "peyvand-dev", "prod": "peyvand"}[overlay]
    assert all(doc["metadata"]["namespace"] == namespace for doc in docs)
    deployments = by_kind["Deployment"]
    specs = _processes()
    assert set(deployments) == {s.name for s in specs}
    for spec in specs:
        pod = deployments[spec.name]["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert container["command"][1:] == _module_argv(spec), spec.name
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        sc = container["securityContext"]
        assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
        assert sc["capabilities"]["drop"] == ["ALL"]
        assert container["resources"]["requests"] and container["resources"]["limits"]
        if spec.kind == "grpc":
            assert container["readinessProbe"]["grpc"]["port"] == 50051
            assert container["livenessProbe"]["httpGet"] == {"path": "/livez", "port": "metrics"}
            assert spec.name in by_kind["Service"]
        elif spec.kind == "http":
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        else:
            assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "metrics"}
            assert container["livenessProbe"]["httpGet"] == {"path": "/livez", "port": "metrics"}
        assert spec.name in by_kind["PodDisruptionBudget"]
        image = container["image"]
        assert image == ("peyvand:dev" if overlay == "dev" else "registry.example.com/peyvand/peyvand:0.1.0")
    hpas = by_kind["HorizontalPodAutoscaler"]
    assert set(hpas) == {s.name for s in specs if s.kind in ("worker", "http")}
    for hpa in hpas.values():
        assert hpa["spec"]["scaleTargetRef"]["name"] in deployments
    assert "default-deny-ingress" in by_kind["NetworkPolicy"]
    assert by_kind["Ingress"]["gateway"]["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == "gateway"
    config = by_kind["ConfigMap"]["peyvand-config"]["data"]
    for svc in ("CUSTOMER", "POLICY", "TICKETING", "CAMPAIGN"):
        assert config[f"{svc}_ADDR"] == f"{svc.lower()}-grpc:50051"
    assert set(by_kind["Secret"]["peyvand-secrets"]["stringData"]) == {"IDENTITY_SECRET", "MONGODB_URI", "AMQP_URI"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_render_py_matches_kubectl_kustomize(tools: dict[str, str], overlay: str) -> None:
    if "kubectl" not in tools:
        pytest.skip("kubectl is not installed: render.py is the renderer in use, nothing to compare it with")

    def keyed(docs: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
        return {(d["kind"], d["metadata"]["name"]): d for d in docs}

    assert keyed(_render(tools, overlay, with_kubectl=False)) == keyed(_render(tools, overlay, with_kubectl=True))
