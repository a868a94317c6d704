"""Settings.from_env (PEEKA_LLM_*), LLMError's codes, and the provider registry."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from peeka.llm.base import ERROR_CODES, LLMError, Settings
from peeka.llm.offline_provider import OfflineProvider, chunks
from peeka.llm.openai_provider import OpenAIProvider
from peeka.llm.providers import PROVIDERS, provider_for
from peeka.llm.types import Feedback, FeedbackRequest

ROOT = Path(__file__).resolve().parents[2]
URL = "http://localhost:11434/v1"


def config_error(env: dict[str, str]) -> LLMError:
    with pytest.raises(LLMError) as raised:
        Settings.from_env(env)
    assert raised.value.code == "llm_config"
    return raised.value


def test_no_variables_mean_the_offline_defaults() -> None:
    settings = Settings.from_env({})

    assert settings == Settings()
    assert settings.provider == "offline"
    assert (settings.timeout, settings.max_tokens, settings.json_mode) == (60.0, 2048, True)


def test_every_variable_is_read() -> None:
    settings = Settings.from_env(
        {
            "PEEKA_LLM_BASE_URL": f" {URL} ",
            "PEEKA_LLM_MODEL": "qwen2.5:7b",
            "PEEKA_LLM_API_KEY": "sk-plain",
            "PEEKA_LLM_TIMEOUT": "2.5",
            "PEEKA_LLM_MAX_TOKENS": "512",
            "PEEKA_LLM_JSON_MODE": "Off",
        }
    )

    assert settings == Settings(URL, "qwen2.5:7b", "sk-plain", 2.5, 512, json_mode=False)
    assert settings.provider == "openai"
    assert "sk-plain" not in repr(settings)


def test_os_environ_is_read_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PEEKA_LLM_BASE_URL", URL)
    monkeypatch.setenv("PEEKA_LLM_MODEL", "llama3.1")

    assert Settings.from_env().base_url == URL


def test_key_file_wins_and_is_stripped(tmp_path: Path) -> None:
    key_file = tmp_path / "llm-key"
    key_file.write_text("sk-from-file\n", encoding="utf-8")

    settings = Settings.from_env(
        {"PEEKA_LLM_API_KEY": "sk-plain", "PEEKA_LLM_API_KEY_FILE": str(key_file)}
    )

    assert settings.api_key == "sk-from-file"


def test_missing_or_empty_key_file_is_a_config_error(tmp_path: Path) -> None:
    missing = config_error({"PEEKA_LLM_API_KEY_FILE": str(tmp_path / "absent")})
    assert "No such file" in missing.message

    empty = tmp_path / "empty"
    empty.write_text("  \n", encoding="utf-8")
    assert "empty" in config_error({"PEEKA_LLM_API_KEY_FILE": str(empty)}).message

    assert config_error({"PEEKA_LLM_API_KEY_FILE": str(tmp_path)}).code == "llm_config"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PEEKA_LLM_TIMEOUT", "abc"),
        ("PEEKA_LLM_TIMEOUT", "1,5"),
        ("PEEKA_LLM_TIMEOUT", "nan"),
        ("PEEKA_LLM_TIMEOUT", "inf"),
        ("PEEKA_LLM_TIMEOUT", "0"),
        ("PEEKA_LLM_TIMEOUT", "-3"),
        ("PEEKA_LLM_TIMEOUT", "601"),
        ("PEEKA_LLM_MAX_TOKENS", "1.5"),
        ("PEEKA_LLM_MAX_TOKENS", "many"),
        ("PEEKA_LLM_MAX_TOKENS", "8"),
        ("PEEKA_LLM_MAX_TOKENS", "100000"),
        ("PEEKA_LLM_JSON_MODE", "maybe"),
    ],
)
def test_malformed_numbers_and_switches(name: str, value: str) -> None:
    error = config_error({name: value})

    assert error.message.startswith(f"{name} must be")


@pytest.mark.parametrize(
    "url",
    [
        "localhost:11434/v1",
        "ftp://localhost/v1",
        "http://",
        "http://localhost:port/v1",
        "http://local host/v1",
        "http://localhost:11434/v1?key=1",
        "https://localhost/v1#top",
    ],
)
def test_bad_urls(url: str) -> None:
    error = config_error({"PEEKA_LLM_BASE_URL": url, "PEEKA_LLM_MODEL": "m"})

    assert "PEEKA_LLM_BASE_URL" in error.message


def test_a_base_url_needs_a_model() -> None:
    assert "PEEKA_LLM_MODEL" in config_error({"PEEKA_LLM_BASE_URL": URL}).message


def test_error_codes_are_the_documented_ones() -> None:
    assert LLMError("llm_timeout", "late").code == "llm_timeout"
    assert "llm_wrong_language" in ERROR_CODES
    with pytest.raises(ValueError, match="unknown LLM error code"):
        LLMError("timeout", "not one of ours")


def test_provider_for_picks_offline_without_a_base_url() -> None:
    settings = Settings()

    provider = provider_for(settings)

    assert isinstance(provider, OfflineProvider)
    assert provider.name == "offline" and provider.calls == []
    assert provider.settings is settings


def test_provider_for_picks_openai_with_a_base_url() -> None:
    settings = Settings(base_url=URL, model="qwen2.5:7b", json_mode=False)

    provider = provider_for(settings)

    assert isinstance(provider, OpenAIProvider)
    assert provider.name == "openai"
    assert provider.settings is settings


def test_each_provider_is_new() -> None:
    assert provider_for(Settings()) is not provider_for(Settings())


def test_the_registry_names_match_the_classes() -> None:
    assert set(PROVIDERS) == {"offline", "openai"}
    assert PROVIDERS["offline"].endswith(":OfflineProvider")
    assert PROVIDERS["openai"].endswith(":OpenAIProvider")


def test_choosing_offline_never_loads_the_openai_sdk() -> None:
    code = (
        "import sys\n"
        "from peeka.llm.base import Settings\n"
        "from peeka.llm.providers import provider_for\n"
        "provider_for(Settings())\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] in "
        "('openai', 'django', 'httpx2')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "[]"


def test_chunks_join_back_into_the_text() -> None:
    text = "[A]\n- one\n\n[B]\n- two\n\n[C]\nthree\n\n[D]\nfour\n"

    pieces = chunks(text, 3)

    assert 2 <= len(pieces) <= 3
    assert "".join(pieces) == text
    assert chunks("a single line", 3) == ["a single line"]


def test_offline_stream_yields_text_then_feedback() -> None:
    pytest.importorskip("peeka.llm.offline.rubric", reason="the offline rubric is not built yet")
    provider = provider_for(Settings())
    request = FeedbackRequest(
        question="팀 프로젝트에서 갈등을 해결한 경험을 말씀해 주십시오.",
        answer="저는 팀장으로서 매주 회의를 열어 의견을 조율했고, 일정을 2주 앞당겼습니다.",
        language="ko",
    )

    *texts, last = list(provider.feedback_stream(request))

    assert len(texts) >= 2 and all(isinstance(text, str) for text in texts)
    assert isinstance(last, Feedback)
    assert "".join(str(text) for text in texts).startswith("[장점]")
    [call] = provider.calls
    assert (call.provider, call.operation, call.ok) == ("offline", "feedback", True)
