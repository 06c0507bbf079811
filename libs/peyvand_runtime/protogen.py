"""Compile every ``protos/**/*.proto`` into ``gen/`` (``python -m peyvand_runtime.protogen``).

Generated modules live in one place, as implicit namespace packages
(``import peyvand.common.v1.errors_pb2``), and are never copied into a service. The run is
incremental: a proto is recompiled only when it is newer than one of its outputs (or the
grpc_tools version changed), so calling this before every test run or process start costs
a few milliseconds. Outputs whose proto was deleted are removed.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterable
from importlib import resources
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PROTOS_DIR = REPO_ROOT / "protos"
GEN_DIR = REPO_ROOT / "gen"
OUTPUT_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py")
_STAMP = ".protogen-stamp"


class ProtogenError(RuntimeError):
    """protoc refused a proto (its message is already on stderr)."""


def outputs_of(proto: Path, protos_dir: Path, gen_dir: Path) -> list[Path]:
    """The generated files for one proto, e.g. ``gen/peyvand/common/v1/errors_pb2.py``."""
    relative = proto.relative_to(protos_dir)
    stem = relative.with_suffix("")
    return [gen_dir / f"{stem}{suffix}" for suffix in OUTPUT_SUFFIXES]


def _generator_version() -> str:
    from grpc_tools import grpc_version

    return str(grpc_version.VERSION)


def _include_paths() -> list[str]:
    """protos/ is passed first; then the well-known protos bundled with grpc_tools and the
    googleapis common protos (``google/type/date.proto``, ``google/rpc/*.proto``) whose
    Python modules ship in the googleapis-common-protos package."""
    paths = [str(resources.files("grpc_tools") / "_proto")]
    try:
        import google.type as google_type

        # site-packages/google/type → site-packages
        paths.append(str(Path(next(iter(google_type.__path__))).parents[1]))
    except ImportError:
        pass
    return paths


def _is_stale(proto: Path, outputs: Iterable[Path]) -> bool:
    proto_mtime = proto.stat().st_mtime_ns
    for output in outputs:
        try:
            if output.stat().st_mtime_ns < proto_mtime:
                return True
        except FileNotFoundError:
            return True
    return False


def _run_protoc(protos: list[Path], protos_dir: Path, out_dir: Path) -> None:
    from grpc_tools import protoc

    args = [
        "grpc_tools.protoc",
        f"-I{protos_dir}",
        *(f"-I{path}" for path in _include_paths()),
        f"--python_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        f"--pyi_out={out_dir}",
        *(str(proto) for proto in protos),
    ]
    if protoc.main(args) != 0:
        raise ProtogenError("protoc failed for: " + ", ".join(str(p.relative_to(protos_dir)) for p in protos))


def _remove_orphans(protos: set[Path], protos_dir: Path, gen_dir: Path, report: Callable[[str], None]) -> None:
    for output in sorted(gen_dir.rglob("*_pb2*")):
        if any(part.startswith(".") for part in output.relative_to(gen_dir).parts):
            continue
        suffix = next((s for s in OUTPUT_SUFFIXES if output.name.endswith(s)), None)
        if suffix is None or not output.is_file():
            continue
        proto = protos_dir / output.relative_to(gen_dir).parent / (output.name[: -len(suffix)] + ".proto")
        if proto not in protos:
            output.unlink()
            for cached in (output.parent / "__pycache__").glob(output.name.rsplit(".", 1)[0] + ".*.pyc"):
                cached.unlink()
            report(f"removed {output.relative_to(gen_dir.parent)}")
    # Deepest first, so a folder emptied by its children's removal goes too.
    for folder in sorted((p for p in gen_dir.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()


def compile_protos(
    protos_dir: Path = PROTOS_DIR,
    gen_dir: Path = GEN_DIR,
    *,
    force: bool = False,
    report: Callable[[str], None] = print,
) -> list[Path]:
    """Bring ``gen_dir`` up to date with ``protos_dir``; return the protos compiled."""
    protos = sorted(protos_dir.rglob("*.proto"))
    gen_dir.mkdir(parents=True, exist_ok=True)
    stamp = gen_dir / _STAMP
    version = _generator_version()
    if not stamp.exists() or stamp.read_text().strip() != version:
        force = True
    stale = [p for p in protos if force or _is_stale(p, outputs_of(p, protos_dir, gen_dir))]
    if stale:
        # Compile into a private folder, then move each file into place atomically, so a
        # process starting concurrently never imports a half-written module.
        with tempfile.TemporaryDirectory(dir=gen_dir, prefix=".protogen-") as tmp:
            _run_protoc(stale, protos_dir, Path(tmp))
            for proto in stale:
                for target in outputs_of(proto, protos_dir, gen_dir):
                    target.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(Path(tmp) / target.relative_to(gen_dir), target)
                report(f"compiled {proto.relative_to(protos_dir.parent)}")
        stamp.write_text(version + "\n")
    _remove_orphans(set(protos), protos_dir, gen_dir, report)
    return stale


def ensure_generated(report: Callable[[str], None] = lambda line: None) -> None:
    """Compile what is stale and make ``gen/`` importable in this process.

    ``site`` only adds the venv's ``gen`` path when the folder existed at interpreter start,
    so a fresh checkout needs this before its first ``import peyvand...``.
    """
    compile_protos(report=report)
    if str(GEN_DIR) not in sys.path:
        sys.path.append(str(GEN_DIR))
    importlib.invalidate_caches()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m peyvand_runtime.protogen", description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="recompile every proto")
    args = parser.parse_args(argv)
    try:
        compile_protos(force=args.force)
    except ProtogenError as exc:
        print(f"protogen: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
