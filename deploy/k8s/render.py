#!/usr/bin/env python3
"""Render a kustomization offline when no kustomize is at hand (``kubectl kustomize`` is the
real tool; Debian 12 packages neither kubectl nor kustomize, and PyPI has no kustomize that
runs on Python 3.11).

    python deploy/k8s/render.py deploy/k8s/overlays/prod > prod.yaml

Only the subset of kustomize that deploy/k8s uses is implemented, and anything else in a
kustomization is refused rather than ignored:
  resources (files and directories with a kustomization.yaml), namespace,
  labels (pairs; includeSelectors/includeTemplates), images (newName/newTag),
  replicas, patches (a strategic-merge patch or a JSON 6902 op list, from path: or patch:,
  optionally with target: kind / name (regex) / labelSelector (a=b,c=d)).
Strategic merge here: maps merge, lists of maps with a ``name`` key merge by name, other
lists are replaced, ``null`` deletes. tests/integration/deploy checks that its output
equals ``kubectl kustomize`` wherever both are available.
"""

from __future__ import annotations

import copy
import re
import sys
from pathlib import Path
from typing import Any

import yaml

SUPPORTED = {"apiVersion", "kind", "resources", "namespace", "labels", "images", "replicas", "patches"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PersistentVolume", "StorageClass", "IngressClass"}
# kustomize's legacy output order (the kinds deploy/k8s uses, then everything else by name).
ORDER = ["Namespace", "ServiceAccount", "ConfigMap", "Secret", "Service", "Deployment", "PodDisruptionBudget", "HorizontalPodAutoscaler", "Ingress", "NetworkPolicy"]


class RenderError(ValueError):
    pass


def _load_docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _kustomization(folder: Path) -> dict[str, Any]:
    for name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
        if (folder / name).is_file():
            data = yaml.safe_load((folder / name).read_text()) or {}
            unknown = set(data) - SUPPORTED
            if unknown:
                raise RenderError(f"{folder}: kustomization fields not supported by render.py: {sorted(unknown)} (use kubectl kustomize)")
            return data
    raise RenderError(f"{folder}: no kustomization.yaml")


def strategic_merge(base: Any, patch: Any) -> Any:
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for key, value in patch.items():
            if value is None:
                out.pop(key, None)
            elif key in out:
                out[key] = strategic_merge(out[key], value)
            else:
                out[key] = copy.deepcopy(value)
        return out
    if isinstance(base, list) and isinstance(patch, list) and all(isinstance(i, dict) and "name" in i for i in base + patch):
        out = [copy.deepcopy(i) for i in base]
        index = {item["name"]: n for n, item in enumerate(out)}
        for item in patch:
            if item["name"] in index:
                out[index[item["name"]]] = strategic_merge(out[index[item["name"]]], item)
            else:
                out.append(copy.deepcopy(item))
        return out
    return copy.deepcopy(patch)


def _pointer(path: str) -> list[str]:
    if not path.startswith("/"):
        raise RenderError(f"JSON pointer must start with '/': {path}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def json_patch(doc: dict[str, Any], ops: list[dict[str, Any]]) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    for op in ops:
        parts = _pointer(op["path"])
        parent: Any = doc
        for part in parts[:-1]:
            parent = parent[int(part)] if isinstance(parent, list) else parent[part]
        last = parts[-1]
        kind = op["op"]
        if kind in ("replace", "add"):
            if isinstance(parent, list):
                if last == "-":
                    parent.append(op["value"])
                elif kind == "add":
                    parent.insert(int(last), op["value"])
                else:
                    parent[int(last)] = op["value"]
            else:
                if kind == "replace" and last not in parent:
                    raise RenderError(f"replace of a missing path {op['path']}")
                parent[last] = op["value"]
        elif kind == "remove":
            del parent[int(last) if isinstance(parent, list) else last]
        else:
            raise RenderError(f"JSON patch op {kind!r} not supported by render.py")
    return doc


def _matches(doc: dict[str, Any], target: dict[str, Any]) -> bool:
    if "kind" in target and doc.get("kind") != target["kind"]:
        return False
    if "name" in target and not re.fullmatch(target["name"], doc["metadata"]["name"]):
        return False
    if "labelSelector" in target:
        labels = doc["metadata"].get("labels", {})
        for term in target["labelSelector"].split(","):
            key, _, value = term.partition("=")
            if labels.get(key.strip()) != value.strip():
                return False
    unknown = set(target) - {"kind", "name", "labelSelector", "group", "version"}
    if unknown:
        raise RenderError(f"patch target fields not supported by render.py: {sorted(unknown)}")
    return True


def _apply_patch(docs: list[dict[str, Any]], folder: Path, entry: dict[str, Any]) -> list[dict[str, Any]]:
    raw = (folder / entry["path"]).read_text() if "path" in entry else entry["patch"]
    content = yaml.safe_load(raw)
    target = entry.get("target")
    if isinstance(content, list):  # JSON 6902
        if not target:
            raise RenderError("a JSON 6902 patch needs a target")
        hits = [i for i, d in enumerate(docs) if _matches(d, target)]
        if not hits:
            raise RenderError(f"patch {entry} matched nothing")
        for i in hits:
            docs[i] = json_patch(docs[i], content)
        return docs
    if target is None:
        target = {"kind": content["kind"], "name": re.escape(content["metadata"]["name"])}
    hits = [i for i, d in enumerate(docs) if _matches(d, target)]
    if not hits:
        raise RenderError(f"patch {entry} matched nothing")
    body = copy.deepcopy(content)
    for i in hits:
        name = docs[i]["metadata"]["name"]
        merged = strategic_merge(docs[i], body)
        merged["metadata"]["name"] = name  # with a target, the patch's own name does not rename
        docs[i] = merged
    return docs


def _set_labels(doc: dict[str, Any], pairs: dict[str, str], selectors: bool, templates: bool) -> None:
    doc["metadata"].setdefault("labels", {}).update(pairs)
    spec = doc.get("spec") or {}
    if (templates or selectors) and isinstance(spec.get("template"), dict):
        spec["template"].setdefault("metadata", {}).setdefault("labels", {}).update(pairs)
    if selectors:
        if doc["kind"] == "Service":
            spec.setdefault("selector", {}).update(pairs)
        elif isinstance(spec.get("selector"), dict):
            spec["selector"].setdefault("matchLabels", {}).update(pairs)


def _set_image(doc: dict[str, Any], image: dict[str, Any]) -> None:
    pod = ((doc.get("spec") or {}).get("template") or {}).get("spec") or {}
    for container in pod.get("containers", []) + pod.get("initContainers", []):
        name, _, tag = container["image"].partition(":")
        if name == image["name"]:
            new_name = image.get("newName", name)
            new_tag = image.get("newTag", tag)
            container["image"] = f"{new_name}:{new_tag}" if new_tag else new_name


def render(folder: Path) -> list[dict[str, Any]]:
    folder = folder.resolve()
    k = _kustomization(folder)
    docs: list[dict[str, Any]] = []
    for res in k.get("resources", []):
        path = folder / res
        docs.extend(render(path) if path.is_dir() else _load_docs(path))
    for entry in k.get("patches", []):
        docs = _apply_patch(docs, folder, entry)
    for rep in k.get("replicas", []):
        hits = [d for d in docs if d["metadata"]["name"] == rep["name"] and "replicas" in (d.get("spec") or {})]
        if not hits:
            raise RenderError(f"replicas: nothing named {rep['name']}")
        for d in hits:
            d["spec"]["replicas"] = rep["count"]
    for image in k.get("images", []):
        for d in docs:
            _set_image(d, image)
    for entry in k.get("labels", []):
        for d in docs:
            _set_labels(d, entry["pairs"], entry.get("includeSelectors", False), entry.get("includeTemplates", False))
    if "namespace" in k:
        for d in docs:
            if d["kind"] not in CLUSTER_SCOPED:
                d["metadata"]["namespace"] = k["namespace"]
    return docs


def _order(doc: dict[str, Any]) -> tuple[int, str]:
    kind = doc["kind"]
    return (ORDER.index(kind) if kind in ORDER else len(ORDER), doc["metadata"]["name"])


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        print("usage: render.py KUSTOMIZATION_DIR", file=sys.stderr)
        return 2
    try:
        docs = sorted(render(Path(argv[0])), key=_order)
    except (RenderError, KeyError, IndexError, OSError) as exc:
        print(f"render.py: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(yaml.safe_dump_all(docs, sort_keys=False, width=200, explicit_start=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
