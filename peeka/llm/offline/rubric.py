"""The offline provider's judge: IPro's feedback on one interview answer from measured signals
alone — honest (nothing praised that is not there), deterministic, and fast.

    feedback = judge(FeedbackRequest(question=..., answer=..., company=..., language="ko"))

Scores run from 0 to 5 per criterion; a lazy answer (empty, a line, mostly filler, or the question
copied back) gets no strengths and scores near 0, as IPro's rule has it."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from peeka.llm.offline import wording
from peeka.llm.offline.signals import (
    SHORT_CHARS,
    SHORT_WORDS,
    STAR_PARTS,
    Signals,
    banmal_tokens,
    classify_sentence,
    metrics_in,
    sentences_of,
    signals,
    without_fillers,
)
from peeka.llm.types import (
    MAX_SUGGESTION,
    Feedback,
    FeedbackRequest,
    Language,
    QuestionKind,
    Scores,
)

NEUTRAL_FIT = 2.5
"""The fit score when the company's 인재상 is not known: neither credited nor held against."""
MAX_STRENGTHS = 3
MAX_IMPROVEMENTS = 3
MAX_FOLLOW_UPS = 3
_EXAMPLE_LIMIT = 1500
_PART_LIMIT = 300
"""Characters of the user's own sentences kept per STAR part in the example."""

# When a part is missing, the one to name first: a story without its result or without the
# candidate's own action is the weaker for it.
_MISSING_FIRST = ("result", "action", "task", "situation")


def judge(request: FeedbackRequest) -> Feedback:
    """IPro's feedback on `request.answer` (its first MAX_ANSWER characters), in
    `request.language`."""
    talent = tuple(request.company.talent) if request.company else ()
    measured = signals(request.answer, request.language, question=request.question, talent=talent)
    language = request.language
    # Without a 인재상 one place goes to saying that the fit could not be checked.
    room = MAX_IMPROVEMENTS if talent else MAX_IMPROVEMENTS - 1
    needs = _improvements(measured, language, kind=request.kind)
    chosen = needs[:room] if measured.is_lazy else _varied(needs, room)
    if not talent:
        chosen.append(("fit_unchecked", _fit_unchecked))
    return Feedback(
        strengths=[] if measured.is_lazy else _strengths(measured, language, kind=request.kind),
        improvements=[render(measured, language) for _, render in chosen],
        suggestion=_suggestion([key for key, _ in chosen], measured, language),
        example=_example(measured, language),
        scores=score(measured, kind=request.kind),
        follow_up=_follow_ups(measured, language, kind=request.kind),
    )


def score(measured: Signals, *, kind: QuestionKind | None = None) -> Scores:
    """The five criteria, each from 0 to 5, from the measurements alone."""
    if measured.lazy == "empty":
        return Scores(star=0, relevance=0, specificity=0, fit=0, tone=0)
    values = {
        "star": _star_score(measured),
        "relevance": _relevance_score(measured),
        "specificity": _specificity_score(measured),
        "fit": _fit_score(measured, kind),
        "tone": _tone_score(measured),
    }
    if measured.is_lazy:
        values = {name: min(value, 1.0) for name, value in values.items()}
    return Scores(**{name: round(min(5.0, max(0.0, value)), 1) for name, value in values.items()})


# --- Scores ------------------------------------------------------------------------------------


def _star_score(measured: Signals) -> float:
    present = len(measured.star_parts)
    value = 1.25 * present
    if present >= 2 and not measured.star_ordered:
        value -= 0.75
    if measured.length == "short":
        value = min(value, 3.0)
    return value


def _relevance_score(measured: Signals) -> float:
    if measured.copy_of_question:
        return 0.0
    if measured.coverage is None:
        return 3.0  # nothing in the question to match ("자기소개를 해 주세요")
    return 5.0 * min(1.0, measured.coverage / 0.6)


def _specificity_score(measured: Signals) -> float:
    metrics = len(measured.metrics)
    value = 0.0 if not metrics else 1.5 if metrics == 1 else 2.5
    value += min(1.5, 0.75 * len(measured.actions))
    if "result" in measured.star_parts:
        value += 1.0 if metrics else 0.5
    value -= min(1.5, 0.5 * len(measured.vague))
    return value


