"""`peeka bench punch`: a short open-loop run of the kiosk punch API against a real `peeka serve`
on loopback (liveness off), members enrolled from LFW photos and punched with other photos."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from peeka.cli import main


def test_bench_punch_sends_on_schedule_and_reports_latency_and_answers(
    lfw_dev: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["bench", "punch", "--duration", "6", "--rate", "30", "--members", "3"]
    assert main([*argv, "--workers", "1", "--scheme", "iom", "--lfw", str(lfw_dev), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["punches"], report["sent"], report["errors"]) == (3, 3, 0)
    assert report["error_kinds"] == {"status": 0, "timeout": 0, "connection": 0, "skipped": 0}
    assert 0 < report["p50_ms"] <= report["p95_ms"] <= report["p99_ms"] <= report["max_ms"]
    assert report["right"] + report["wrong_member"] + report["unknown"] == 3
    assert sum(report["directions"].values()) == report["punches"]
    assert report["achieved_per_min"] == pytest.approx(30, rel=0.05)
