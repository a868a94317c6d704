"""Prompts for OpenAI-compatible models, from versioned templates per language.

Templates live in `peeka/llm/prompts/<name>.<version>.<language>.txt` ("questions.v1.ko.txt"),
split into sections by lines such as `[system]` and `[user]`, with `$placeholders` filled by
`string.Template`. A new wording is a new version (v2) next to the old one, so a `Call` names
exactly the text a model was given.

Everything the candidate wrote goes between explicit delimiters (`DELIMITERS`), and the system
prompt says it is data, never instructions; the delimiters' own markers are neutralised inside
that text (`untrusted`) so a letter cannot close its block early. Everything a model writes is
plain text: this module only builds strings and never executes, fetches or renders them."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources
from string import Template

from peeka.llm.types import (
    MAX_ANSWER,
    MAX_SUGGESTION,
    Company,
    Feedback,
    FeedbackRequest,
    Language,
    QuestionRequest,
    Questions,
)

PROMPT_VERSION = "v1"
LANGUAGES: tuple[Language, ...] = ("ko", "en", "zh-hans")
LANGUAGE_NAMES: dict[Language, str] = {"ko": "Korean", "en": "English", "zh-hans": "Chinese"}

DELIMITERS: dict[str, tuple[str, str]] = {
    "cover_letter": ("<<<COVER_LETTER>>>", "<<<END_COVER_LETTER>>>"),
    "answer": ("<<<ANSWER>>>", "<<<END_ANSWER>>>"),
    "question": ("<<<QUESTION>>>", "<<<END_QUESTION>>>"),
    "company": ("<<<COMPANY>>>", "<<<END_COMPANY>>>"),
}
"""Markers around data in a user message (the templates spell them out too)."""

MIN_LANGUAGE_SHARE = 0.5
"""The share of a text, in script units, that must be in the requested language's script."""

_SECTION = re.compile(r"^\[([a-z_]+)\]$")


@dataclass(frozen=True)
class Prompt:
    """A rendered prompt: `version` is recorded in each `Call` ("questions.v1.ko")."""

    version: str
    system: str
    user: str


def template_name(name: str, language: Language, version: str = PROMPT_VERSION) -> str:
    return f"{name}.{version}.{language}"


@functools.cache
def sections(name: str, language: Language, version: str = PROMPT_VERSION) -> dict[str, str]:
    """The sections of one template file, each stripped of surrounding blank lines."""
    path = (
        resources.files("peeka.llm") / "prompts" / f"{template_name(name, language, version)}.txt"
    )
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        header = _SECTION.match(line.strip())
        if header:
            current = found.setdefault(header.group(1), [])
        elif current is not None:
            current.append(line)
    return {key: "\n".join(lines).strip("\n") for key, lines in found.items()}


def _fill(text: str, values: dict[str, str]) -> str:
    return Template(text).substitute(values)


def untrusted(text: str) -> str:
    """Text from a candidate (or anyone but us) made safe to put between delimiters: no marker
    of ours can appear in it, so it cannot end its block and speak as the prompt."""
    return text.replace("<<<", "\u2039" * 3).replace(">>>", "\u203a" * 3).strip()


def schema_text(model: type[Questions] | type[Feedback]) -> str:
    return json.dumps(model.model_json_schema(), ensure_ascii=False, separators=(",", ":"))


def _company_block(company: Company | None, words: dict[str, str]) -> str:
    start, end = DELIMITERS["company"]
    if company is None:
        return f"{start}\n{words['none']}\n{end}"
    body = _fill(
        words["company"],
        {
            "name": untrusted(company.name),
            "talent": untrusted(", ".join(company.talent)) or words["none"],
            "description": untrusted(company.description) or words["none"],
        },
    )
    return f"{start}\n{body}\n{end}"


def questions_prompt(request: QuestionRequest, version: str = PROMPT_VERSION) -> Prompt:
    """The prompt asking for three job and three personality questions in the request's
    language, the cover letter between `<<<COVER_LETTER>>>` markers."""
    words = sections("questions", request.language, version)
    exclude = "\n".join(f"- {untrusted(question)}" for question in request.exclude)
    values = {
        "schema": schema_text(Questions),
        "company": _company_block(request.company, words),
        "position": untrusted(request.position) or words["none"],
        "exclude": exclude or words["none"],
        "cover_letter": untrusted(request.cover_letter),
    }
    return Prompt(
        version=template_name("questions", request.language, version),
        system=_fill(words["system"], values),
        user=_fill(words["user"], values),
    )