def _fit_score(measured: Signals, kind: QuestionKind | None) -> float:
    if not measured.talent:
        return NEUTRAL_FIT
    hits = len(measured.talent_hits)
    if not hits:
        # IPro tied job answers to the 인재상: missing it there costs more.
        return 0.5 if kind == "job" else 1.5
    wanted = min(len(measured.talent), 3)
    if hits >= wanted:
        return 5.0
    return 3.0 + 2.0 * (hits - 1) / max(1, wanted - 1)


def _tone_score(measured: Signals) -> float:
    if measured.language == "ko":
        total = measured.polite + measured.banmal
        share = measured.polite / total if total else 0.0
        value = {
            "polite": 5.0,
            "mixed": min(3.5, 5.0 * share),
            "banmal": min(1.5, 5.0 * share),
            "none": 3.5,
        }[measured.register]
    else:
        value = 5.0
    return value - min(2.5, 0.5 * len(measured.fillers))


# --- [장점] -----------------------------------------------------------------------------------


def _strengths(measured: Signals, language: Language, *, kind: QuestionKind | None) -> list[str]:
    found: list[str] = []
    parts = measured.star_parts
    if len(parts) == 4 and measured.star_ordered:
        found.append(wording.say("strength.star_complete", language))
    elif len(parts) >= 3:
        found.append(
            wording.say(
                "strength.star_partial", language, parts=wording.part_names(parts, language)
            )
        )
    fit = (
        wording.say("strength.fit", language, talent=wording.quoted(measured.talent_hits, language))
        if measured.talent_hits
        else ""
    )
    if kind == "job" and fit:
        found.append(fit)
    if measured.metrics:
        numbers = wording.quoted(_telling_numbers(measured.metrics), language)
        found.append(wording.say("strength.numbers", language, numbers=numbers))
    if len(measured.actions) >= 2:
        found.append(
            wording.say(
                "strength.actions", language, actions=wording.quoted(measured.actions, language)
            )
        )
    if fit and kind != "job":
        found.append(fit)
    if measured.coverage is not None and measured.coverage >= 0.5 and measured.matched_keywords:
        keywords = wording.quoted(measured.matched_keywords, language)
        found.append(wording.say("strength.relevant", language, keywords=keywords))
    if measured.language == "ko" and measured.register == "polite" and len(measured.fillers) < 2:
        found.append(wording.say("strength.polite", language))
    elif measured.language != "ko" and not measured.fillers and measured.length == "ok":
        found.append(wording.say("strength.clean_tone", language))
    if measured.learned and not any(_LEARNED_VAGUELY.search(vague) for vague in measured.vague):
        found.append(wording.say("strength.learned", language))
    if measured.link_role:
        found.append(wording.say("strength.link_role", language))
    if measured.length == "ok":
        found.append(wording.say("strength.length", language, size=_size(measured, language)))
    return found[:MAX_STRENGTHS]


# --- [개선점] --------------------------------------------------------------------------------

Render = Callable[[Signals, Language], str]
# "많이 배웠다" (learned a lot) says a lesson was learned without saying which: no strength.
_LEARNED_VAGUELY = re.compile(r"배웠|learn|学到")


