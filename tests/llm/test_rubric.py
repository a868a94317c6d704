"""The offline rubric on answers as candidates write them: strong STAR answers with numbers, vague
and casual ones, one-liners, and answers that ignore the company's 인재상 — in Korean, English
and Chinese. Every assertion is about what the feedback says, so a rubric that praises what is
not there, or misses what is, fails here."""

# ruff: noqa: RUF001
# (The Korean and Chinese answers use their own quotation marks and full-width punctuation.)

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from peeka.llm.offline.rubric import NEUTRAL_FIT, judge
from peeka.llm.offline.signals import signals
from peeka.llm.types import (
    CRITERIA,
    MAX_ANSWER,
    MAX_SUGGESTION,
    Company,
    Feedback,
    FeedbackRequest,
    Language,
    QuestionKind,
)

ROOT = Path(__file__).resolve().parents[2]

KO_CONFLICT = "팀 프로젝트에서 갈등을 해결한 경험을 말씀해 주세요."
KO_STRONG = (
    "대학교 3학년 때 6명이 함께한 캡스톤 프로젝트에서 기획과 개발 사이에 일정 갈등이 생긴 "
    "상황이었습니다. 저는 팀장으로서 4주 안에 시제품을 완성해야 하는 목표를 맡았습니다. "
    "먼저 팀원 한 명 한 명과 면담해 의견 차이의 원인을 파악했고, 기능 목록을 우선순위에 따라 "
    "재구성했습니다. 매주 월요일 15분 점검 회의를 도입해 진행 상황을 공유했습니다. 그 결과 마감 "
    "이틀 전에 시제품을 완성했고, 교내 경진대회에서 20개 팀 중 2위를 했습니다. 이 경험으로 "
    "갈등은 숨기기보다 일찍 드러내 함께 해결해야 한다는 것을 배웠습니다."
)
KO_VAGUE_BANMAL = (
    "음 그냥 팀플할 때 애들이랑 의견이 좀 안 맞았어. 그래서 내가 열심히 얘기해서 잘 해결했던 것 "
    "같아. 뭔가 여러 가지 많이 배웠고 결과도 나쁘지 않았어."
)
KO_LAZY = "열심히 했습니다."
KO_GENERIC = (
    "저는 어릴 때부터 책임감이 강하다는 말을 자주 들었습니다. 맡은 일은 끝까지 해내는 성격이며, "
    "아르바이트를 하면서도 지각을 한 번도 하지 않았습니다. 이런 성실함으로 어떤 일이든 잘 해낼 "
    "자신이 있습니다."
)
KO_NO_RESULT = (
    "작년 학생회에서 축제 예산 담당을 맡았습니다. 당시 후원이 줄어 예산이 부족한 상황이었습니다. "
    "저는 지난 3년 치 지출 내역을 분석해 줄일 수 있는 항목을 찾고, 지역 상점 명단을 정리해 직접 "
    "제안서를 보냈습니다."
)

KO_DATA_QUESTION = "지원하신 직무에서 데이터를 활용해 문제를 해결한 경험을 말씀해 주세요."
KO_DATA_IGNORES_TALENT = (
    "지난해 온라인 쇼핑몰 운영팀에서 인턴으로 일할 때, 장바구니에 상품을 담고도 결제하지 않는 "
    "비율이 68%까지 올라간 상황이었습니다. 저는 데이터를 활용해 이탈 원인을 찾고 한 달 안에 "
    "개선안을 내는 과제를 맡았습니다. 먼저 석 달 치 주문 데이터 4만 건을 SQL로 분석해 배송비 "
    "안내 단계에서 이탈이 가장 많다는 것을 파악했고, 배송비를 첫 화면에 미리 보여 주는 A/B "
    "테스트를 제안해 2주 동안 진행했습니다. 그 결과 결제 이탈률이 68%에서 52%로 줄었고, 이 "
    "개선안은 정식으로 반영되었습니다."
)
KO_DATA_WITH_TALENT = (
    KO_DATA_IGNORES_TALENT + " 이 경험을 살려 입사 후에도 고객의 불편을 데이터로 먼저 확인하고, "
    "새로운 개선안에 주저 없이 도전하겠습니다."
)
TALENT = Company(name="한빛커머스", talent=["고객 중심", "도전", "소통"])

