"""``python -m bench.report``: suites run separately become one document and one summary table,
each suite from its newest run, with where and when it ran; nothing re-judged or averaged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import report


def _doc(timestamp: str, suite: str, value: float, *, met: bool, load: float = 1.0, failed: bool = False) -> dict:
    figure = {"name": "sweep", "value": value, "unit": "s", "baseline_name": "limit", "baseline_value": 30.0, "ratio": 30.0 / value,
              "target": 1.0, "met": met, "min": value, "max": value, "samples": [value], "applies": True, "note": ""}
    return {"timestamp": timestamp, "command": f"python -m bench --only {suite}", "duration_seconds": 100.0, "repeat": 1,
            "machine": {"cores": 2, "load_average_1_5_15_at_start": [load, 0, 0], "load_average_1_5_15_at_end": [load + 1, 0, 0]},
            "suites": {} if failed else {suite: [figure]}, "failed": {suite: "RuntimeError: boom"} if failed else {}, "info": {suite: {"n": 1}}}


def test_the_newest_run_of_each_suite_is_kept_with_its_provenance(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = tmp_path / "old.json"
    old.write_text(json.dumps(_doc("2026-11-22T19:00:00+00:00", "ticketing", 30.6, met=False, load=5.6)))
    new = tmp_path / "new.json"
    new.write_text(json.dumps(_doc("2026-11-22T21:24:00+00:00", "ticketing", 10.4, met=True, load=1.1)))
    other = tmp_path / "other.json"
    other.write_text(json.dumps(_doc("2026-11-22T20:00:00+00:00", "policy", 150.0, met=False)))
    out = tmp_path / "latest.json"

    assert report.main([str(new), str(old), str(other), "--output", str(out)]) == 0

    merged = json.loads(out.read_text())
    assert merged["merged_from_separate_runs"] is True
    assert merged["suites"]["ticketing"][0]["value"] == 10.4  # newest, whatever the argument order
    assert merged["runs"]["ticketing"]["load_average_at_start"][0] == 1.1 and merged["runs"]["ticketing"]["source"].endswith("new.json")
    assert merged["suites"]["policy"][0]["met"] is False  # verdicts are carried, not recomputed
    printed = capsys.readouterr().out
    assert "1 of 2 targets met" in printed and "ticketing: sweep" in printed


def test_a_failed_suite_makes_the_report_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(_doc("2026-11-22T21:00:00+00:00", "campaign", 1.0, met=True, failed=True)))
    assert report.main([str(bad), "--output", str(tmp_path / "out.json")]) == 1
    assert json.loads((tmp_path / "out.json").read_text())["failed"] == {"campaign": "RuntimeError: boom"}


def test_a_file_that_is_not_a_result_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.json"
    junk.write_text("not json")
    with pytest.raises(SystemExit) as exc:
        report.main([str(junk), "--output", str(tmp_path / "out.json")])
    assert exc.value.code == 2