def _improvements(
    measured: Signals, language: Language, *, kind: QuestionKind | None
) -> list[tuple[str, Render]]:
    """Every improvement that applies, most important first, as (key, render)."""
    found: list[tuple[str, Render]] = []
    if measured.is_lazy:
        found.append((measured.lazy, _lazy_reason))
        if measured.wrong_language and measured.lazy != "empty":
            found.append(("wrong_language", _wrong_language))
        if measured.register in ("banmal", "mixed"):
            found.append(("banmal", _register))
        found.append(("star_missing", _star_missing))
        if not measured.metrics:
            found.append(("no_numbers", _plain("improve.no_numbers")))
        return found
    if measured.wrong_language:
        found.append(("wrong_language", _wrong_language))
    if measured.coverage is not None and measured.coverage < 0.25:
        found.append(("off_topic", _off_topic))
    if measured.register in ("banmal", "mixed"):
        found.append(("banmal", _register))
    missing_fit = bool(measured.talent) and not measured.talent_hits
    if missing_fit and kind == "job":
        found.append(("fit", _fit_missing(job=True)))
    if measured.star_missing:
        found.append(("star_missing", _star_missing))
    elif not measured.star_ordered:
        found.append(("star_order", _plain("improve.star_order")))
    if not measured.metrics:
        found.append(("no_numbers", _plain("improve.no_numbers")))
    if not measured.actions and "action" not in measured.star_missing:
        found.append(("no_actions", _plain("improve.no_actions")))
    if measured.vague:
        found.append(("vague", _vague))
    if len(measured.fillers) >= 2:
        found.append(("fillers", _fillers))
    if measured.length == "short":
        found.append(("short", _short))
    if missing_fit and kind != "job":
        found.append(("fit", _fit_missing(job=False)))
    if measured.truncated:
        found.append(("trim", _plain("improve.truncated")))
    elif measured.length == "near_limit":
        found.append(("trim", _plain("improve.near_limit")))
    if not measured.link_role:
        found.append(("no_link", _plain("improve.no_link")))
    if not found:
        found.append(("polish", _plain("improve.polish")))
    return found


# What each improvement is about. The feedback names the worst problem of each kind before a
# second one of the same kind: an answer without a result, without numbers and full of filler
# words hears about all three, not about three gaps in its structure.
_KIND_OF_IMPROVEMENT = {
    "banmal": "delivery",
    "fillers": "delivery",
    "no_numbers": "content",
    "no_actions": "content",
    "vague": "content",
    "fit": "content",
}


def _varied(needs: Sequence[tuple[str, Render]], room: int) -> list[tuple[str, Render]]:
    """Up to `room` improvements, most important first, one of each kind before any second."""
    picked: list[int] = []
    kinds: set[str] = set()
    for index, (key, _) in enumerate(needs):
        kind = _KIND_OF_IMPROVEMENT.get(key, "structure")
        if kind not in kinds and len(picked) < room:
            picked.append(index)
            kinds.add(kind)
    for index in range(len(needs)):
        if index not in picked and len(picked) < room:
            picked.append(index)
    return [needs[index] for index in sorted(picked)]


def _plain(key: str) -> Render:
    return lambda measured, language: wording.say(key, language)


def _lazy_reason(measured: Signals, language: Language) -> str:
    if measured.lazy == "filler":
        fillers = wording.quoted(measured.fillers, language)
        return wording.say("improve.filler_only", language, fillers=fillers)
    if measured.lazy == "too_short":
        return wording.say("improve.too_short", language, size=_size(measured, language))
    return wording.say(f"improve.{measured.lazy}", language)


def _wrong_language(measured: Signals, language: Language) -> str:
    return wording.say(
        "improve.wrong_language",
        language,
        expected=wording.say(f"language.{measured.expected}", language),
        used=wording.say(f"language.{measured.language}", language),
    )


def _off_topic(measured: Signals, language: Language) -> str:
    keywords = wording.quoted(measured.keywords, language)
    return wording.say("improve.off_topic", language, keywords=keywords)


def _register(measured: Signals, language: Language) -> str:
    key = "improve.banmal" if measured.register == "banmal" else "improve.mixed_register"
    return wording.say(key, language, examples=wording.quoted(measured.banmal_examples, language))


def _fit_missing(*, job: bool) -> Render:
    def render(measured: Signals, language: Language) -> str:
        talent = wording.quoted(measured.talent, language)
        return wording.say("improve.fit_job" if job else "improve.fit", language, talent=talent)

    return render


def _fit_unchecked(measured: Signals, language: Language) -> str:
    return wording.say("improve.fit_unchecked", language)


def _first_missing(measured: Signals) -> str:
    """The missing part to name first; with nothing there at all, the story starts at its
    beginning."""
    missing = measured.star_missing
    if len(missing) == len(STAR_PARTS):
        return "situation"
    return next(part for part in _MISSING_FIRST if part in missing)


def _star_missing(measured: Signals, language: Language) -> str:
    missing = measured.star_missing
    first = _first_missing(measured)
    return wording.say(
        "improve.star_missing",
        language,
        parts=wording.part_names(missing, language),
        hint=wording.say(f"hint.{first}", language),
    )


