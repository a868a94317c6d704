"""`peeka coach`: the interview coach from the command line — questions for a cover letter,
company and position, and feedback on an answer, from the deployment's LLM provider (an
OpenAI-compatible server where PEEKA_LLM_BASE_URL is set, else the offline default). The JSON
keys are a contract: `questions` → {"job", "personality", "provider"}; `feedback` →
{"strengths", "improvements", "suggestion", "scores", "follow_up", "provider"}."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from peeka.cli.output import EXIT_ERROR, EXIT_OK, Subparsers, emit

MAX_FILE_BYTES = 1024 * 1024


def add_parsers(sub: Subparsers) -> None:
    p = sub.add_parser("coach", help="the interview coach: questions and feedback")
    coach_sub = p.add_subparsers(required=True, metavar="ACTION")
    p = coach_sub.add_parser(
        "questions", help="3 job and 3 personality questions for a cover letter"
    )
    p.add_argument("--cover-letter", type=Path, required=True, help="a UTF-8 text file")
    p.add_argument("--company", required=True, help="a company name (its profile if kept)")
    p.add_argument("--position", required=True)
    p.add_argument("--lang", choices=["ko", "en", "zh-hans"], default="ko")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=questions)
    p = coach_sub.add_parser("feedback", help="feedback on an answer, with scores and follow-ups")
    p.add_argument("--question", required=True)
    p.add_argument("--answer-file", type=Path, required=True, help="a UTF-8 text file")
    p.add_argument("--company", default="")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=feedback)
    p = coach_sub.add_parser(
        "fetch-news", help="read every company's news feeds (run it from a scheduler)"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=fetch_news)


def _read(path: Path) -> str:
    from peeka.errors import PeekaError

    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise PeekaError(f"{path} is larger than 1 MB", code="file_too_large")
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PeekaError(f"cannot read {path}: {exc}", code="file_unreadable") from None


def _company(name: str) -> Any:
    """The company's profile where the database keeps one, else its name alone (the command
    also works before `peeka migrate`, without profiles)."""
    from django.db import DatabaseError

    from peeka.coach.selectors import company_profile
    from peeka.llm.types import Company

    try:
        return company_profile(name=name)
    except DatabaseError:
        print("peeka: no company profiles (run peeka migrate); using the name", file=sys.stderr)
        return Company(name=name.strip()[:200])


def _failed(args: argparse.Namespace, code: str, message: str) -> int:
    if args.json:
        print(json.dumps({"error": {"code": code, "message": message}}))
    else:
        print(f"peeka: {message} [{code}]", file=sys.stderr)
    return EXIT_ERROR


def questions(args: argparse.Namespace) -> int:
    from peeka.cli.web import setup

    setup()
    from peeka.coach.services import questions_generate
    from peeka.llm.base import LLMError

    try:
        asked = questions_generate(
            cover_letter=_read(args.cover_letter),
            company=_company(args.company),
            position=args.position,
            language=args.lang,
        )
    except LLMError as exc:
        return _failed(args, exc.code, exc.message)
    payload: dict[str, Any] = {
        "job": asked.questions.job,
        "personality": asked.questions.personality,
        "provider": asked.provider,
    }
    lines = ["Job questions:", *asked.questions.job, "Personality questions:"]
    lines += [*asked.questions.personality, f"(provider: {asked.provider})"]
    emit(args, payload, "\n".join(lines))
    return EXIT_OK


def feedback(args: argparse.Namespace) -> int:
    from peeka.cli.web import setup

    setup()
    from peeka.coach.services import feedback_give
    from peeka.llm.base import LLMError

    try:
        judged = feedback_give(
            question=args.question,
            answer=_read(args.answer_file),
            company=_company(args.company) if args.company.strip() else None,
        )
    except LLMError as exc:
        return _failed(args, exc.code, exc.message)
    result = judged.feedback
    payload: dict[str, Any] = {
        "strengths": result.strengths,
        "improvements": result.improvements,
        "suggestion": result.suggestion,
        "example": result.example,
        "scores": result.scores.model_dump(),
        "follow_up": result.follow_up,
        "provider": judged.provider,
    }
    text = [
        "[strengths] " + " / ".join(result.strengths or ["-"]),
        "[improvements] " + " / ".join(result.improvements),
        "[suggestion] " + result.suggestion,
        "scores: " + ", ".join(f"{k} {v:g}" for k, v in result.scores.model_dump().items()),
        "follow-up: " + " / ".join(result.follow_up or ["-"]),
        f"(provider: {judged.provider})",
    ]
    emit(args, payload, "\n".join(text))
    return EXIT_OK


def fetch_news(args: argparse.Namespace) -> int:
    from peeka.cli.web import setup

    setup()
    from peeka.coach.services import news_fetch

    done = news_fetch()
    payload = {
        "companies": done.companies,
        "feeds": done.feeds,
        "new": done.new,
        "failures": [
            {"company": f.company, "feed": f.feed, "error": f.error} for f in done.failures
        ],
    }
    lines = [f"{done.new} new headlines from {done.feeds} feeds of {done.companies} companies"]
    lines += [f"{f.company}: {f.feed}: {f.error}" for f in done.failures]
    emit(args, payload, "\n".join(lines))
    return (
        EXIT_ERROR
        if done.failures and not done.new and done.feeds == len(done.failures)
        else EXIT_OK
    )
