from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from peeka.biometrics import RGBImage
from peeka.cli import main
from tests.conftest import encode


def _json(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(capsys.readouterr().out)
    return result


def test_verify_json_has_match_score_and_threshold(
    faces_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["verify", str(faces_dir / "obama.jpg"), str(faces_dir / "obama2.jpg"), "--json"]) == 0
    )
    same = _json(capsys)
    assert same["match"] is True
    assert isinstance(same["score"], float) and isinstance(same["threshold"], float)
    assert same["score"] <= same["threshold"]

    assert (
        main(["verify", str(faces_dir / "obama.jpg"), str(faces_dir / "biden.jpg"), "--json"]) == 1
    )
    other = _json(capsys)
    assert other["match"] is False and other["score"] > other["threshold"]


def test_verify_accepts_an_explicit_threshold(
    faces_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["verify", str(faces_dir / "obama.jpg"), str(faces_dir / "biden.jpg"), "--json"]
    assert main([*args, "--threshold", "5"]) == 0
    assert _json(capsys)["threshold"] == 5.0


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"", "image_empty"),
        (b"hello", "image_unsupported"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image_corrupt"),
    ],
)
def test_bad_input_is_a_clear_error_with_exit_code_2(
    tmp_path: Path,
    astronaut: RGBImage,
    capsys: pytest.CaptureFixture[str],
    payload: bytes,
    code: str,
) -> None:
    good, bad = tmp_path / "good.jpg", tmp_path / "bad.jpg"
    good.write_bytes(encode(astronaut))
    bad.write_bytes(payload)
    assert main(["verify", str(good), str(bad), "--json"]) == 2
    error = _json(capsys)["error"]
    assert isinstance(error, dict) and error["code"] == code and error["message"]
    assert main(["verify", str(good), str(bad)]) == 2
    assert f"[{code}]" in capsys.readouterr().err


def test_embed_json_prints_128_numbers_and_a_box(
    tmp_path: Path, astronaut: RGBImage, capsys: pytest.CaptureFixture[str]
) -> None:
    photo = tmp_path / "astronaut.png"
    photo.write_bytes(encode(astronaut, "PNG"))
    assert main(["embed", str(photo), "--json"]) == 0
    result = _json(capsys)
    embedding, box = result["embedding"], result["box"]
    assert isinstance(embedding, list) and len(embedding) == 128
    assert isinstance(box, list) and len(box) == 4 and box[0] < box[2] and box[1] < box[3]


def test_bench_reports_each_stage_and_the_ratio(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--json", "--repeat", "5"]) == 0
    result = _json(capsys)
    stages = result["stages"]
    assert isinstance(stages, dict)
    assert set(stages) == {"decode", "detect", "align", "embed", "pipeline"}
    for stage in stages.values():
        assert 0 < stage["median_ms"] <= stage["p95_ms"]
    # The whole pipeline includes the embedding network, so it cannot be faster than it.
    assert stages["pipeline"]["median_ms"] > stages["embed"]["median_ms"] * 0.9
    assert result["pipeline_to_embed_ratio"] > 0.9


def test_the_demo_runs_the_cli_on_packaged_photos() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "peeka.cli", "demo"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "MATCH: distance" in done.stdout
    assert '"match": true' in done.stdout
    assert "[no_face]" in done.stderr and "[image_unsupported]" in done.stderr


def test_bench_protection_times_a_real_search_per_scheme(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["bench", "protection", "--gallery", "300", "--repeat", "1", "--json"]) == 0
    result = _json(capsys)
    schemes = result["schemes"]
    assert result["gallery"] == 300
    for name in ("plaintext", "iom", "ckks"):
        assert schemes[name]["search_ms"] > 0
        assert schemes[name]["peak_rss_mb"] > 10
        assert schemes[name]["ratio_to_plaintext"] > 0
    assert schemes["plaintext"]["ratio_to_plaintext"] == 1.0
    # The probe lies near template 0 and far from the rest: each search must find just that one.
    assert schemes["iom"]["best_match"] == 0
    assert schemes["ckks"]["accepted"] == 1 and schemes["ckks"]["blocks"] == 1
    assert schemes["ndb"]["search_ms"] is None


def test_keys_status_and_rotate_show_ids_never_key_bytes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    vault = tmp_path / "vault"
    assert main(["keys", "status", "--key-dir", str(vault), "--json"]) == 0
    assert _json(capsys)["keys"] == []
    assert main(["keys", "rotate", "--key-dir", str(vault), "--json"]) == 0
    first = _json(capsys)["active"]
    assert set(first) == {"wrap", "mac", "ckks"}
    assert main(["keys", "rotate", "--purpose", "mac", "--key-dir", str(vault), "--json"]) == 0
    second = _json(capsys)["active"]
    assert second["mac"] != first["mac"]
    assert main(["keys", "status", "--key-dir", str(vault), "--json"]) == 0
    keys = _json(capsys)["keys"]
    by_id = {k["id"]: k for k in keys}
    assert by_id[first["mac"]]["status"] == "retired" and by_id[second["mac"]]["status"] == "active"
    assert by_id[first["wrap"]]["status"] == "active"
    assert main(["keys", "rotate", "--purpose", "ckks", "--key-dir", str(vault), "--json"]) == 0
    third = _json(capsys)["active"]
    assert main(["keys", "status", "--key-dir", str(vault), "--json"]) == 0
    ckks_keys = {k["id"]: k["status"] for k in _json(capsys)["ckks_keys"]}
    assert ckks_keys == {first["ckks"]: "retired", third["ckks"]: "active"}
    secrets = [p.read_bytes() for p in (vault / "keys").iterdir()]
    assert secrets and all(len(s) == 32 for s in secrets)
    main(["keys", "status", "--key-dir", str(vault)])
    shown = capsys.readouterr().out
    assert all(s.hex() not in shown for s in secrets)