def _vague(measured: Signals, language: Language) -> str:
    return wording.say("improve.vague", language, vague=wording.quoted(measured.vague, language))


def _fillers(measured: Signals, language: Language) -> str:
    fillers = wording.quoted(measured.fillers, language)
    return wording.say("improve.fillers", language, fillers=fillers, count=len(measured.fillers))


def _short(measured: Signals, language: Language) -> str:
    return wording.say(
        "improve.short",
        language,
        size=_size(measured, language),
        minimum=_minimum(measured, language),
    )


def _size(measured: Signals, language: Language) -> str:
    words = measured.language == "en"
    return wording.size(measured.words if words else measured.chars, language, words=words)


def _minimum(measured: Signals, language: Language) -> str:
    """The length an answer should reach, in the unit it was measured in."""
    if measured.language == "en":
        return wording.size(SHORT_WORDS, language, words=True)
    return wording.size(SHORT_CHARS, language, words=False)


# --- [구체적인 제안] ----------------------------------------------------------------------------


def _suggestion(keys: Sequence[str], measured: Signals, language: Language) -> str:
    """The one change worth making first: the suggestion for the first improvement that has
    one (the fit note that could not be checked has none)."""
    text = ""
    for key in keys:
        text = _suggestion_for(key, measured, language)
        if text:
            break
    text = text or wording.say("suggest.polish", language)
    return _clip(text, MAX_SUGGESTION)


def _suggestion_for(key: str, measured: Signals, language: Language) -> str:
    if key in ("empty", "copy", "filler", "repetitive", "too_short"):
        return wording.say("suggest.lazy", language)
    if key == "wrong_language":
        expected = wording.say(f"language.{measured.expected}", language)
        return wording.say("suggest.wrong_language", language, expected=expected)
    if key == "off_topic":
        keywords = wording.quoted(measured.keywords, language, limit=2)
        return wording.say("suggest.off_topic", language, keywords=keywords)
    if key == "banmal":
        return wording.say("suggest.banmal", language)
    if key == "fit":
        talent = wording.quoted(measured.talent, language)
        return wording.say("suggest.fit", language, talent=talent)
    if key == "star_missing":
        if len(measured.star_missing) == len(STAR_PARTS):
            return wording.say("suggest.lazy", language)
        return wording.say(f"suggest.{_first_missing(measured)}", language)
    if key == "no_actions":
        return wording.say("suggest.action", language)
    if key == "vague":
        return wording.say(
            "suggest.vague", language, vague=wording.quoted(measured.vague, language)
        )
    if key == "fillers":
        fillers = wording.quoted(measured.fillers, language)
        return wording.say("suggest.fillers", language, fillers=fillers)
    if key == "short":
        return wording.say("suggest.short", language, minimum=_minimum(measured, language))
    if key in ("no_numbers", "star_order", "trim", "no_link", "polish"):
        return wording.say(f"suggest.{key}", language)
    return ""


