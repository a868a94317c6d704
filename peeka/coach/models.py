"""The interview coach's data. Companies: a profile staff keep (information, 인재상 — the
qualities the company looks for —, SWOT, open positions, news feeds), which questions and
feedback are tied to."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy


class Company(models.Model):
    name = models.CharField(gettext_lazy("name"), max_length=200, unique=True)
    description = models.TextField(gettext_lazy("information"), blank=True, max_length=4000)
    talent = models.JSONField(gettext_lazy("talent profile (인재상)"), default=list, blank=True)
    """The qualities the company looks for, as short phrases ("도전", "customer focus")."""
    strengths = models.TextField(gettext_lazy("strengths"), blank=True, max_length=2000)
    weaknesses = models.TextField(gettext_lazy("weaknesses"), blank=True, max_length=2000)
    opportunities = models.TextField(gettext_lazy("opportunities"), blank=True, max_length=2000)
    threats = models.TextField(gettext_lazy("threats"), blank=True, max_length=2000)
    positions = models.JSONField(gettext_lazy("open positions"), default=list, blank=True)
    feeds = models.JSONField(
        gettext_lazy("news feeds (RSS or Atom URLs)"), default=list, blank=True
    )
    updated = models.DateTimeField(gettext_lazy("updated"), auto_now=True)

    class Meta:
        verbose_name = gettext_lazy("company")
        verbose_name_plural = gettext_lazy("companies")
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class NewsItem(models.Model):
    """A headline about a company from one of its feeds (collected by `peeka coach
    fetch-news`); only the title, link, date and a short summary as text are kept."""

    company = models.ForeignKey(
        Company, verbose_name=gettext_lazy("company"), on_delete=models.CASCADE, related_name="news"
    )
    title = models.CharField(gettext_lazy("title"), max_length=300)
    link = models.URLField(gettext_lazy("link"), max_length=1000)
    summary = models.TextField(gettext_lazy("summary"), blank=True, max_length=1000)
    published = models.DateTimeField(gettext_lazy("published"), null=True, blank=True)
    source = models.CharField(gettext_lazy("source"), max_length=200, blank=True)
    fetched = models.DateTimeField(gettext_lazy("fetched"), auto_now_add=True)

    class Meta:
        verbose_name = gettext_lazy("news item")
        verbose_name_plural = gettext_lazy("news")
        ordering = ("-published", "-pk")
        constraints = [models.UniqueConstraint(fields=["company", "link"], name="coach_news_once")]

    def __str__(self) -> str:
        return self.title


# --- Interview reviews (IPro's 면접 후기 board) ------------------------------------------------
# What candidates tell each other about an interview: the company, the position, the outcome,
# when, the mood in the room, the questions asked and their answers, what they regret and their
# advice. Reviews are anonymous to readers (only staff see the author, in the admin); readers
# report abuse, and REPORTS_TO_HIDE open reports hide a review until staff restore it.

REVIEW_YEAR_MIN = 2000
REVIEW_YEAR_MAX = 2100
REVIEW_ITEMS_MAX = 10
REPORTS_TO_HIDE = 3
POSITION_MAX = 100
NOTE_MAX = 1000
TEXT_MAX = 3000
QUESTION_MAX = 300
ANSWER_MAX = 3000
REASON_MAX = 500


class InterviewResult(models.TextChoices):
    # Translators: the outcome of a job interview (합격)
    PASSED = "passed", pgettext_lazy("interview result", "Passed")
    # Translators: the outcome of a job interview (불합격)
    FAILED = "failed", pgettext_lazy("interview result", "Failed")
    # Translators: the outcome of a job interview not known yet (대기)
    WAITING = "waiting", pgettext_lazy("interview result", "Waiting")


class Half(models.IntegerChoices):
    # Translators: the first half of a year, as in Korean hiring seasons (상반기)
    FIRST = 1, gettext_lazy("First half")
    # Translators: the second half of a year, as in Korean hiring seasons (하반기)
    SECOND = 2, gettext_lazy("Second half")


class Atmosphere(models.TextChoices):
    # Translators: the mood of a job interview
    FRIENDLY = "friendly", pgettext_lazy("interview atmosphere", "Friendly")
    # Translators: the mood of a job interview
    NEUTRAL = "neutral", pgettext_lazy("interview atmosphere", "Neutral")
    # Translators: the mood of a job interview
    TENSE = "tense", pgettext_lazy("interview atmosphere", "Tense")


class Review(models.Model):
    """One candidate's account of one interview. `view_count` only grows, by F() (so readers
    at once never lose a count); `hidden` is set by the third open report or by staff."""

    company = models.ForeignKey(
        Company,
        verbose_name=gettext_lazy("company"),
        on_delete=models.PROTECT,  # staff delete a company's reviews first, knowingly
        related_name="reviews",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=gettext_lazy("author"),
        on_delete=models.CASCADE,  # deleting an account deletes what it wrote
        related_name="+",
    )
    position = models.CharField(
        pgettext_lazy("job applied for", "position"), max_length=POSITION_MAX
    )
    result = models.CharField(
        pgettext_lazy("interview", "result"), max_length=8, choices=InterviewResult.choices
    )
    year = models.PositiveSmallIntegerField(
        gettext_lazy("year"),
        validators=[MinValueValidator(REVIEW_YEAR_MIN), MaxValueValidator(REVIEW_YEAR_MAX)],
    )
    half = models.PositiveSmallIntegerField(
        pgettext_lazy("half of a year", "half"), choices=Half.choices
    )
    atmosphere = models.CharField(
        gettext_lazy("atmosphere"), max_length=8, choices=Atmosphere.choices
    )
    atmosphere_note = models.TextField(
        gettext_lazy("about the atmosphere"),
        blank=True,
        max_length=NOTE_MAX,
        validators=[MaxLengthValidator(NOTE_MAX)],
    )
    regrets = models.TextField(
        gettext_lazy("regrets"), max_length=TEXT_MAX, validators=[MaxLengthValidator(TEXT_MAX)]
    )
    advice = models.TextField(
        gettext_lazy("advice"), max_length=TEXT_MAX, validators=[MaxLengthValidator(TEXT_MAX)]
    )
    view_count = models.PositiveIntegerField(gettext_lazy("views"), default=0)
    hidden = models.BooleanField(
        gettext_lazy("hidden"),
        default=False,
        help_text=gettext_lazy("Hidden reviews are seen by staff only."),
    )
    created = models.DateTimeField(gettext_lazy("written at"), auto_now_add=True, db_index=True)
    updated = models.DateTimeField(gettext_lazy("changed"), auto_now=True)

    class Meta:
        # Translators: a candidate's account of a job interview (면접 후기)
        verbose_name = gettext_lazy("interview review")
        verbose_name_plural = gettext_lazy("interview reviews")
        ordering = ("-created", "-pk")
        indexes = [models.Index(fields=["hidden", "-view_count"], name="coach_review_popular")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(year__gte=REVIEW_YEAR_MIN, year__lte=REVIEW_YEAR_MAX),
                name="coach_review_year_range",
            ),
            models.CheckConstraint(
                condition=models.Q(half__in=Half.values), name="coach_review_half"
            ),
            models.CheckConstraint(
                condition=models.Q(result__in=InterviewResult.values), name="coach_review_result"
            ),
            models.CheckConstraint(
                condition=models.Q(atmosphere__in=Atmosphere.values),
                name="coach_review_atmosphere",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company} · {self.position} · {self.period}"

    @property
    def period(self) -> str:
        """The hiring season in the active language: "2024 H1", "2024 상반기", "2024 上半年"."""
        if self.half == Half.SECOND:
            # Translators: a hiring season, the second half of a year: "2024 H2" (하반기, 下半年)
            return gettext("%(year)d H2") % {"year": self.year}
        # Translators: a hiring season, the first half of a year: "2024 H1" (상반기, 上半年)
        return gettext("%(year)d H1") % {"year": self.year}


class ReviewItem(models.Model):
    """A question the interviewers asked and the answer given, in the review's order."""

    review = models.ForeignKey(
        Review, verbose_name=gettext_lazy("review"), on_delete=models.CASCADE, related_name="items"
    )
    order = models.PositiveSmallIntegerField(gettext_lazy("order"))
    question = models.TextField(
        gettext_lazy("question"),
        max_length=QUESTION_MAX,
        validators=[MaxLengthValidator(QUESTION_MAX)],
    )
    answer = models.TextField(
        gettext_lazy("answer"), max_length=ANSWER_MAX, validators=[MaxLengthValidator(ANSWER_MAX)]
    )

    class Meta:
        verbose_name = gettext_lazy("question and answer")
        verbose_name_plural = gettext_lazy("questions and answers")
        ordering = ("order", "pk")
        constraints = [
            models.UniqueConstraint(fields=["review", "order"], name="coach_review_item_order")
        ]

    def __str__(self) -> str:
        return self.question[:80]