EN_CONFLICT = "Tell me about a time you had to handle a conflict within your team."
EN_STRONG = (
    "Last year, during my internship at a logistics startup, two engineers on our team of five "
    "disagreed about whether to rewrite the delivery-tracking service or patch it. The conflict "
    "was delaying a release by two weeks. As the intern responsible for the release checklist, my "
    "goal was to get the team to a decision within a week. I set up a 30-minute meeting where "
    "each engineer presented their option with estimates, and I wrote a one-page comparison of "
    "risks and costs. I then proposed a compromise: patch now, and schedule the rewrite for the "
    "next quarter. As a result, we shipped the release four days later, and the number of "
    "tracking errors dropped by 35% in the first month. I learned that putting the trade-offs on "
    "paper turns an argument into a decision."
)
EN_WEAK = (
    "Um, so basically I'm a really hard-working person and a team player, you know. I always try "
    "to do my best and I get along with various people. When there's like a problem I just talk "
    "to people and stuff and it usually works out fine. I think communication is really "
    "important."
)
EN_LAZY = "I am a team player."

ZH_CONFLICT = "请介绍一次你在团队中解决冲突的经历。"
ZH_STRONG = (
    "去年我在一家电商公司实习时，运营组和技术组因为大促活动的上线时间产生了分歧，项目一度停滞了"
    "一周。我当时负责活动的项目协调，目标是在两周内让活动按时上线。我先分别访谈了两个组的负责人，"
    "梳理出双方的核心顾虑，然后提出分两期上线的方案，并制定了每日15分钟的站会。最终活动按时上线，"
    "首日订单量比去年同期提升了20%。这次经历让我学到，解决团队冲突的关键是先把分歧摆到桌面上。"
)
ZH_WEAK = (
    "嗯，那个，我觉得我是一个很努力的人，就是，和大家关系都很好。遇到各种问题我都会积极沟通，"
    "一直认真对待。"
)

SAMPLES: list[tuple[str, str, str, Language]] = [
    ("ko-strong", KO_CONFLICT, KO_STRONG, "ko"),
    ("ko-vague-banmal", KO_CONFLICT, KO_VAGUE_BANMAL, "ko"),
    ("ko-lazy", KO_CONFLICT, KO_LAZY, "ko"),
    ("ko-generic", KO_CONFLICT, KO_GENERIC, "ko"),
    ("ko-no-result", KO_CONFLICT, KO_NO_RESULT, "ko"),
    ("ko-ignores-talent", KO_DATA_QUESTION, KO_DATA_IGNORES_TALENT, "ko"),
    ("ko-with-talent", KO_DATA_QUESTION, KO_DATA_WITH_TALENT, "ko"),
    ("en-strong", EN_CONFLICT, EN_STRONG, "en"),
    ("en-weak", EN_CONFLICT, EN_WEAK, "en"),
    ("en-lazy", EN_CONFLICT, EN_LAZY, "en"),
    ("zh-strong", ZH_CONFLICT, ZH_STRONG, "zh-hans"),
    ("zh-weak", ZH_CONFLICT, ZH_WEAK, "zh-hans"),
]
SAMPLE_IDS = [name for name, *_ in SAMPLES]
PLACEHOLDER = {"ko": "[성과 수치]", "en": "[number]", "zh-hans": "[具体数字]"}


def ask(
    answer: str,
    *,
    question: str = KO_CONFLICT,
    language: Language = "ko",
    company: Company | None = None,
    kind: QuestionKind | None = None,
) -> Feedback:
    return judge(
        FeedbackRequest(
            question=question, answer=answer, language=language, company=company, kind=kind
        )
    )


def scores(feedback: Feedback) -> dict[str, float]:
    return {criterion: getattr(feedback.scores, criterion) for criterion in CRITERIA}


def digits(text: str) -> set[str]:
    return set(re.findall(r"\d+", text))


# --- The contract ------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "question", "answer", "language"), SAMPLES, ids=SAMPLE_IDS)
def test_every_answer_gets_valid_feedback_within_the_limits(name, question, answer, language):
    for company in (None, TALENT):
        feedback = ask(answer, question=question, language=language, company=company)
        Feedback.model_validate(feedback.model_dump())
        assert len(feedback.strengths) <= 3
        assert 1 <= len(feedback.improvements) <= 3
        assert 1 <= len(feedback.follow_up) <= 3
        assert 0 < len(feedback.suggestion) <= MAX_SUGGESTION
        assert feedback.example
        assert all(0 <= value <= 5 for value in scores(feedback).values())


