"""The offline provider's question bank: curated interview questions in Korean, English and
Simplified Chinese, and `choose_questions`, which picks three job and three personality
questions for a request by BM25 retrieval, without a model.

The bank (`questions.json`, shipped beside this module) is validated on first use. Job
questions are tagged with job families ("software", "marketing", ... and "general"),
personality questions with competencies ("teamwork", "conflict", ...); each family and
competency has aliases in the three languages, used to read a position ("백엔드 개발자" ->
software) or a company's talent profile (인재상 "도전" -> challenge).

    asked = choose_questions(QuestionRequest(...))

The cover letter is untrusted: it is only tokenized and counted, never interpreted, so an
instruction written in it is just more words. The same request always gives the same
questions; listing the previous ones in `exclude` gives new ones while the bank has them."""

from __future__ import annotations

import hashlib
import logging
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, model_validator

from peeka.llm.types import Language, QuestionKind, QuestionRequest, Questions

__all__ = [
    "GENERAL",
    "Bank",
    "BankQuestion",
    "bank_stats",
    "choose_questions",
    "infer_families",
    "load_bank",
    "talent_competencies",
    "tokenize",
]

LANGUAGES: tuple[Language, ...] = ("ko", "en", "zh-hans")
GENERAL = "general"
"""The job family of questions that fit any position; they fill in when a family is unknown."""
PICK = 3
"""Questions of each kind in an answer (the contract's `Questions`)."""
MAX_FAMILIES = 3
"""Job families read from one position at most ("데이터 엔지니어 / 백엔드" gives two)."""
QUERY_REPEAT_CAP = 3
"""A word repeated in a cover letter counts up to this many times: a theme the candidate
returns to weighs more, but pasting one word a hundred times does not take over the ranking."""
KEYWORD_WEIGHT = 2
"""A question's keywords are indexed this many times, as they name what the question is about."""
TALENT_BOOST = 0.6
"""Added to a personality question's normalized score (0..1) when its main competency is in
the company's talent profile; half of it when a secondary competency is."""

_ID = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"
_HANGUL = "\uac00-\ud7a3"
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAS_HANGUL = re.compile(f"[{_HANGUL}]")
_HAS_HAN = re.compile(f"[{_HAN}]")
_RUNS = re.compile(f"[{_HANGUL}]+|[{_HAN}]+|[a-z0-9]+(?:&[a-z0-9]+)*[+#]*")
_SPACES = re.compile(r"\s+")
_SEPARATORS = re.compile(r"[\s\-_/·.]+")
_SEPARATOR_PATTERN = r"[\s\-_/·.]*"

# Function words and the words every English question is made of ("tell me about a time"):
# matching them says nothing about what a candidate wrote.
_STOPWORD_TEXT = """
a about after again all also am an and any are as at be been before being both but by can could
did do does doing during each example for from further give had has have having he her here hers
him his how i if in into is it its itself just me more most my myself no nor not of off on once
only or other our ours out over own same she should so some such tell than that the their theirs
them then there these they this those through time to too under until up very was we were what
when where which while who whom why will with would you your yours
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


class Localized(BaseModel):
    """One text in each language, in the script each language is written in."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    ko: str = Field(min_length=1, max_length=400)
    en: str = Field(min_length=1, max_length=400)
    zh_hans: str = Field(min_length=1, max_length=400, alias="zh-hans")

    @model_validator(mode="after")
    def _scripts(self) -> Localized:
        if not _HAS_HANGUL.search(self.ko):
            raise ValueError(f"the Korean text has no Hangul: {self.ko!r}")
        if not _HAS_HAN.search(self.zh_hans):
            raise ValueError(f"the Chinese text has no Han characters: {self.zh_hans!r}")
        if _HAS_HANGUL.search(self.en) or _HAS_HAN.search(self.en):
            raise ValueError(f"the English text is not in English: {self.en!r}")
        return self

    def get(self, language: Language) -> str:
        return self.zh_hans if language == "zh-hans" else getattr(self, language)