def _clip(text: str, limit: int) -> str:
    """`text` within `limit` characters, cut after a sentence when it must be cut."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind(mark) for mark in (". ", "。", "? ", "! "))
    return cut[: end + 1] if end > limit // 2 else cut[: limit - 1].rstrip() + "…"


# --- The example answer -------------------------------------------------------------------------


def _example(measured: Signals, language: Language) -> str:
    """The answer rebuilt as situation / task / action / result from the user's own sentences —
    fillers dropped, 반말 endings made polite — with bracketed placeholders for what is missing.
    Nothing is invented: a missing number stays a placeholder."""
    own: list[str] = []
    if measured.lazy in ("", "too_short") and not measured.wrong_language:
        own = sentences_of(measured.text)
    parts: dict[str, list[str]] = {part: [] for part in STAR_PARTS}
    current = "situation"
    for sentence in own:
        cleaned = _clean(sentence, measured)
        if not _says_something(cleaned, measured.language):
            continue
        current = classify_sentence(sentence, measured.language) or current
        parts[current].append(cleaned)
    lines: list[str] = []
    joiner = "" if measured.language == "zh-hans" else " "
    for part in STAR_PARTS:
        body = _clip(joiner.join(parts[part]), _PART_LIMIT)
        if not body:
            body = wording.say(f"placeholder.{part}", language)
        elif part == "action" and not measured.actions:
            body += " " + wording.say("placeholder.action_detail", language)
        elif part == "result" and not measured.metrics:
            body += " " + wording.say("placeholder.numbers", language)
        label = wording.say(f"label.{part}", language)
        lines.append(wording.say("example.line", language, label=label, body=body))
    if measured.talent and not measured.talent_hits:
        talent = wording.quoted(measured.talent, language)
        lines.append(wording.say("placeholder.fit", language, talent=talent))
    if not measured.link_role:
        lines.append(wording.say("placeholder.link", language))
    return _clip("\n".join(lines), _EXAMPLE_LIMIT)


_KO_HUMBLE = {
    "나는": "저는", "난": "저는", "내가": "제가", "나도": "저도", "나를": "저를", "나의": "저의",
    "내": "제", "나에게": "저에게", "나한테": "저한테", "우리": "저희", "우리는": "저희는",
    "우리가": "저희가", "우리의": "저희의", "우리를": "저희를", "우리도": "저희도",
}  # fmt: skip
_KO_HUMBLE_WORD = re.compile(
    r"(?<![가-힣])(" + "|".join(sorted(_KO_HUMBLE, key=len, reverse=True)) + r")(?![가-힣])"
)


def _clean(sentence: str, measured: Signals) -> str:
    """One of the user's sentences with fillers and empty intensifiers dropped and, in Korean
    judged as 반말, polite endings and humble pronouns."""
    text = without_fillers(sentence, measured.language)
    if measured.language == "ko" and measured.register in ("banmal", "mixed"):
        text = _KO_HUMBLE_WORD.sub(lambda m: _KO_HUMBLE[m.group(1)], _politely(text))
    text = re.sub(r"\s+([,.!?。\uff0c])", r"\1", " ".join(text.split()))
    text = re.sub(r"^[,.…\s\uff0c]+|[,\uff0c]\s*(?=[,.。\uff0c])", "", text).strip()
    if measured.language == "en" and text[:1].islower():
        text = text[0].upper() + text[1:]
    return text


def _says_something(sentence: str, language: Language) -> bool:
    """Whether a cleaned sentence still carries content ("했습니다." alone does not)."""
    if language == "zh-hans":
        return len(re.findall(r"[\u4e00-\u9fff]", sentence)) >= 6
    return len(sentence.split()) >= (3 if language == "en" else 2)


def _politely(sentence: str) -> str:
    spans = banmal_tokens(sentence)
    for start, end in reversed(spans):
        sentence = sentence[:start] + _polite_word(sentence[start:end]) + sentence[end:]
    return sentence


def _polite_word(word: str) -> str:
    """A Korean word ending in 반말 made polite: 해라체 "-다" becomes 합니다체 (했다 → 했습니다,
    한다 → 합니다, 이다 → 입니다), 해체 becomes 해요체 (했어 → 했어요, 했지 → 했죠, 거야 →
    거예요), a note-style ending a sentence (했음, 함, 임) 합니다체. Anything else is left."""
    if word.endswith("다"):
        stem, last = word[:-2], word[-2:-1]
        if not last:
            return word
        if last == "이":
            return stem + "입니다"
        final = _final(last)
        if final == 4:  # ㄴ: 한다 → 합니다, 된다 → 됩니다
            return stem + _with_final(last, 17) + "니다"
        if final:
            return word[:-1] + "습니다"
        return stem + _with_final(last, 17) + "니다"
    for ending, polite in (("거야", "거예요"), ("이야", "이에요")):
        if word.endswith(ending):
            return word[: -len(ending)] + polite
    if word.endswith("야") and len(word) >= 2 and not _final(word[-2]):
        return word[:-1] + "예요"
    if word.endswith("지"):
        return word[:-1] + "죠"
    note_style = {"음": "습니다", "함": "합니다", "임": "입니다", "됨": "됩니다"}
    if word[-1] in note_style and len(word) >= 2:
        if word[-1] == "음" and _final(word[-2]):
            return word[:-1] + "습니다"
        if word[-1] != "음":
            return word[:-1] + note_style[word[-1]]
    if word.endswith(_HAE_ENDINGS):
        return word + "요"
    return word


# 해체 endings that take 요 to become 해요체: 했어 → 했어요, 할게 → 할게요, 그렇거든 → 그렇거든요.
_HAE_ENDINGS = (
    "어", "아", "여", "해", "봐", "줘", "돼", "와", "거든", "잖아", "는데", "은데",
    "네", "군", "걸", "게", "래",
)  # fmt: skip


def _final(syllable: str) -> int:
    return (ord(syllable) - 0xAC00) % 28 if "가" <= syllable <= "힣" else 0


def _with_final(syllable: str, final: int) -> str:
    if not "가" <= syllable <= "힣":
        return syllable
    base = ord(syllable) - (ord(syllable) - 0xAC00) % 28
    return chr(base + final)


# --- Follow-up questions -----------------------------------------------------------------------


def _follow_ups(measured: Signals, language: Language, *, kind: QuestionKind | None) -> list[str]:
    """What an interviewer would ask next, given what this answer says and leaves out."""
    asked: list[str] = []
    if measured.is_lazy:
        asked.append(wording.say("follow.lazy", language))
    if "result" not in measured.star_parts:
        asked.append(wording.say("follow.no_result", language))
    elif not measured.metrics:
        asked.append(wording.say("follow.result_number", language))
    if measured.team:
        asked.append(wording.say("follow.team_role", language))
    if measured.conflict:
        asked.append(wording.say("follow.conflict", language, conflict=_conflict_topic(measured)))
    number = _headline_number(measured)
    if number:
        shown = wording.quoted([number], language)
        asked.append(wording.say("follow.measured", language, number=shown))
    if not measured.actions and not measured.is_lazy:
        asked.append(wording.say("follow.action", language))
    if measured.learned:
        asked.append(wording.say("follow.learned", language))
    if kind == "job" and measured.talent and not measured.talent_hits:
        asked.append(wording.say("follow.fit", language))
    if len(asked) < MAX_FOLLOW_UPS:
        asked.append(wording.say("follow.different", language))
    return list(dict.fromkeys(asked))[:MAX_FOLLOW_UPS]


# The conflict as the interviewer names it back: the candidate's own noun when it is one, else
# the plain word for it ("의견이 안 맞았어요" → "의견 차이").
_CONFLICT_NOUNS: dict[Language, tuple[tuple[str, ...], str]] = {
    "ko": (
        ("갈등", "충돌", "의견 차이", "의견차이", "불만", "마찰", "다툼", "대립", "이견"),
        "의견 차이",
    ),
    "en": ((), "disagreement"),
    "zh-hans": (("冲突", "分歧", "矛盾", "争执", "意见不合", "意见不一", "不满"), "分歧"),
}


def _conflict_topic(measured: Signals) -> str:
    nouns, plain = _CONFLICT_NOUNS[measured.language]
    word = next((found for found in measured.conflict if found in nouns), plain)
    if measured.expected != measured.language:
        word = _CONFLICT_NOUNS[measured.expected][1]
    if measured.expected == "ko":
        return wording.quoted_with_josa(word, "은/는", "ko")
    return word


def _telling_numbers(metrics: Sequence[str]) -> list[str]:
    """The numbers to quote back, most telling first: rates and multiples, then amounts with a
    unit, then bare digits, then numbers in words; in the answer's order within each."""

    def rank(number: str) -> int:
        if _RATE.search(number):
            return 0
        if re.fullmatch(r"[\d.,\s]+", number):
            return 2
        return 1 if re.match(r"\d", number) else 3

    return sorted(metrics, key=rank)


_RATE = re.compile(r"%|퍼센트|percent|배|倍|x$|百分之")


def _headline_number(measured: Signals) -> str:
    """The number an interviewer would ask about: a rate or a multiple, else the last number of
    the result; none when the only numbers set the scene ("지난 3년 치 내역")."""
    in_results = [
        number
        for sentence in sentences_of(measured.text)
        if classify_sentence(sentence, measured.language) == "result"
        for number in metrics_in(sentence, measured.language)
    ]
    for number in (*in_results, *measured.metrics):
        if _RATE.search(number):
            return number
    return in_results[-1] if in_results else ""