@pytest.mark.parametrize(("name", "question", "answer", "language"), SAMPLES, ids=SAMPLE_IDS)
def test_the_same_answer_gets_the_same_feedback(name, question, answer, language):
    first = ask(answer, question=question, language=language, company=TALENT, kind="job")
    second = ask(answer, question=question, language=language, company=TALENT, kind="job")
    assert first.model_dump() == second.model_dump()


def test_the_feedback_does_not_depend_on_the_process_hash_seed():
    """Nothing in the output may come from iterating a set: another interpreter with another
    hash seed gives the same feedback, byte for byte."""
    script = (
        "import json, sys\n"
        "from peeka.llm.offline.rubric import judge\n"
        "from peeka.llm.types import FeedbackRequest\n"
        "request = FeedbackRequest.model_validate_json(sys.stdin.read())\n"
        "print(json.dumps(judge(request).model_dump(), ensure_ascii=False, sort_keys=True))\n"
    )
    request = FeedbackRequest(
        question=KO_DATA_QUESTION, answer=KO_DATA_WITH_TALENT, company=TALENT, kind="job"
    )
    here = json.dumps(judge(request).model_dump(), ensure_ascii=False, sort_keys=True)
    for seed in ("1", "2"):
        there = subprocess.run(
            [sys.executable, "-c", script],
            input=request.model_dump_json(),
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout.strip()
        assert there == here


# --- Strong beats weak ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "strong", "weak", "language"),
    [
        (KO_CONFLICT, KO_STRONG, KO_VAGUE_BANMAL, "ko"),
        (EN_CONFLICT, EN_STRONG, EN_WEAK, "en"),
        (ZH_CONFLICT, ZH_STRONG, ZH_WEAK, "zh-hans"),
    ],
    ids=["ko", "en", "zh"],
)
def test_a_strong_star_answer_beats_a_vague_one_on_each_criterion(question, strong, weak, language):
    good = scores(ask(strong, question=question, language=language))
    bad = scores(ask(weak, question=question, language=language))
    for criterion in ("star", "relevance", "specificity", "tone"):
        assert good[criterion] > bad[criterion], criterion
    assert good["star"] == 5 and good["specificity"] >= 4.5
    # Without a company neither is credited or blamed for the fit.
    assert good["fit"] == bad["fit"] == NEUTRAL_FIT


def test_the_strong_korean_answer_is_praised_for_what_it_measurably_has():
    feedback = ask(KO_STRONG)
    praise = " ".join(feedback.strengths)
    assert "STAR" in praise
    assert "‘15분’" in praise or "‘2위’" in praise  # its own numbers, quoted back
    assert "면담" in praise  # an action it named
    assert not any("반말" in text for text in feedback.improvements)


def test_the_vague_answer_is_told_what_is_missing():
    feedback = ask(KO_VAGUE_BANMAL, company=TALENT)
    told = " ".join(feedback.improvements)
    assert "행동" in told  # no action of its own
    assert "숫자" in told  # no number
    assert feedback.scores.specificity <= 1


def test_the_english_weak_answer_is_told_about_its_filler_words():
    feedback = ask(EN_WEAK, question=EN_CONFLICT, language="en", company=TALENT)
    assert any("“um”" in text and "Filler" in text for text in feedback.improvements)
    # No STAR, numbers or actions to praise; only that it does name communication (소통).
    assert feedback.strengths == ["The answer reflects the company's values (“소통”)."]


# --- Lazy answers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "language", "question"),
    [
        (KO_LAZY, "ko", KO_CONFLICT),
        ("", "ko", KO_CONFLICT),
        ("   \n  ", "ko", KO_CONFLICT),
        (KO_CONFLICT, "ko", KO_CONFLICT),  # the question copied back
        ("음... 어... 그냥 뭔가 약간 그냥 음", "ko", KO_CONFLICT),
        ("ㅋ" * 300, "ko", KO_CONFLICT),
        (EN_LAZY, "en", EN_CONFLICT),
        ("我会努力的。", "zh-hans", ZH_CONFLICT),
    ],
    ids=["ko-one-liner", "empty", "blank", "copy", "filler", "repeated", "en", "zh"],
)
def test_a_lazy_answer_gets_no_strengths_and_scores_near_zero(answer, language, question):
    feedback = ask(answer, question=question, language=language, company=TALENT)
    assert signals(answer, language, question=question).is_lazy
    assert feedback.strengths == []
    assert all(value <= 1 for value in scores(feedback).values())
    assert feedback.improvements  # says what is missing
    assert "[" in feedback.example  # a skeleton to fill in, not praise


