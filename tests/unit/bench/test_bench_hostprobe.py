"""``bench.hostprobe``: the host's speed and I/O stall recorded beside every bench run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import hostprobe, report

PSI = """some avg10=0.65 avg60=0.22 avg300=0.05 total=5437925
full avg10=0.65 avg60=0.22 avg300=0.05 total=5006962
"""


def test_the_full_line_total_is_read_from_a_psi_file() -> None:
    assert hostprobe.parse_psi_full_total_us(PSI) == 5006962
    assert hostprobe.parse_psi_full_total_us("some avg10=0.00 total=12\n") is None  # CPU PSI has no full line on older kernels
    assert hostprobe.parse_psi_full_total_us("") is None


def test_the_cpu_probe_scales_to_ten_million_additions_and_refuses_nonsense(monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = iter([0.0, 0.30, 1.0, 1.25, 2.0, 2.40])  # three runs: 0.30, 0.25, 0.40 s for 2M
    monkeypatch.setattr(hostprobe.time, "perf_counter", lambda: next(ticks))
    assert hostprobe.cpu_probe_seconds(runs=3, loop=2_000_000) == pytest.approx(1.25)  # the fastest run, × 5
    with pytest.raises(ValueError):
        hostprobe.cpu_probe_seconds(runs=0)


def test_a_real_probe_gives_a_positive_time() -> None:
    assert hostprobe.cpu_probe_seconds(runs=1, loop=10_000) > 0


def test_the_stall_share_is_the_stalled_part_of_the_wall_time(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    psi = tmp_path / "io"
    psi.write_text("full avg10=0 avg60=0 avg300=0 total=1000000\n")
    monkeypatch.setattr(hostprobe, "PSI_IO", psi)
    monkeypatch.setattr(hostprobe, "cpu_probe_seconds", lambda: 1.5)
    clock = iter([100.0, 110.0])  # 10 s of wall time
    monkeypatch.setattr(hostprobe.time, "monotonic", lambda: next(clock))
    probe = hostprobe.HostProbe(1.5, hostprobe.io_full_stall_total_us(psi), hostprobe.time.monotonic())
    psi.write_text("full avg10=0 avg60=0 avg300=0 total=1500000\n")  # 0.5 s stalled
    facts = probe.finish().facts()
    assert facts == {"python_10m_additions_seconds_at_start": 1.5, "python_10m_additions_seconds_at_end": 1.5, "io_full_stall_share": 0.05}
    assert "5.0% of the time" in probe.describe()


def test_no_psi_file_means_no_stall_figure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(hostprobe, "PSI_IO", tmp_path / "absent")
    monkeypatch.setattr(hostprobe, "cpu_probe_seconds", lambda: 2.0)
    probe = hostprobe.HostProbe.start().finish()
    assert probe.facts()["io_full_stall_share"] is None and "not exposed" in probe.describe()


def test_the_report_prints_each_runs_host_speed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    figure = {"name": "sweep", "value": 10.0, "unit": "s", "target": 1.0, "met": True, "applies": True}
    doc = {"timestamp": "2026-11-23T14:00:00+00:00", "command": "python -m bench --only ticketing", "duration_seconds": 60.0, "repeat": 1,
           "machine": {"load_average_1_5_15_at_start": [1.0, 0, 0], "load_average_1_5_15_at_end": [2.0, 0, 0],
                       "host": {"python_10m_additions_seconds_at_start": 2.31, "python_10m_additions_seconds_at_end": 2.4, "io_full_stall_share": 0.091}},
           "suites": {"ticketing": [figure]}, "failed": {}, "info": {}}
    source = tmp_path / "t.json"
    source.write_text(json.dumps(doc))
    assert report.main([str(source), "--output", str(tmp_path / "out.json")]) == 0
    assert "10M-add 2.31 s  I/O stall 9.1%" in capsys.readouterr().out
    assert json.loads((tmp_path / "out.json").read_text())["runs"]["ticketing"]["host"]["python_10m_additions_seconds_at_end"] == 2.4
    assert report.host_speed(None) == "" and report.host_speed({}) == ""