class Terms(BaseModel):
    """A few terms in each language: a question's keywords, or a family's aliases."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    ko: tuple[str, ...]
    en: tuple[str, ...]
    zh_hans: tuple[str, ...] = Field(alias="zh-hans")

    @model_validator(mode="after")
    def _not_blank(self) -> Terms:
        if any(not term.strip() for term in self.every()):
            raise ValueError("a term is blank")
        return self

    def get(self, language: Language) -> tuple[str, ...]:
        return self.zh_hans if language == "zh-hans" else getattr(self, language)

    def every(self) -> tuple[str, ...]:
        return self.ko + self.en + self.zh_hans


class Group(BaseModel):
    """A job family or a competency: its name and the words that point to it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    names: Localized
    aliases: Terms


class BankQuestion(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=_ID, max_length=60)
    """Stable: a regenerate may name it, and tests do."""
    kind: QuestionKind
    topic: str = Field(pattern=_ID, max_length=60)
    """What the question asks about; two questions on one topic are not asked together."""
    families: tuple[str, ...] = ()
    """Job questions: the job families it fits, "general" for any position."""
    competencies: tuple[str, ...] = ()
    """Personality questions: the competencies it probes, the main one first."""
    text: Localized
    keywords: Terms

    @model_validator(mode="after")
    def _tags(self) -> BankQuestion:
        if self.kind == "job" and (not self.families or self.competencies):
            raise ValueError(f"{self.id}: a job question has families and no competencies")
        if self.kind == "personality" and (not self.competencies or self.families):
            raise ValueError(f"{self.id}: a personality question has competencies, no families")
        if not all(self.keywords.get(language) for language in LANGUAGES):
            raise ValueError(f"{self.id}: keywords are missing in a language")
        return self