def test_an_empty_answer_scores_zero_and_says_it_is_empty():
    feedback = ask("")
    assert set(scores(feedback).values()) == {0}
    assert "비어" in feedback.improvements[0]
    assert "상황·과제·행동·결과" in feedback.improvements[1]


def test_a_one_liner_is_told_how_short_it_is():
    feedback = ask(KO_LAZY)
    assert f"{len(KO_LAZY.replace(' ', ''))}자" in feedback.improvements[0]


def test_a_short_answer_is_told_its_length_and_what_to_reach():
    answer = (
        "당시 여섯 명의 팀 프로젝트에서 일정 갈등이 있었습니다. 저는 팀장 역할을 맡았습니다. "
        "제가 회의를 열어 의견을 정리했습니다. 결과적으로 마감 이틀 전에 끝났습니다."
    )
    feedback = ask(answer, company=Company(name="한빛", talent=["협업"]))
    assert signals(answer, "ko").length == "short"
    assert "답변이 71자로 짧습니다. 150자 이상으로" in feedback.improvements[0]
    assert feedback.scores.star <= 3  # all four parts, but too thin to score higher


# --- Register -------------------------------------------------------------------------------


def test_banmal_is_flagged_and_the_example_answers_politely():
    measured = signals(KO_VAGUE_BANMAL, "ko")
    assert measured.register == "banmal"
    feedback = ask(KO_VAGUE_BANMAL)
    assert any("반말" in text and "존댓말" in text for text in feedback.improvements)
    assert "존댓말" in feedback.suggestion
    assert feedback.scores.tone <= 1.5
    rewritten = signals(re.sub(r"\[[^\]]*\]", "", feedback.example), "ko")
    assert rewritten.banmal == 0 and rewritten.polite >= 2
    assert "제가" in feedback.example and "내가" not in feedback.example


def test_one_casual_sentence_in_a_polite_answer_is_flagged_as_mixed():
    answer = KO_STRONG.replace("공유했습니다.", "공유했어.")
    measured = signals(answer, "ko")
    assert measured.register == "mixed"
    assert measured.banmal_examples == ("공유했어",)
    feedback = ask(answer)
    assert any("일부 문장" in text for text in feedback.improvements)
    assert ask(KO_STRONG).scores.tone > feedback.scores.tone


def test_a_polite_answer_is_not_flagged():
    for answer in (KO_STRONG, KO_DATA_IGNORES_TALENT, KO_GENERIC):
        assert signals(answer, "ko").register == "polite"


# --- 인재상 -----------------------------------------------------------------------------------


def test_overlap_with_the_talent_profile_raises_fit():
    ignores = ask(KO_DATA_IGNORES_TALENT, question=KO_DATA_QUESTION, company=TALENT, kind="job")
    ties = ask(KO_DATA_WITH_TALENT, question=KO_DATA_QUESTION, company=TALENT, kind="job")
    assert ties.scores.fit > ignores.scores.fit
    assert ties.scores.fit >= 4 and ignores.scores.fit <= 1
    assert any("‘고객 중심’" in text for text in ties.strengths)
    assert any("인재상" in text for text in ignores.improvements)
    assert "인재상" in ignores.suggestion
    assert "[이 경험이 보여 주는 회사 인재상" in ignores.example
    # Both are strong answers otherwise: the rest of the rubric agrees.
    assert ignores.scores.star == ties.scores.star == 5


def test_a_job_question_weighs_the_talent_profile_more():
    job = ask(KO_DATA_IGNORES_TALENT, question=KO_DATA_QUESTION, company=TALENT, kind="job")
    personality = ask(
        KO_DATA_IGNORES_TALENT, question=KO_DATA_QUESTION, company=TALENT, kind="personality"
    )
    assert job.scores.fit < personality.scores.fit
    assert "직무 질문" in job.improvements[0] or "직무 질문" in job.improvements[1]