def feedback_prompt(request: FeedbackRequest, version: str = PROMPT_VERSION) -> Prompt:
    """The prompt asking for rubric feedback on the first `MAX_ANSWER` characters of the
    answer, written between `<<<ANSWER>>>` markers."""
    words = sections("feedback", request.language, version)
    values = {
        "schema": schema_text(Feedback),
        "max_suggestion": str(MAX_SUGGESTION),
        "max_answer": str(MAX_ANSWER),
        "company": _company_block(request.company, words),
        "kind": words[request.kind] if request.kind else words["none"],
        "question": untrusted(request.question),
        "answer": untrusted(request.answer[:MAX_ANSWER]),
    }
    return Prompt(
        version=template_name("feedback", request.language, version),
        system=_fill(words["system"], values),
        user=_fill(words["user"], values),
    )


def repair_prompt(
    language: Language,
    *,
    errors: list[str] | None = None,
    wrong_language: bool = False,
    version: str = PROMPT_VERSION,
) -> tuple[str, str]:
    """(version, message) asking a model to correct its previous reply: the validation errors
    (locations and messages only, never the values), or a note that it used the wrong
    language."""
    words = sections("repair", language, version)
    if wrong_language:
        text = words["wrong_language"]
    else:
        listed = "\n".join(f"- {error}" for error in (errors or [])) or "- ?"
        text = _fill(words["malformed"], {"errors": listed})
    return template_name("repair", language, version), text


# --- Scripts ---------------------------------------------------------------------------------


def _script(character: str) -> str | None:
    code = ord(character)
    if 0xAC00 <= code <= 0xD7A3 or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F:
        return "hangul"
    if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF:
        return "han"
    if 0x3040 <= code <= 0x30FF:
        return "kana"
    if character.isalpha():
        return "latin" if code < 0x0250 or 0x1E00 <= code <= 0x1EFF else "other"
    return None


def script_units(text: str) -> dict[str, int]:
    """Units of text per script: a Hangul syllable, a Han character or a kana is one unit; a
    word in an alphabet (Latin or other) is one unit, so "Python과 Django로" is mostly Korean
    by content, as a reader would say, though most of its letters are Latin."""
    units = {"hangul": 0, "han": 0, "kana": 0, "latin": 0, "other": 0}
    previous: str | None = None
    for character in text:
        script = _script(character)
        if script is not None and not (script in ("latin", "other") and script == previous):
            units[script] += 1
        previous = script
    return units


_TARGET_SCRIPT: dict[Language, str] = {"ko": "hangul", "zh-hans": "han", "en": "latin"}


def language_share(text: str, language: Language) -> float:
    """The share of `text`'s script units written in `language`'s script (1.0 with none)."""
    units = script_units(text)
    total = sum(units.values())
    return units[_TARGET_SCRIPT[language]] / total if total else 1.0


def in_language(text: str, language: Language) -> bool:
    """Whether `text` is mostly written in `language` (Hangul, Han or Latin script)."""
    return language_share(text, language) >= MIN_LANGUAGE_SHARE


# --- Plain text for people -------------------------------------------------------------------

_HEADINGS: dict[Language, tuple[str, str, str, str, str, str]] = {
    "ko": ("장점", "개선점", "구체적인 제안", "예시 답변", "예상 꼬리 질문", "없음"),
    "en": (
        "Strengths",
        "Improvements",
        "Suggestion",
        "Example answer",
        "Follow-up questions",
        "None",
    ),
    "zh-hans": ("优点", "改进点", "具体建议", "示例回答", "可能的追问", "无"),
}


def feedback_text(feedback: Feedback, language: Language) -> str:
    """Feedback as plain text in IPro's three parts ([장점] [개선점] [구체적인 제안]), then the
    example answer and the follow-up questions. Plain text: a page escapes it."""
    strengths, improvements, suggestion, example, follow_up, none = _HEADINGS[language]

    def bullets(items: list[str]) -> str:
        return "\n".join(f"- {item}" for item in items) or f"- ({none})"

    parts = [
        f"[{strengths}]\n{bullets(feedback.strengths)}",
        f"[{improvements}]\n{bullets(feedback.improvements)}",
        f"[{suggestion}]\n{feedback.suggestion}",
    ]
    if feedback.example:
        parts.append(f"[{example}]\n{feedback.example}")
    if feedback.follow_up:
        parts.append(f"[{follow_up}]\n{bullets(feedback.follow_up)}")
    return "\n\n".join(parts) + "\n"
