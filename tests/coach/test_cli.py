"""`peeka coach questions|feedback`: the JSON contract of the issue, with the offline default and
with an OpenAI-compatible server (the fake one on loopback), named by PEEKA_LLM_BASE_URL and
PEEKA_LLM_MODEL in the environment of a real `peeka` process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from peeka.cli import main
from peeka.coach.models import Company
from peeka.llm.base import Settings
from peeka.llm.types import CRITERIA
from tests.llm.fake_openai import MODEL, FakeOpenAI, Malformed

ROOT = Path(__file__).resolve().parents[2]
COVER_LETTER = """[지원 동기] 저는 사용자가 매일 쓰는 서비스를 안정적으로 만드는
백엔드 개발자가 되고 싶어 지원했습니다. [협업 경험] 졸업 프로젝트에서 프론트엔드
팀원과 API 설계를 두고 갈등이 있었지만, 요구사항을 표로 정리해 합의했고 일정 안에
배포했습니다. [성장] 장애 대응 경험을 통해 모니터링의 중요성을 배웠습니다."""
ANSWER = """당시 졸업 프로젝트에서 주문 API의 응답 시간이 2초를 넘는 문제가 있었습니다. 저는 백엔드
담당으로 원인을 찾는 역할을 맡았습니다. 쿼리 로그를 분석해 N+1 문제를 찾았고, 조인과 캐시를
적용했습니다. 그 결과 응답 시간을 2.1초에서 0.3초로 85% 줄였고, 팀에 점검 목록을 공유했습니다."""


def _json(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(capsys.readouterr().out)
    return result


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    letter, answer = tmp_path / "letter.txt", tmp_path / "answer.txt"
    letter.write_text(COVER_LETTER, encoding="utf-8")
    answer.write_text(ANSWER, encoding="utf-8")
    return {"letter": letter, "answer": answer}


@pytest.mark.django_db
def test_questions_offline(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    Company.objects.create(name="네이버", talent=["도전", "협업"], positions=["백엔드 개발"])
    args = ["coach", "questions", "--cover-letter", str(files["letter"]), "--company", "네이버"]
    assert main([*args, "--position", "백엔드 개발자", "--json"]) == 0
    out = _json(capsys)
    assert list(out) == ["job", "personality", "provider"] and out["provider"] == "offline"
    assert len(out["job"]) == 3 and len(out["personality"]) == 3
    assert all(any("\uac00" <= c <= "\ud7a3" for c in q) for q in out["job"] + out["personality"])
    assert main([*args, "--position", "backend developer", "--lang", "en", "--json"]) == 0
    english = _json(capsys)
    assert all(q.isascii() for q in english["job"] + english["personality"])


@pytest.mark.django_db
def test_feedback_offline(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    question = "가장 어려웠던 기술적 문제를 어떻게 해결했는지 말씀해 주세요."
    args = ["coach", "feedback", "--question", question, "--answer-file", str(files["answer"])]
    assert main([*args, "--json"]) == 0
    out = _json(capsys)
    keys = ["strengths", "improvements", "suggestion", "scores", "follow_up", "provider"]
    assert set(keys) <= set(out) and out["provider"] == "offline"
    assert set(out["scores"]) == set(CRITERIA)
    assert all(isinstance(v, int | float) and 0 <= v <= 5 for v in out["scores"].values())
    assert out["strengths"] and out["improvements"] and 0 < len(out["suggestion"]) <= 300


@pytest.mark.django_db
def test_a_malformed_model_is_a_clear_error(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], settings: SettingsWrapper
) -> None:
    with FakeOpenAI() as fake:
        fake.script(Malformed(), Malformed())  # the answer and its one repair
        settings.PEEKA_LLM = Settings(base_url=fake.url, model=MODEL, timeout=5)
        args = ["coach", "feedback", "--question", "Q?", "--answer-file", str(files["answer"])]
        assert main([*args, "--json"]) == 2
    error = _json(capsys)["error"]
    assert error["code"] == "llm_malformed" and error["message"]
    assert len(fake.requests) == 2


def test_the_environment_names_an_openai_compatible_server(
    files: dict[str, Path], tmp_path: Path
) -> None:
    """A real `peeka` process, configured only by its environment (no database set up: the
    company is then known by its name alone)."""
    with FakeOpenAI() as fake:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "peeka.web.settings",
            "PEEKA_DATA_DIR": str(tmp_path / "data"),
            "PEEKA_SECRET_KEY": "tests-only",
            "PEEKA_LLM_BASE_URL": fake.url,
            "PEEKA_LLM_MODEL": MODEL,
        }
        env.pop("DATABASE_URL", None)
        command = [sys.executable, "-m", "peeka.cli", "coach"]
        asked = subprocess.run(
            [*command, "questions", "--cover-letter", str(files["letter"]), "--company",
             "네이버", "--position", "백엔드 개발자", "--json"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        judged = subprocess.run(
            [*command, "feedback", "--question", "자기소개를 해 주세요.", "--answer-file",
             str(files["answer"]), "--json"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert asked.returncode == 0, asked.stderr
    questions = json.loads(asked.stdout)
    assert questions["provider"] == "openai" and len(questions["job"]) == 3
    assert judged.returncode == 0, judged.stderr
    feedback = json.loads(judged.stdout)
    assert feedback["provider"] == "openai" and set(feedback["scores"]) == set(CRITERIA)
    assert [r["model"] for r in fake.requests] == [MODEL, MODEL]
    assert COVER_LETTER.split()[2] in json.dumps(fake.requests[0], ensure_ascii=False)
