"""What goes in and out of a provider: pydantic models, validated on every answer (an LLM that
drops a field or writes prose instead of JSON is caught here, never in a page)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Language = Literal["ko", "en", "zh-hans"]
QuestionKind = Literal["job", "personality"]
CRITERIA = ("star", "relevance", "specificity", "fit", "tone")
"""The rubric: STAR structure, relevance to the question, specificity (numbers, named actions,
results), fit with the company's talent profile (인재상), and tone (polite register in Korean;
no filler)."""
MAX_ANSWER = 1000
"""Characters of an answer that are judged (IPro's limit); a longer one is judged on these."""
MAX_SUGGESTION = 300


class Company(BaseModel):
    """What a provider knows of a company: never more than staff wrote on its profile."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(max_length=200)
    talent: list[str] = Field(default_factory=list, max_length=20)
    """The company's 인재상: the qualities it looks for ("도전", "customer focus", ...)."""
    description: str = Field(default="", max_length=4000)
    positions: list[str] = Field(default_factory=list, max_length=50)


class QuestionRequest(BaseModel):
    cover_letter: str = Field(max_length=20000)
    """Untrusted: the candidate's own text. A provider treats it as data, never as orders."""
    company: Company
    position: str = Field(max_length=200)
    language: Language = "ko"
    exclude: list[str] = Field(default_factory=list, max_length=100)
    """Questions asked before (a "regenerate" asks for others)."""


class Questions(BaseModel):
    job: list[str] = Field(min_length=3, max_length=3)
    """Three questions on the job, from the company and the position."""
    personality: list[str] = Field(min_length=3, max_length=3)
    """Three questions on the person, from the cover letter."""


class FeedbackRequest(BaseModel):
    question: str = Field(max_length=1000)
    answer: str = Field(max_length=100_000)
    """Untrusted; only its first MAX_ANSWER characters are judged."""
    kind: QuestionKind | None = None
    company: Company | None = None
    language: Language = "ko"


class Scores(BaseModel):
    """Each criterion from 0 (absent) to 5 (excellent)."""

    star: float = Field(ge=0, le=5)
    relevance: float = Field(ge=0, le=5)
    specificity: float = Field(ge=0, le=5)
    fit: float = Field(ge=0, le=5)
    tone: float = Field(ge=0, le=5)


class Feedback(BaseModel):
    """IPro's three parts — [장점] strengths, [개선점] improvements, [구체적인 제안] a
    suggestion — with an example rewrite, a score per criterion and follow-up questions."""

    strengths: list[str] = Field(max_length=5)
    """Empty for a lazy answer: nothing is praised that is not there."""
    improvements: list[str] = Field(min_length=1, max_length=5)
    suggestion: str = Field(min_length=1, max_length=MAX_SUGGESTION)
    example: str = Field(default="", max_length=1500)
    """A corrected example answer."""
    scores: Scores
    follow_up: list[str] = Field(default_factory=list, max_length=3)
    """Questions an interviewer would ask next, given this answer."""