def test_obvious_variants_of_a_talent_phrase_count():
    measured = signals(
        "저는 사용자 인터뷰를 열 번 넘게 진행하며 의사소통 방식을 바꿨습니다.",
        "ko",
        talent=["고객 중심", "커뮤니케이션", "Integrity"],
    )
    assert measured.talent_hits == ("고객 중심", "커뮤니케이션")


def test_without_a_company_fit_is_neutral_and_the_feedback_says_it_was_not_checked():
    for answer in (KO_STRONG, KO_VAGUE_BANMAL):
        feedback = ask(answer)
        assert feedback.scores.fit == NEUTRAL_FIT
        assert "인재상 정보가 없어" in feedback.improvements[-1]
    english = ask(EN_STRONG, question=EN_CONFLICT, language="en")
    assert "could not be checked" in english.improvements[-1]


# --- Relevance ------------------------------------------------------------------------------


def test_a_generic_answer_unrelated_to_the_question_scores_low_on_relevance():
    generic = ask(KO_GENERIC)
    assert generic.scores.relevance <= 1
    assert ask(KO_STRONG).scores.relevance == 5
    assert any("핵심어" in text and "‘갈등’" in text for text in generic.improvements)


# --- Follow-ups ---------------------------------------------------------------------------------


def test_follow_ups_depend_on_the_answer():
    no_result = ask(KO_NO_RESULT).follow_up
    team = ask(KO_STRONG).follow_up
    assert no_result[0] == "그래서 결과는 어떻게 되었나요? 그 결과를 숫자로 말씀해 주시겠어요?"
    assert not any("역할" in question for question in no_result)  # no team was mentioned
    assert team[0] == "그 팀에서 본인이 맡은 역할은 정확히 무엇이었나요?"
    assert not any("숫자로" in question for question in team)  # the result has its numbers
    assert any("‘갈등’은 어떻게 해결되었나요" in question for question in team)


def test_a_number_given_is_asked_how_it_was_measured():
    follow_up = ask(KO_DATA_IGNORES_TALENT, question=KO_DATA_QUESTION).follow_up
    assert "말씀하신 수치(‘68%’)는 어떻게 측정하셨나요?" in follow_up
    english = ask(EN_STRONG, question=EN_CONFLICT, language="en").follow_up
    assert "How did you measure that figure (“35%”)?" in english


def test_follow_ups_are_in_the_interview_language():
    assert ask(ZH_WEAK, question=ZH_CONFLICT, language="zh-hans").follow_up[0].endswith("？")
    assert ask(EN_WEAK, question=EN_CONFLICT, language="en").follow_up[0].endswith("?")


# --- Suggestion and example -------------------------------------------------------------------


def test_the_suggestion_stays_within_300_characters_even_with_long_company_values():
    company = Company(name="긴 회사", talent=["고객을 최우선으로 생각하는 " * 8] * 20)
    for _, question, answer, language in SAMPLES:
        for kind in ("job", "personality"):
            feedback = ask(answer, question=question, language=language, company=company, kind=kind)
            assert len(feedback.suggestion) <= MAX_SUGGESTION


@pytest.mark.parametrize(("name", "question", "answer", "language"), SAMPLES, ids=SAMPLE_IDS)
def test_the_example_invents_no_number(name, question, answer, language):
    example = ask(answer, question=question, language=language, company=TALENT).example
    assert digits(example) <= digits(answer)


@pytest.mark.parametrize(
    ("question", "answer", "language"),
    [
        (KO_CONFLICT, KO_VAGUE_BANMAL, "ko"),
        (EN_CONFLICT, EN_WEAK, "en"),
        (ZH_CONFLICT, ZH_WEAK, "zh-hans"),
    ],
    ids=["ko", "en", "zh"],
)
def test_the_example_puts_placeholders_where_numbers_are_missing(question, answer, language):
    example = ask(answer, question=question, language=language).example
    assert PLACEHOLDER[language] in example
    assert not digits(example)


def test_the_example_is_built_from_the_users_own_sentences_in_star_order():
    example = ask(KO_STRONG).example
    lines = example.splitlines()
    assert [line.split(":")[0] for line in lines[:4]] == ["상황", "과제", "행동", "결과"]
    assert "매주 월요일 15분 점검 회의를 도입해 진행 상황을 공유했습니다." in lines[2]
    assert "20개 팀 중 2위" in lines[3]
    weak = ask(KO_VAGUE_BANMAL).example
    assert "음 " not in weak and "그냥" not in weak and "뭔가" not in weak  # fillers dropped
    assert "[제가 직접 한 행동" in weak