class Bank(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Literal[1]
    families: dict[str, Group]
    competencies: dict[str, Group]
    questions: tuple[BankQuestion, ...]

    @model_validator(mode="after")
    def _consistent(self) -> Bank:
        if GENERAL not in self.families:
            raise ValueError(f'the families lack "{GENERAL}"')
        ids = Counter(question.id for question in self.questions)
        texts = Counter(
            _normalized(text) for question in self.questions for text in _texts(question)
        )
        problems = [f"duplicate id {key}" for key, n in ids.items() if n > 1]
        problems += [f"duplicate text {key!r}" for key, n in texts.items() if n > 1]
        for question in self.questions:
            unknown = [f for f in question.families if f not in self.families]
            unknown += [c for c in question.competencies if c not in self.competencies]
            problems += [f"{question.id}: unknown tag {tag}" for tag in unknown]
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _texts(question: BankQuestion) -> tuple[str, ...]:
    return tuple(question.text.get(language) for language in LANGUAGES)


def _normalized(text: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip().lower()


@cache
def load_bank() -> Bank:
    """The bank shipped with the package, read and validated once per process."""
    source = resources.files("peeka.llm.offline").joinpath("questions.json")
    return Bank.model_validate_json(source.read_bytes())


def tokenize(text: str, language: Language) -> list[str]:
    """Words for BM25: Korean and Chinese as character bigrams (a lone character as itself),
    Latin words and numbers whole; in English, lowercased words minus stopwords, plurals
    folded ("conflicts" -> "conflict"). Everything else (punctuation, emoji) is dropped."""
    tokens: list[str] = []
    for run in _RUNS.findall(unicodedata.normalize("NFKC", text).lower()):
        if run[0].isascii():
            if language == "en":
                if run in _STOPWORDS:
                    continue
                run = _singular(run)
            tokens.append(run)
        elif len(run) == 1:
            tokens.append(run)
        else:
            tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
    return tokens


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


# Reading positions and talent profiles through the aliases.


@dataclass(frozen=True)
class _Matcher:
    patterns: tuple[tuple[str, re.Pattern[str]], ...]
    """(group key, one pattern matching any of its aliases, longest alias first)."""

    def counts(self, text: str) -> Counter[str]:
        """How many times each group is named in `text`. Where aliases of several groups
        overlap, the longest wins: "사업개발" is business development, not "개발" software."""
        normalized = unicodedata.normalize("NFKC", text).lower()
        found = [
            (match.start(), match.end(), key)
            for key, pattern in self.patterns
            for match in pattern.finditer(normalized)
        ]
        found.sort(key=lambda span: (span[0] - span[1], span[0], span[2]))
        taken: list[tuple[int, int]] = []
        counts: Counter[str] = Counter()
        for start, end, key in found:
            if any(start < other_end and other_start < end for other_start, other_end in taken):
                continue
            taken.append((start, end))
            counts[key] += 1
        return counts


def _alias_pattern(alias: str) -> str:
    """A pattern that finds `alias` with or without its spaces or hyphens ("서버 개발" finds
    "서버개발", "back end" finds "back-end"), and Latin words only whole ("ai" is not in
    "said")."""
    text = unicodedata.normalize("NFKC", alias).lower().strip()
    parts = [part for part in _SEPARATORS.split(text) if part]
    pieces: list[str] = []
    for part in parts:
        chars: list[str] = []
        for i, char in enumerate(part):
            if i and not (char.isascii() and part[i - 1].isascii()):
                chars.append(r"\s*")
            chars.append(re.escape(char))
        pieces.append("".join(chars))
    body = _SEPARATOR_PATTERN.join(pieces)
    if text[0].isascii() and text[0].isalnum():
        body = r"(?<![a-z0-9])" + body
    if text[-1].isascii() and text[-1].isalnum():
        body += r"(?![a-z0-9])"
    return body


def _matcher(groups: Mapping[str, Group]) -> _Matcher:
    patterns = []
    for key, group in groups.items():
        aliases = sorted(set(group.aliases.every()), key=lambda alias: (-len(alias), alias))
        if aliases:
            alternation = "|".join(f"(?:{_alias_pattern(alias)})" for alias in aliases)
            patterns.append((key, re.compile(alternation)))
    return _Matcher(tuple(patterns))


@cache
def _family_matcher() -> _Matcher:
    return _matcher(load_bank().families)


@cache
def _competency_matcher() -> _Matcher:
    return _matcher(load_bank().competencies)


def infer_families(request: QuestionRequest) -> tuple[str, ...]:
    """The job families a request is about, most named first: from the position, or, when the
    position names none, from the company's description and open positions (the families
    named most there). Empty when nothing is recognized: the "general" questions answer."""
    matcher = _family_matcher()
    counts = matcher.counts(request.position)
    if not counts:
        company = request.company
        counts = matcher.counts("\n".join([company.description, *company.positions]))
        if counts:
            most = max(counts.values())
            counts = Counter({key: n for key, n in counts.items() if n == most})
    return tuple(sorted(counts, key=lambda key: (-counts[key], key))[:MAX_FAMILIES])


def talent_competencies(talent: Iterable[str]) -> frozenset[str]:
    """The competencies a company's talent profile (인재상) names: "도전" -> challenge,
    "Customer obsession" -> customer, "团队协作" -> teamwork."""
    return frozenset(_competency_matcher().counts("\n".join(talent)))


# Retrieval.


@dataclass(frozen=True)
class _Index:
    questions: tuple[BankQuestion, ...]
    retriever: Any  # bm25s.BM25, untyped
    vocabulary: frozenset[str]

    def scores(self, tokens: Sequence[str]) -> npt.NDArray[np.float64]:
        known = [token for token in tokens if token in self.vocabulary]
        if not known:
            return np.zeros(len(self.questions), dtype=np.float64)
        return np.asarray(self.retriever.get_scores(known), dtype=np.float64)


@cache
def _index(language: Language, kind: QuestionKind) -> _Index:
    """One BM25 index per (language, kind) over the questions' text and keywords in that
    language, built on first use and kept for the life of the process."""
    bank = load_bank()
    questions = tuple(question for question in bank.questions if question.kind == kind)
    corpus = [_document(bank, question, language) for question in questions]
    # Imported here, not at the top: bm25s pulls in jax when it is installed (half a second),
    # which a process that never asks for questions should not pay.
    import bm25s

    # bm25s sets its own logger to DEBUG on import; let the deployment's logging decide.
    logging.getLogger("bm25s").setLevel(logging.NOTSET)
    retriever = bm25s.BM25()
    retriever.index(corpus, show_progress=False)
    vocabulary = frozenset(token for document in corpus for token in document)
    return _Index(questions, retriever, vocabulary)


def _document(bank: Bank, question: BankQuestion, language: Language) -> list[str]:
    """What BM25 indexes for a question: its text, its keywords (weighted), and the aliases of
    its competencies, so a cover letter that speaks of "도전" reaches every challenge question."""
    aliases = [
        alias
        for competency in question.competencies
        for alias in bank.competencies[competency].aliases.get(language)
    ]
    return (
        tokenize(question.text.get(language), language)
        + tokenize(" ".join(question.keywords.get(language)), language) * KEYWORD_WEIGHT
        + tokenize(" ".join(aliases), language)
    )


def _written_in(text: str, default: Language) -> Language:
    """The language `text` is mostly written in, judged by script (Hangul, Han, Latin), or
    `default` when it is empty or mixed. A Korean cover letter for an English interview is
    still matched against the Korean wording of the questions, which is where its words are."""
    hangul = len(_HAS_HANGUL.findall(text))
    han = len(_HAS_HAN.findall(text))
    latin = sum(char.isascii() and char.isalpha() for char in text)
    # A Hangul or Han character carries about as much as a Latin word of five letters.
    weights: dict[Language, float] = {"ko": hangul * 5, "zh-hans": han * 5, "en": latin}
    total = sum(weights.values())
    if not total or weights[default] >= total / 3:
        return default
    return max(LANGUAGES, key=lambda language: weights[language])


def _query(text: str, language: Language) -> list[str]:
    counts = Counter(tokenize(text, language))
    return [token for token, n in counts.items() for _ in range(min(n, QUERY_REPEAT_CAP))]


def _tiebreak(request: QuestionRequest) -> Callable[[BankQuestion], bytes]:
    """An order for questions that score the same (an empty cover letter scores all of them
    0): stable for a request, different between candidates, so two candidates with nothing
    to go on are not asked the same three questions."""
    parts = [request.company.name, request.position, request.cover_letter, request.language]
    seed = hashlib.blake2b("\x00".join(parts).encode(), digest_size=16).digest()

    def key(question: BankQuestion) -> bytes:
        return hashlib.blake2b(seed + question.id.encode(), digest_size=8).digest()

    return key


def _excluded_ids(exclude: Iterable[str]) -> frozenset[str]:
    """The questions named in `exclude`, by id or by their text in any language (a candidate
    who switches language and asks again still gets new questions)."""
    by_text = _ids_by_text()
    ids: set[str] = set()
    for entry in exclude:
        key = _normalized(entry)
        ids.add(by_text.get(key, key))
    return frozenset(ids)


@cache
def _ids_by_text() -> dict[str, str]:
    return {
        _normalized(text): question.id
        for question in load_bank().questions
        for text in _texts(question)
    }


Rule = Callable[[BankQuestion, list[BankQuestion]], bool]


def _select(
    ranked: Sequence[BankQuestion], excluded: frozenset[str], rules: Sequence[Rule]
) -> list[BankQuestion]:
    """The first PICK of `ranked` not excluded and passing every rule; when too few do, the
    rules are dropped from the last (the least important) on, and only then do excluded
    questions come back."""
    chosen: list[BankQuestion] = []
    for keep in range(len(rules), -1, -1):
        active = rules[:keep]
        for question in ranked:
            if len(chosen) == PICK:
                return chosen
            if question.id in excluded or any(question.id == other.id for other in chosen):
                continue
            if all(rule(question, chosen) for rule in active):
                chosen.append(question)
    for question in ranked:
        if len(chosen) == PICK:
            break
        if all(question.id != other.id for other in chosen):
            chosen.append(question)
    return chosen


def _distinct_topic(question: BankQuestion, chosen: list[BankQuestion]) -> bool:
    return all(question.topic != other.topic for other in chosen)


def _choose_job(request: QuestionRequest, excluded: frozenset[str]) -> list[BankQuestion]:
    language = request.language
    families = infer_families(request)
    company = request.company
    text = "\n".join([request.position, company.description, *company.talent])
    written_in = _written_in(text, language)
    index = _index(written_in, "job")
    scores = index.scores(_query(text, written_in))
    tiebreak = _tiebreak(request)

    def tier(question: BankQuestion) -> int:
        if families and set(question.families) & set(families):
            return 0
        return 1 if GENERAL in question.families else 2

    order = sorted(
        range(len(index.questions)),
        key=lambda i: (tier(index.questions[i]), -scores[i], tiebreak(index.questions[i])),
    )
    ranked = [index.questions[i] for i in order]
    cap = math.ceil(PICK / len(families)) if len(families) > 1 else PICK

    def family_of(question: BankQuestion) -> str:
        return next((f for f in question.families if f in families), question.families[0])

    def within_cap(question: BankQuestion, chosen: list[BankQuestion]) -> bool:
        family = family_of(question)
        return sum(family_of(other) == family for other in chosen) < cap

    def no_shared_keyword(question: BankQuestion, chosen: list[BankQuestion]) -> bool:
        mine = {_normalized(k) for k in question.keywords.get(language)}
        return all(
            mine.isdisjoint(_normalized(k) for k in other.keywords.get(language))
            for other in chosen
        )

    return _select(ranked, excluded, [_distinct_topic, within_cap, no_shared_keyword])


def _choose_personality(request: QuestionRequest, excluded: frozenset[str]) -> list[BankQuestion]:
    written_in = _written_in(request.cover_letter, request.language)
    index = _index(written_in, "personality")
    scores = index.scores(_query(request.cover_letter, written_in))
    top = float(scores.max(initial=0.0))
    relevance = scores / top if top > 0 else scores
    wanted = talent_competencies(request.company.talent)
    tiebreak = _tiebreak(request)

    def boost(question: BankQuestion) -> float:
        main, *others = question.competencies
        if main in wanted:
            return TALENT_BOOST
        return TALENT_BOOST / 2 if wanted.intersection(others) else 0.0

    order = sorted(
        range(len(index.questions)),
        key=lambda i: (-(relevance[i] + boost(index.questions[i])), tiebreak(index.questions[i])),
    )
    ranked = [index.questions[i] for i in order]

    def new_competency(question: BankQuestion, chosen: list[BankQuestion]) -> bool:
        return all(question.competencies[0] != other.competencies[0] for other in chosen)

    return _select(ranked, excluded, [new_competency, _distinct_topic])


def choose_questions(request: QuestionRequest) -> Questions:
    """Three job questions for the position and company, three personality questions for the
    cover letter and the company's talent profile, in `request.language`.

    Job questions come from the families the position names (the best BM25 matches against
    position, company description and talent first), then "general" ones; no two on one
    topic. Personality questions are the best BM25 matches against the cover letter, raised
    when they probe a competency of the company's 인재상, from three different competencies.
    Questions in `request.exclude` are skipped while others remain. Texts are matched in the
    request's language, or in the one they are mostly written in when that differs (a Korean
    letter for an English interview); the questions come back in `request.language`."""
    excluded = _excluded_ids(request.exclude)
    job = _choose_job(request, excluded)
    personality = _choose_personality(request, excluded)
    return Questions(
        job=[question.text.get(request.language) for question in job],
        personality=[question.text.get(request.language) for question in personality],
    )


def bank_stats() -> dict[str, Any]:
    """What the bank holds: questions per kind, job family, competency and language, and the
    alias count per family (for the tests and the README)."""
    bank = load_bank()
    questions = bank.questions
    return {
        "questions": len(questions),
        "kinds": dict(Counter(question.kind for question in questions)),
        "families": {
            family: sum(family in question.families for question in questions)
            for family in bank.families
        },
        "competencies": {
            competency: sum(competency in question.competencies for question in questions)
            for competency in bank.competencies
        },
        "main_competencies": {
            competency: sum(question.competencies[:1] == (competency,) for question in questions)
            for competency in bank.competencies
        },
        "languages": {
            language: sum(bool(question.text.get(language).strip()) for question in questions)
            for language in LANGUAGES
        },
        "aliases": {family: len(group.aliases.every()) for family, group in bank.families.items()},
    }
