"""protogen compiles what changed, leaves the rest alone, and cleans up after deleted protos."""

from __future__ import annotations

import os
from pathlib import Path

from peyvand_runtime.protogen import compile_protos

PROTO = """syntax = "proto3";
package peyvand.testing.v1;
import "google/protobuf/timestamp.proto";
message Probe { string name = 1; google.protobuf.Timestamp at = 2; }
service ProbeService { rpc GetProbe(Probe) returns (Probe); }
"""


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_compiles_then_skips_then_removes(tmp_path: Path) -> None:
    protos, gen = tmp_path / "protos", tmp_path / "gen"
    probe = _write(protos / "peyvand/testing/v1/probe.proto", PROTO)
    other = _write(protos / "peyvand/testing/v1/other.proto", 'syntax = "proto3";\npackage peyvand.testing.v1;\nmessage Other {}\n')
    lines: list[str] = []

    assert compile_protos(protos, gen, report=lines.append) == [other, probe]
    out = gen / "peyvand/testing/v1"
    assert {p.name for p in out.iterdir()} >= {"probe_pb2.py", "probe_pb2.pyi", "probe_pb2_grpc.py", "other_pb2.py"}
    assert not (gen / "peyvand/__init__.py").exists()  # implicit namespace packages
    assert lines == ["compiled protos/peyvand/testing/v1/other.proto", "compiled protos/peyvand/testing/v1/probe.proto"]

    lines.clear()
    assert compile_protos(protos, gen, report=lines.append) == []
    assert lines == []

    earlier = probe.stat().st_mtime_ns - 1_000_000_000
    os.utime(out / "probe_pb2_grpc.py", ns=(earlier, earlier))  # as if the proto was edited since
    assert compile_protos(protos, gen, report=lines.append) == [probe]

    lines.clear()
    other.unlink()
    compile_protos(protos, gen, report=lines.append)
    assert not list(out.glob("other_pb2*"))
    assert lines == [f"removed gen/peyvand/testing/v1/other_pb2{s}" for s in (".py", ".pyi", "_grpc.py")]

    probe.unlink()
    compile_protos(protos, gen, report=lines.append)
    assert not (gen / "peyvand").exists()


def test_the_generated_common_protos_import_as_namespace_packages() -> None:
    from peyvand.common.v1 import errors_pb2, money_pb2, paging_pb2

    assert money_pb2.Money(rials=1_250_000_000).rials == 1_250_000_000
    assert paging_pb2.PageRequest(page_size=50, page_token="abc").page_token == "abc"
    assert paging_pb2.PageResponse(next_page_token="").next_page_token == ""
    assert errors_pb2.ErrorCode.Value("VERSION_CONFLICT") == 3