def test_an_english_example_drops_filler_words():
    example = ask(EN_WEAK, question=EN_CONFLICT, language="en").example
    assert "Um" not in example and "basically" not in example and "you know" not in example
    assert "team player" in example  # the user's own words otherwise stay


def test_an_answer_in_another_language_is_judged_and_flagged():
    feedback = ask(EN_STRONG, question=KO_CONFLICT, language="ko")
    assert "영어로 작성되었습니다" in feedback.improvements[0]
    assert feedback.scores.star == 5  # still judged on what it says
    assert "Last year" not in feedback.example  # the example is in the interview's language
    assert "[언제, 어디에서 있었던 일인지]" in feedback.example
    assert all(re.search(r"[가-힣]", question) for question in feedback.follow_up)


# --- Size and speed ---------------------------------------------------------------------------


def test_a_100000_character_answer_is_judged_on_its_first_1000_within_50_ms():
    padding = " 그리고 같은 이야기를 덧붙이면 다음과 같습니다." * 5000
    huge = (KO_STRONG + padding)[:100_000]
    assert len(huge) == 100_000
    judge(FeedbackRequest(question=KO_CONFLICT, answer=huge))  # warm-up
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        feedback = judge(FeedbackRequest(question=KO_CONFLICT, answer=huge))
        timings.append(time.perf_counter() - start)
    assert min(timings) < 0.05
    assert signals(huge, "ko").truncated
    assert len(signals(huge, "ko").text) <= MAX_ANSWER
    head = judge(FeedbackRequest(question=KO_CONFLICT, answer=huge[:MAX_ANSWER]))
    assert feedback.scores == head.scores
    assert feedback.follow_up == head.follow_up
    assert any("1,000자를 넘어" in text for text in feedback.improvements)


@pytest.mark.parametrize(("name", "question", "answer", "language"), SAMPLES, ids=SAMPLE_IDS)
def test_each_answer_is_judged_in_under_50_ms(name, question, answer, language):
    ask(answer, question=question, language=language, company=TALENT)
    start = time.perf_counter()
    ask(answer, question=question, language=language, company=TALENT, kind="job")
    assert time.perf_counter() - start < 0.05


# --- Signals ------------------------------------------------------------------------------------


def test_signals_measure_the_strong_answer():
    measured = signals(KO_STRONG, "ko", question=KO_CONFLICT)
    assert measured.star_parts == ("situation", "task", "action", "result")
    assert measured.star_ordered
    assert {"6명", "4주", "15분", "2위"} <= set(measured.metrics)
    assert "3" not in measured.metrics  # "3학년" is a school year, not a measure
    assert {"면담", "파악", "재구성", "도입", "공유"} <= set(measured.actions)
    assert "기획" not in measured.actions  # "기획과 개발 사이" names a field, not an action
    assert measured.team and measured.conflict[0] == "갈등" and measured.learned
    assert measured.coverage == 1.0
    assert measured.length == "ok" and not measured.is_lazy


def test_signals_measure_the_vague_answer():
    measured = signals(KO_VAGUE_BANMAL, "ko", question=KO_CONFLICT)
    assert {"열심히", "여러 가지"} <= set(measured.vague)
    assert measured.fillers == ("음", "그냥", "뭔가")
    assert not measured.metrics and not measured.actions
    assert measured.length == "short"


def test_numbers_are_found_in_each_language():
    assert signals("매출이 두 배로 늘고 3,000만 원을 아꼈습니다.", "ko").metrics == (
        "두 배",
        "3,000만 원",
    )
    assert signals("转化率提升了百分之三十，成本降低了两倍。", "zh-hans").metrics == (
        "百分之三十",
        "两倍",
    )
    assert signals("We cut costs by 12% and doubled revenue in 2023.", "en").metrics == (
        "12%",
        "doubled",
    )
    assert signals("２０２３年，销量增长３０％。", "zh-hans").metrics == ("30%",)  # full-width


def test_the_language_of_the_answer_is_its_script_only_when_clearly_another():
    assert signals("저는 SQL과 Python으로 KPI 대시보드를 만들었습니다.", "ko").language == "ko"
    assert signals(EN_STRONG, "ko").language == "en"
    assert signals(ZH_STRONG, "en").language == "zh-hans"