class ReviewReport(models.Model):
    """A reader's report of a review (one per reader and review). Open reports count towards
    hiding it; staff restoring the review dismiss them."""

    review = models.ForeignKey(
        Review,
        verbose_name=gettext_lazy("review"),
        on_delete=models.CASCADE,
        related_name="reports",
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=gettext_lazy("reported by"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    reason = models.TextField(
        gettext_lazy("reason"), max_length=REASON_MAX, validators=[MaxLengthValidator(REASON_MAX)]
    )
    dismissed = models.BooleanField(gettext_lazy("dismissed"), default=False)
    created = models.DateTimeField(gettext_lazy("reported at"), auto_now_add=True)

    class Meta:
        # Translators: a reader's complaint about an interview review (신고)
        verbose_name = gettext_lazy("report")
        verbose_name_plural = gettext_lazy("reports")
        ordering = ("-created", "-pk")
        constraints = [
            models.UniqueConstraint(fields=["review", "reporter"], name="coach_report_once")
        ]

    def __str__(self) -> str:
        return f"{self.review_id} · {self.reason[:60]}"


class CompanyLike(models.Model):
    """A user likes a company: one row per user and company, so the count is the rows'."""

    company = models.ForeignKey(
        Company,
        verbose_name=gettext_lazy("company"),
        on_delete=models.CASCADE,
        related_name="likes",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=gettext_lazy("user"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    created = models.DateTimeField(gettext_lazy("liked at"), auto_now_add=True)

    class Meta:
        # Translators: a user's "like" of a company (좋아요)
        verbose_name = gettext_lazy("like")
        verbose_name_plural = gettext_lazy("likes")
        constraints = [models.UniqueConstraint(fields=["company", "user"], name="coach_like_once")]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.company_id}"


# --- Practice (IPro's five stages) ------------------------------------------------------------
# A cover letter (title, company, position, its question-and-answer items) kept in versions →
# question sets generated from one version (3 job + 3 personality questions; regenerated sets
# are the history) → an answer per question (autosaved, at most 1,000 characters) with the
# feedback each request for it produced → mock interviews over 1 to 6 of a set's questions,
# with the identity checks that ran during each. Nothing here is a picture of a face: an
# identity check keeps its outcome and its audit row's id; delivery signals are summary counts.

LETTER_TITLE_MAX = 200
LETTER_ITEMS_MAX = 10
LETTER_QUESTION_MAX = 500
LETTER_ANSWER_MAX = 5000
ANSWER_MAX = 1000
"""IPro's limit on an answer (and `peeka.llm.types.MAX_ANSWER`, what a provider judges)."""
INTERVIEW_QUESTIONS_MAX = 6
INTERVIEW_SECONDS = (30, 600)
"""The shortest and longest time a mock interview allows per question."""


class CoverLetter(models.Model):
    """The candidate's cover letter as it stands now (its last version)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=gettext_lazy("owner"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    title = models.CharField(gettext_lazy("title"), max_length=LETTER_TITLE_MAX)
    company = models.ForeignKey(
        Company,
        verbose_name=gettext_lazy("company"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    company_name = models.CharField(gettext_lazy("company"), max_length=200)
    """As the candidate wrote it: a company the coach has no profile of is fine."""
    position = models.CharField(
        pgettext_lazy("job applied for", "position"), max_length=POSITION_MAX
    )
    items = models.JSONField(gettext_lazy("questions and answers"), default=list)
    """[{"question": str, "answer": str}, ...]: the letter's items in order."""
    version = models.PositiveIntegerField(gettext_lazy("version"), default=1)
    created = models.DateTimeField(gettext_lazy("created"), auto_now_add=True)
    updated = models.DateTimeField(gettext_lazy("changed"), auto_now=True)

    class Meta:
        verbose_name = gettext_lazy("cover letter")
        verbose_name_plural = gettext_lazy("cover letters")
        ordering = ("-updated", "-pk")

    def __str__(self) -> str:
        return self.title

    def text(self) -> str:
        """The letter as one text, as a provider reads it."""
        return "\n\n".join(f"{i['question']}\n{i['answer']}" for i in self.items)


class CoverLetterVersion(models.Model):
    """What a cover letter said when it was saved (each save that changed it is one)."""

    letter = models.ForeignKey(
        CoverLetter,
        verbose_name=gettext_lazy("cover letter"),
        on_delete=models.CASCADE,
        related_name="versions",
    )
    number = models.PositiveIntegerField(gettext_lazy("version"))
    title = models.CharField(gettext_lazy("title"), max_length=LETTER_TITLE_MAX)
    company_name = models.CharField(gettext_lazy("company"), max_length=200)
    position = models.CharField(
        pgettext_lazy("job applied for", "position"), max_length=POSITION_MAX
    )
    items = models.JSONField(gettext_lazy("questions and answers"), default=list)
    created = models.DateTimeField(gettext_lazy("saved at"), auto_now_add=True)

    class Meta:
        verbose_name = gettext_lazy("cover letter version")
        verbose_name_plural = gettext_lazy("cover letter versions")
        ordering = ("-number",)
        constraints = [
            models.UniqueConstraint(fields=["letter", "number"], name="coach_letter_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.number}"


class QuestionSet(models.Model):
    """Three job and three personality questions generated for one version of a letter, by the
    provider it names. A letter's sets, newest first, are its question history."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=gettext_lazy("owner"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    letter = models.ForeignKey(
        CoverLetter,
        verbose_name=gettext_lazy("cover letter"),
        on_delete=models.CASCADE,
        related_name="question_sets",
    )
    letter_version = models.PositiveIntegerField(gettext_lazy("cover letter version"))
    company_name = models.CharField(gettext_lazy("company"), max_length=200)
    position = models.CharField(
        pgettext_lazy("job applied for", "position"), max_length=POSITION_MAX
    )
    language = models.CharField(gettext_lazy("language"), max_length=8)
    provider = models.CharField(gettext_lazy("provider"), max_length=40)
    job = models.JSONField(gettext_lazy("job questions"), default=list)
    personality = models.JSONField(gettext_lazy("personality questions"), default=list)
    created = models.DateTimeField(gettext_lazy("created"), auto_now_add=True)

    class Meta:
        verbose_name = gettext_lazy("question set")
        verbose_name_plural = gettext_lazy("question sets")
        ordering = ("-created", "-pk")

    def __str__(self) -> str:
        return f"{self.company_name} · {self.position} · {self.pk}"

    def questions(self) -> list[tuple[int, str, str]]:
        """(index, kind, text) of the six questions: 0-2 job, 3-5 personality."""
        job = [(i, "job", str(q)) for i, q in enumerate(self.job)]
        offset = len(job)
        personality = [(offset + i, "personality", str(q)) for i, q in enumerate(self.personality)]
        return job + personality

    def question(self, index: int) -> tuple[str, str] | None:
        """(kind, text) of question `index`, or None."""
        for number, kind, text in self.questions():
            if number == index:
                return kind, text
        return None


class Answer(models.Model):
    """The candidate's answer to one question of a set (autosaved as they type)."""

    question_set = models.ForeignKey(
        QuestionSet,
        verbose_name=gettext_lazy("question set"),
        on_delete=models.CASCADE,
        related_name="answers",
    )
    index = models.PositiveSmallIntegerField(gettext_lazy("question"))
    text = models.TextField(
        gettext_lazy("answer"), max_length=ANSWER_MAX, validators=[MaxLengthValidator(ANSWER_MAX)]
    )
    updated = models.DateTimeField(gettext_lazy("saved at"), auto_now=True)

    class Meta:
        verbose_name = gettext_lazy("answer")
        verbose_name_plural = gettext_lazy("answers")
        ordering = ("index",)
        constraints = [
            models.UniqueConstraint(fields=["question_set", "index"], name="coach_answer_once")
        ]

    def __str__(self) -> str:
        return f"{self.question_set_id} · {self.index}"


class AnswerFeedback(models.Model):
    """One feedback on an answer as it was then: the text judged, the provider, and the
    provider's validated answer (`peeka.llm.types.Feedback` as JSON)."""

    answer = models.ForeignKey(
        Answer,
        verbose_name=gettext_lazy("answer"),
        on_delete=models.CASCADE,
        related_name="feedback",
    )
    answer_text = models.TextField(gettext_lazy("answer judged"), max_length=ANSWER_MAX)
    provider = models.CharField(gettext_lazy("provider"), max_length=40)
    content = models.JSONField(gettext_lazy("feedback"))
    created = models.DateTimeField(gettext_lazy("given at"), auto_now_add=True)

    class Meta:
        verbose_name = gettext_lazy("feedback")
        verbose_name_plural = gettext_lazy("feedback")
        ordering = ("-created", "-pk")

    def __str__(self) -> str:
        return f"{self.answer_id} · {self.provider}"


class InterviewState(models.TextChoices):
    # Translators: a mock interview not started yet
    READY = "ready", pgettext_lazy("mock interview", "Ready")
    # Translators: a mock interview going on
    RUNNING = "running", pgettext_lazy("mock interview", "In progress")
    # Translators: a mock interview that ended
    FINISHED = "finished", pgettext_lazy("mock interview", "Finished")


class MockInterview(models.Model):
    """A timed mock interview over 1 to 6 questions of a set. The server's clock times it: when it
    began, when each question was shown and answered, when it ended. `delivery` keeps only
    summary numbers of the identity checks' frames (how many showed a face, how many looked
    at the camera, the sum of |yaw|)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=gettext_lazy("owner"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    question_set = models.ForeignKey(
        QuestionSet,
        verbose_name=gettext_lazy("question set"),
        on_delete=models.CASCADE,
        related_name="interviews",
    )
    seconds = models.PositiveSmallIntegerField(
        gettext_lazy("seconds per question"),
        validators=[
            MinValueValidator(INTERVIEW_SECONDS[0]),
            MaxValueValidator(INTERVIEW_SECONDS[1]),
        ],
    )
    state = models.CharField(
        gettext_lazy("state"),
        max_length=8,
        choices=InterviewState.choices,
        default=InterviewState.READY,
    )
    current = models.PositiveSmallIntegerField(gettext_lazy("current question"), default=0)
    question_shown = models.DateTimeField(gettext_lazy("question shown at"), null=True, blank=True)
    created = models.DateTimeField(gettext_lazy("created"), auto_now_add=True)
    started = models.DateTimeField(gettext_lazy("started"), null=True, blank=True)
    finished = models.DateTimeField(gettext_lazy("finished"), null=True, blank=True)
    delivery = models.JSONField(gettext_lazy("delivery signals"), default=dict, blank=True)

    class Meta:
        verbose_name = gettext_lazy("mock interview")
        verbose_name_plural = gettext_lazy("mock interviews")
        ordering = ("-created", "-pk")

    def __str__(self) -> str:
        return f"{self.owner_id} · {self.question_set_id} · {self.pk}"


class InterviewQuestion(models.Model):
    """One question of a mock interview, in its order, with the answer given in time."""

    interview = models.ForeignKey(
        MockInterview,
        verbose_name=gettext_lazy("mock interview"),
        on_delete=models.CASCADE,
        related_name="questions",
    )
    order = models.PositiveSmallIntegerField(gettext_lazy("order"))
    kind = models.CharField(gettext_lazy("kind"), max_length=12)
    question = models.TextField(gettext_lazy("question"), max_length=1000)
    answer = models.TextField(
        gettext_lazy("answer"),
        blank=True,
        max_length=ANSWER_MAX,
        validators=[MaxLengthValidator(ANSWER_MAX)],
    )
    seconds_taken = models.PositiveIntegerField(
        gettext_lazy("seconds taken"), null=True, blank=True
    )
    answered = models.DateTimeField(gettext_lazy("answered at"), null=True, blank=True)
    provider = models.CharField(gettext_lazy("provider"), max_length=40, blank=True)
    feedback = models.JSONField(gettext_lazy("feedback"), null=True, blank=True)
    error = models.CharField(gettext_lazy("feedback error"), max_length=40, blank=True)

    class Meta:
        verbose_name = gettext_lazy("interview question")
        verbose_name_plural = gettext_lazy("interview questions")
        ordering = ("order",)
        constraints = [
            models.UniqueConstraint(fields=["interview", "order"], name="coach_interview_q_once")
        ]

    def __str__(self) -> str:
        return self.question[:80]


class CheckMoment(models.TextChoices):
    # Translators: an identity check at the start of a mock interview
    START = "start", pgettext_lazy("identity check", "At the start")
    # Translators: an identity check while the candidate answers
    DURING = "during", pgettext_lazy("identity check", "During the interview")
    # Translators: an identity check at the end of a mock interview
    END = "end", pgettext_lazy("identity check", "At the end")


class IdentityCheck(models.Model):
    """One identity check of a mock interview: when (server clock), its outcome, why it failed
    (the audit reason) and the audit row it wrote. No frame is kept."""

    interview = models.ForeignKey(
        MockInterview,
        verbose_name=gettext_lazy("mock interview"),
        on_delete=models.CASCADE,
        related_name="checks",
    )
    moment = models.CharField(gettext_lazy("moment"), max_length=8, choices=CheckMoment.choices)
    at = models.DateTimeField(gettext_lazy("checked at"))
    passed = models.BooleanField(gettext_lazy("passed"))
    live = models.BooleanField(gettext_lazy("liveness checked"), default=False)
    reason = models.CharField(gettext_lazy("reason"), max_length=40)
    audit_id = models.BigIntegerField(gettext_lazy("audit record"), null=True, blank=True)

    class Meta:
        verbose_name = gettext_lazy("identity check")
        verbose_name_plural = gettext_lazy("identity checks")
        ordering = ("at", "pk")

    def __str__(self) -> str:
        return f"{self.interview_id} · {self.moment} · {self.passed}"
