"""What can be measured in one interview answer without a model — STAR cues, length, numbers,
vague and filler words, register, overlap with the question and with the company's 인재상 —
for the offline rubric and for the coach's report. Only the first MAX_ANSWER characters count."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from peeka.llm.types import MAX_ANSWER, Language

STAR_PARTS = ("situation", "task", "action", "result")

Register = Literal["polite", "banmal", "mixed", "none"]
Length = Literal["empty", "short", "ok", "near_limit"]
Lazy = Literal["", "empty", "copy", "filler", "repetitive", "too_short"]

# Below these an answer is "short" (IPro asked for a few sentences, not a line); from
# NEAR_LIMIT characters on it is close to the 1,000-character cap.
SHORT_CHARS = 150
SHORT_WORDS = 60
NEAR_LIMIT = 950
# Below these an answer is a one-liner and judged lazy.
LAZY_CHARS = 40
LAZY_WORDS = 12
ONE_LINE_CHARS = 80
ONE_LINE_WORDS = 25
# From this share of filler tokens on, an answer is "mostly filler".
MOSTLY_FILLER = 0.4
# Below this share of distinct character pairs, a long answer is the same thing over and over
# ("ㅋㅋㅋㅋ…", a word pasted a hundred times); natural text stays well above 0.5.
REPETITIVE = 0.15


def _compile(patterns: Iterable[str], flags: int = 0) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(pattern, flags) for pattern in patterns)


# --- STAR cues --------------------------------------------------------------------------------
# Each part's cues are regular expressions; a part is present when one of them occurs. Korean
# and Chinese cues are plain substrings (words are not space-delimited there); English ones have
# word boundaries. The action cues split in two: *named* actions (a verb that says what was
# done — they count for specificity) and *generic* first-person past tense (which only shows
# that an action is being told).

# Korean nouns that become a verb with 하다 ("도입했습니다"); alone ("기획과 개발 사이") they
# name a field, not an action, so they count only with 하다 after them.
_KO_NAMED_ACTIONS = (
    "도입", "제안", "분석", "설계", "개발", "구축", "기획", "설득", "조율", "정리", "자동화",
    "주도", "작성", "조사", "인터뷰", "면담", "공유", "개편", "협의", "측정", "실험", "테스트",
    "수정", "마련", "파악", "재구성", "리팩터링", "교육", "운영", "설명", "중재", "제작", "검증",
)  # fmt: skip
_KO_ACTION_VERBS = ("만들", "찾아", "세웠", "바꿨", "바꾸", "나눠", "나누", "고쳤", "줄였", "늘렸")
_EN_NAMED_ACTIONS = (
    "led", "built", "designed", "created", "organized", "organised", "proposed", "analyzed",
    "analysed", "implemented", "introduced", "set up", "wrote", "negotiated", "coordinated",
    "developed", "automated", "launched", "interviewed", "redesigned", "measured", "tested",
    "convinced", "mentored", "trained", "scheduled", "fixed", "resolved", "migrated", "rewrote",
    "presented", "reached out", "mapped", "prioritized", "prioritised", "delegated", "ran",
    "drafted", "streamlined", "restructured", "persuaded", "facilitated", "surveyed",
    "documented", "split", "set", "started", "initiated", "reorganized", "simplified",
)  # fmt: skip
_ZH_NAMED_ACTIONS = (
    "主导", "带领", "提出", "设计", "开发", "组织", "分析", "协调", "推动", "制定", "搭建",
    "实施", "优化", "引入", "说服", "重构", "整理", "梳理", "调研", "访谈", "测试", "建立",
    "改进", "拆分", "沟通", "上线", "培训", "解决", "调整",
)  # fmt: skip

_EN_ADVERB = r"(?:\w+ly\s+|then\s+|also\s+|first\s+|quickly\s+|immediately\s+)?"


def _alternatives(words: Iterable[str]) -> str:
    return "(" + "|".join(map(re.escape, words)) + ")"


# The verb is the first group that matched (see `_verb`).
_NAMED_ACTION: dict[Language, re.Pattern[str]] = {
    "ko": re.compile(
        _alternatives(_KO_NAMED_ACTIONS)
        + r"(?=(?:을|를)?\s?(?:진행|실시)?(?:하|했|해|한|함|시켰|시켜))|"
        + _alternatives(_KO_ACTION_VERBS)
    ),
    "en": re.compile(r"\b(?:i|we)\s+" + _EN_ADVERB + _alternatives(_EN_NAMED_ACTIONS) + r"\b"),
    # Chinese: the verb after "我" in the same clause, or with 了 after it ("梳理了需求").
    "zh-hans": re.compile(
        r"我[^。,.!?\n]{0,4}?"
        + _alternatives(_ZH_NAMED_ACTIONS)
        + "|"
        + _alternatives(_ZH_NAMED_ACTIONS)
        + "(?=了)"
    ),
}
_GENERIC_ACTION: dict[Language, re.Pattern[str]] = {
    # "노력했습니다" (I tried hard), "생각했습니다" (I thought) and "해야 했습니다" (I had to)
    # tell no action.
    "ko": re.compile(r"(?<!노력)(?<!생각)(?<!해야 )(?<!다)(?:했|하였)(?:습니다|어요|다|어)"),
    "en": re.compile(
        r"\bi\s+" + _EN_ADVERB + r"(?!wanted|needed|liked|loved|hoped|learned|realized|realised"
        r"|believed|felt|seemed|used|tried|worked hard)[a-z]{3,}ed\b"
    ),
    "zh-hans": re.compile(r"我(?!们)[^。,.!?\n]{1,6}了"),
}

_CUES: dict[Language, dict[str, tuple[str, ...]]] = {
    "ko": {
        "situation": (
            r"당시", r"상황", r"때(?!문)", r"시절", r"배경", r"근무", r"재직", r"인턴", r"동아리",
            r"프로젝트", r"문제", r"어려움", r"위기", r"부족", r"처음", r"하던 중", r"하면서",
        ),
        "task": (
            r"맡았", r"맡은", r"맡게", r"맡아", r"목표", r"역할", r"담당", r"책임", r"과제",
            r"해야 했", r"해결해야", r"임무", r"미션", r"요청",
        ),
        "result": (
            r"결과", r"덕분에", r"성과", r"향상", r"증가", r"감소", r"단축", r"절감", r"달성",
            r"개선", r"%", r"배웠", r"배운", r"깨달", r"얻었", r"수상", r"성공", r"효과", r"줄었",
            r"줄였", r"늘었", r"늘렸", r"올랐", r"높아졌", r"낮아졌", r"마쳤", r"완료",
        ),
    },
    "en": {
        "situation": (
            r"\bwhen (?:i|we|our|my)\b", r"\bat the time\b", r"\bwhile (?:working|i was)\b",
            r"\bduring\b", r"\bin my (?:previous|last|first)\b", r"\bat my (?:previous|last)\b",
            r"\blast (?:year|summer|semester)\b", r"\bthe situation\b", r"\bbackground\b",
            r"\bas an intern\b", r"\binternship\b", r"\bthere was\b", r"\bwe faced\b",
            r"\bthe problem\b", r"\bthe challenge\b", r"\bstruggling\b", r"\bback in\b",
            r"\bin (?:19|20)\d\d\b",
        ),
        "task": (
            r"\bmy role\b", r"\bresponsible for\b", r"\bmy (?:task|goal|job) was\b",
            r"\b(?:our|the|my) (?:goal|target|objective)\b", r"\bi (?:needed|had) to\b",
            r"\bwe (?:needed|had) to\b", r"\b(?:was|were) asked to\b", r"\bin charge of\b",
            r"\bobjective\b", r"\bdeadline\b",
        ),
        "result": (
            r"\bas a result\b", r"\bresult(?:s|ed)?\b", r"\boutcome\b", r"\bled to\b",
            r"\bincreas(?:ed|ing)\b", r"\breduc(?:ed|ing)\b", r"\bdecreas(?:ed|ing)\b",
            r"\bimproved\b", r"\bsaved\b", r"\bgrew\b", r"\bcut\b", r"\braised\b", r"%",
            r"\bpercent\b", r"\blearn(?:ed|t)\b", r"\bachieved\b", r"\bwon\b", r"\bdelivered\b",
            r"\bin the end\b", r"\bultimately\b", r"\bwent (?:up|down|from)\b", r"\bdropped\b",
            r"\bshipped\b", r"\bfinished\b",
        ),
    },
    "zh-hans": {
        "situation": (
            r"当时", r"那时", r"期间", r"情况", r"背景", r"实习", r"项目", r"遇到", r"问题",
            r"困难", r"面临", r"时候", r"之前",
        ),
        "task": (
            r"负责", r"任务", r"目标", r"职责", r"需要", r"要求", r"我的角色", r"担任", r"承担",
        ),
        "result": (
            r"结果", r"最终", r"最后", r"提升", r"提高", r"增长", r"增加", r"降低", r"减少",
            r"缩短", r"节省", r"达成", r"实现", r"%", r"收获", r"学到", r"成效", r"效果", r"获得",
            r"完成",
        ),
    },
}  # fmt: skip
_STAR: dict[Language, dict[str, tuple[re.Pattern[str], ...]]] = {
    language: {part: _compile(patterns) for part, patterns in parts.items()}
    for language, parts in _CUES.items()
}

# --- Numbers ---------------------------------------------------------------------------------
_UNITS = (
    r"%|퍼센트|percent|배|명|건|원|만\s?원|억|천|만|개월|개|주|일|시간|분|초|위|점|년|회|차|곳|번|"
    r"x|k|m|people|users|customers|hours|days|weeks|months|times|"
    r"万|倍|人|个|元|次|天|周|年|小时|分钟|名|位|项|家|份|条|篇|场|成"
)
# A number with its unit, or a bare one; a number glued to another word is a name or a date
# ("3학년", "3월", "mp3"), not a measure.
_DIGITS = re.compile(
    r"(?<![A-Za-z])\d+(?:[.,]\d+)*"
    r"(?:\s?(?:" + _UNITS + r")(?![A-Za-z])|(?![\dA-Za-z가-힣\u4e00-\u9fff]))",
    re.IGNORECASE,
)
_KO_WORD_NUMBER = re.compile(
    r"(?:두|세|네|다섯|여섯|일곱|여덟|아홉|열|스무|수십|수백|수천)\s?"
    r"(?:명|배|달|주|번|개|건|곳|차례|시간|개월|가지)|한\s?(?:달|주|시간)|절반"
)
_ZH_WORD_NUMBER = re.compile(
    r"(?:[二两三四五六七八九十百千万亿]|一[十百千万亿])[零一二两三四五六七八九十百千万亿]*"
    r"(?:个月|个|倍|万|人|次|天|周|月|年|小时|元|项|名|位|家|份|条|篇|场|成)|一倍|一半"
    r"|百分之[零一二两三四五六七八九十百点]+"
)
_EN_WORD_NUMBER = re.compile(
    r"\b(?:two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|thirty|fifty|hundred|"
    r"thousand|twice|double|doubled|tripled|half)\b"
)
_YEAR = re.compile(r"^(?:19|20)\d\d\s?(?:년|年)?$")

# --- Vague words, fillers -----------------------------------------------------------------------
_VAGUE: dict[Language, tuple[str, ...]] = {
    "ko": (
        r"열심히", r"최선을 다", r"여러 ?가지", r"다양한", r"많은 것", r"많이 배웠", r"항상",
        r"성실히", r"성실하게", r"나름", r"최대한", r"좋은 결과", r"잘 해결", r"잘 마무리",
        r"원만하게", r"원활하게", r"열정적으로", r"적극적으로", r"무엇이든", r"뭐든",
    ),
    "en": (
        r"\bhard[- ]?working\b", r"\bworked hard\b", r"\bwork hard\b", r"\bvarious\b",
        r"\ba lot of\b", r"\blots of\b", r"\bmany things\b", r"\b(?:did|do) my best\b",
        r"\balways\b", r"\bpassionate\b", r"\bteam player\b", r"\bgood results?\b",
        r"\bsuccessfully\b", r"\bwent well\b", r"\bthings\b", r"\bsomehow\b",
        r"\blearned a lot\b",
    ),
    "zh-hans": (
        r"努力", r"各种", r"很多", r"一直", r"尽力", r"认真", r"积极", r"不错", r"比较好",
        r"一些", r"很好", r"顺利", r"全力", r"学到了很多",
    ),
}  # fmt: skip
_VAGUE_RE = {language: _compile(patterns) for language, patterns in _VAGUE.items()}

_KO_FILLER_TOKENS = frozenset(
    {"음", "으음", "흠", "어", "아", "그냥", "뭔가", "약간", "막", "진짜", "되게", "완전", "그니까"}
)
_KO_SLANG = re.compile(r"[ㅋㅎㅠㅜ]{2,}|대박|짱")
_EN_FILLERS = _compile(
    (
        r"\bu+m+\b", r"\bu+h+\b", r"\berm\b", r"\bhmm+\b", r"\byou know\b", r"\bbasically\b",
        r"\bliterally\b", r"\bi mean\b", r"(?<!this )(?<!that )(?<!what )(?<!the )(?<!any )"
        r"(?<!some )(?<!a )\bkind of\b", r"(?<!this )(?<!that )(?<!the )(?<!a )\bsort of\b",
        r"\bkinda\b", r"\bsorta\b", r"\bgonna\b", r"\bwanna\b", r"\bstuff\b", r"\blol\b",
        r"\byeah\b", r"\bwhatever\b", r"\bdude\b", r"\bokay so\b",
        r",\s*like\b|\blike,|\b(?:was|were|i'm|it's|and)\s+like\b"
        r"(?!\s+(?:a|an|the|this|that|to|it|me|him|her|them|us)\b)",
    ),
)  # fmt: skip
_ZH_FILLERS = _compile(
    (
        r"嗯+",
        r"呃+",
        r"那个(?=[,\uff0c。…\s]|那个)",
        r"就是(?=[,\uff0c…\s]|就是|说)",
        r"反正",
        r"怎么说呢",
        r"啥的",
        r"哈哈+",
        r"然后(?=然后)",
    )
)

# What the example answer drops from the user's sentences: fillers and empty intensifiers that
# leave a grammatical sentence behind ("and stuff" or "was like" would not).
_DROPPABLE: dict[Language, tuple[re.Pattern[str], ...]] = {
    "ko": _compile(
        (
            r"(?<![가-힣])(?:음+|으음|흠+|어+|아+|그냥|뭔가|약간|막|진짜|되게|완전|그니까)"
            r"(?![가-힣])[.,…~]*\s*",
            r"[ㅋㅎㅠㅜ]{2,}\s*",
            r"열심히\s+|최선을 다해서?\s+|정말\s+",
        )
    ),
    "en": _compile(
        (
            r"\b(?:u+m+|u+h+|erm|hmm+)\b[,.…]*\s*", r",?\s*\byou know\b,?", r"\bbasically\b,?\s*",
            r"\bliterally\s+", r"\bi mean\b,?\s*", r"\b(?:kinda|sorta)\s+", r"\byeah\b,?\s*",
            r"\bokay so\b,?\s*", r",\s*like\b,?|\blike,\s*", r"\breally\s+|\bvery\s+",
        ),
        re.IGNORECASE,
    ),
    "zh-hans": _compile(
        (
            r"[嗯呃]+[,\uff0c…]*", r"那个[,\uff0c]", r"就是[,\uff0c]", r"然后(?=然后)",
            r"怎么说呢[,\uff0c]?", r"哈哈+",
        )
    ),
}  # fmt: skip

# --- Korean register -----------------------------------------------------------------------------
_POLITE_FINAL = ("니다", "니까", "요", "죠", "시오", "세요")
_BANMAL_FINAL = (
    "어", "아", "야", "지", "거든", "는데", "은데", "냐", "니", "래", "게", "자", "해", "봐",
    "줘", "돼", "음", "함", "임", "네", "군", "걸", "됨",
)  # fmt: skip
# Anywhere in a sentence (a run-on answer may have no punctuation), only unambiguous endings.
_POLITE_ANYWHERE = ("습니다", "니다", "세요", "어요", "아요", "에요", "예요", "해요", "죠")
_BANMAL_ANYWHERE = (
    "했다", "었다", "았다", "였다", "겠다", "한다", "된다", "했어", "었어", "았어", "거든",
    "거야", "잖아", "했지", "했음", "이야",
)  # fmt: skip

# --- Relevance ----------------------------------------------------------------------------------
_KO_PARTICLES = (
    "에서의", "으로서", "에서", "에게", "으로", "로서", "까지", "부터", "했던", "하였던",
    "하셨던", "했을", "해서", "하신", "하는", "하고", "했다", "입니까", "습니까", "인가요",
    "나요", "까요", "세요", "을", "를", "이", "가", "은", "는", "와", "과", "의", "도", "에",
    "로", "한", "할", "해", "던",
)  # fmt: skip
_KO_QUESTION_WORDS = frozenset(
    {
        "무엇", "무엇인", "어떻게", "어떤", "어떠", "말씀", "주세", "주시", "경험", "사례", "본인",
        "자신", "대해", "대하", "설명", "이야기", "있다면", "있나", "있으", "가장", "했는지",
        "하는지", "생각", "얘기", "소개", "자기소개", "그리고", "그때", "당시", "지원자", "까닭",
        "이유", "왜", "언제", "있었", "있습", "하셨", "하시", "하였", "했", "하나", "인가", "입니",
        "되었", "됐", "있다", "있는", "없", "하게", "되", "할", "해야", "지원", "직무", "회사",
        "입사", "당사", "저희", "우리",
    }
)  # fmt: skip
# One-syllable words worth matching; any other one-syllable stem is a particle or a verb's stub.
_KO_ONE_SYLLABLE_NOUNS = frozenset({"팀", "꿈", "앱", "돈", "책", "법", "벽", "빚", "값", "갑"})
_EN_STOPWORDS = frozenset(
    {
        "a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "for", "with", "about",
        "from", "by", "as", "into", "your", "you", "yourself", "yours", "me", "my", "i", "we",
        "our", "us", "tell", "describe", "time", "when", "what", "how", "why", "which", "who",
        "where", "did", "do", "does", "was", "were", "is", "are", "be", "been", "have", "has",
        "had", "give", "example", "situation", "experience", "would", "could", "can", "should",
        "please", "share", "walk", "through", "that", "this", "there", "their", "they", "it", "its",
        "one", "some", "any", "if", "then", "than", "so", "such", "most", "more", "explain", "talk",
        "moment", "occasion", "role", "position", "job", "company", "apply", "applied", "within",
        "while", "during", "after", "before", "recent", "last",
    }
)  # fmt: skip
_ZH_STOP_CHARS = frozenset(
    "的了你我在是请一次和与中吗呢么什如何哪个这那有为对把被将从也都就要会能您过曾"
)
_ZH_STOP_BIGRAMS = frozenset(
    {"描述", "经历", "介绍", "说说", "谈谈", "举例", "例子", "分享", "自己", "时候", "怎样",
     "怎么", "为什", "请问", "一下", "情况", "自我", "岗位", "应聘", "公司", "职位"}
)  # fmt: skip

# --- 인재상 (talent) --------------------------------------------------------------------------
# Obvious variants of the qualities companies list, across the three languages: a talent
# phrase matches when its own words or any variant of its concept occurs in the answer.
_TALENT_CONCEPTS: tuple[tuple[str, ...], ...] = (
    ("도전", "challeng", "ambitio", "bold", "挑战", "敢于"),
    ("협업", "협력", "팀워크", "상생", "collaborat", "teamwork", "cooperat", "合作", "协作"),
    ("소통", "커뮤니케이션", "의사소통", "경청", "communicat", "listen", "沟通", "交流"),
    ("고객", "사용자", "소비자", "customer", "client", "user", "客户", "用户", "顾客"),
    ("혁신", "창의", "innovat", "creativ", "创新", "创意"),
    ("책임", "주인의식", "오너십", "responsib", "ownership", "accountab", "责任", "担当"),
    ("정직", "신뢰", "윤리", "투명", "integrity", "honest", "trust", "ethic", "诚信", "正直"),
    ("성장", "학습", "배움", "자기계발", "growth", "grow", "learn", "成长", "学习"),
    ("열정", "열의", "passion", "热情", "激情"),
    ("전문성", "전문", "expert", "professional", "专业"),
    ("글로벌", "해외", "global", "international", "全球", "国际"),
    ("탁월", "최고", "excellen", "卓越", "一流"),
    ("실행", "추진", "끈기", "execut", "persever", "执行", "坚持"),
    ("데이터", "data", "数据"),
)
_TALENT_FILLER_WORDS = frozenset(
    {
        "중심", "우선", "최우선", "지향", "정신", "자세", "인재", "가치", "문화", "마인드", "하는",
        "있는", "갖춘", "가진", "사람", "focus", "focused", "mindset", "spirit", "oriented",
        "driven", "first", "people", "person", "culture", "value", "values", "the", "and", "of",
        "精神", "意识", "人才", "导向",
    }
)  # fmt: skip
_KO_TALENT_SUFFIXES = ("적인", "적", "하는", "한", "성", "력", "의")

# --- Answer context: team, conflict, learning, link to the role -------------------------------
_TEAM: dict[Language, re.Pattern[str]] = {
    "ko": re.compile(r"팀|동료|저희|우리|함께|조원|멤버"),
    "en": re.compile(r"\bteam|\bcolleague|\bco-?workers?\b|\bwe\b|\bour\b"),
    "zh-hans": re.compile(r"团队|我们|同事|组员|小组|队友"),
}
_CONFLICT: dict[Language, re.Pattern[str]] = {
    "ko": re.compile(
        r"갈등|충돌|의견 ?차이|의견이 달|반대|불만|마찰|다툼|대립|이견|안 맞|맞지 않|부딪"
    ),
    "en": re.compile(
        r"\bconflict\w*|\bdisagree\w*|\bpushback\b|\btension\b|\bargument\w*|\bfriction\b"
        r"|\bclash\w*|\bobject(?:ed|ion)\b"
    ),
    "zh-hans": re.compile(r"冲突|分歧|矛盾|争执|意见不合|意见不一|反对|不满"),
}
_LEARNED: dict[Language, re.Pattern[str]] = {
    "ko": re.compile(r"배웠|배운|깨달|느꼈"),
    "en": re.compile(r"\blearn(?:ed|t)\b|\brealized\b|\brealised\b|\btaught me\b"),
    "zh-hans": re.compile(r"学到|学会|体会|意识到|明白了"),
}
_LINK_ROLE: dict[Language, re.Pattern[str]] = {
    "ko": re.compile(r"입사|직무|귀사|지원한|지원하|회사에서|업무에서|기여"),
    "en": re.compile(
        r"\bthis (?:role|position|job)\b|\byour (?:company|team|organi[sz]ation)\b|\bjoin\w*"
        r"|\bcontribut\w*|\bbring to\b"
    ),
    "zh-hans": re.compile(r"贵公司|岗位|职位|入职|加入|贡献"),
}

_HANGUL = re.compile(r"[가-힣ㄱ-ㅎㅏ-ㅣ]")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")
_EN_WORD = re.compile(r"[A-Za-z]+(?:['\u2019][A-Za-z]+)?")
_KO_TOKEN = re.compile(r"[가-힣ㄱ-ㅎㅏ-ㅣA-Za-z0-9%]+")
_SENTENCE_END = re.compile(r"(?<=[.!?。\uff01\uff1f])\s*|\n+")


@dataclass(frozen=True)
class Signals:
    """Measurements of one answer. Positions are character offsets in the text as measured:
    `text` NFKC-normalised and lower-cased."""

    language: Language
    """The language the answer was measured in: the interview's, unless the answer is clearly
    written in another script (then that script's language)."""
    expected: Language
    """The interview's language (`FeedbackRequest.language`)."""
    text: str = field(repr=False)
    """What was judged, as written: the first MAX_ANSWER characters, whitespace folded."""
    truncated: bool
    chars: int
    """Characters other than whitespace."""
    words: int
    """Whitespace-separated tokens (English: words)."""
    sentences: int
    star_positions: tuple[int | None, int | None, int | None, int | None]
    """First situation, first task, first action and last result cue (None when absent)."""
    numbers: tuple[str, ...]
    """Every number as written ("30%", "2주", "两倍", "three")."""
    metrics: tuple[str, ...]
    """The numbers that are not a bare year: sizes, rates, durations, amounts."""
    actions: tuple[str, ...]
    """Named actions (verbs that say what was done), each once, in order of appearance."""
    vague: tuple[str, ...]
    fillers: tuple[str, ...]
    """Every filler or slang occurrence, in order."""
    filler_ratio: float
    polite: int
    banmal: int
    banmal_examples: tuple[str, ...]
    register: Register
    """Korean only: how the sentences end; "none" for other languages or no verb endings."""
    keywords: tuple[str, ...]
    """The question's content words."""
    matched_keywords: tuple[str, ...]
    coverage: float | None
    """Share of the question's content words the answer takes up; None when there are none."""
    talent: tuple[str, ...]
    talent_hits: tuple[str, ...]
    team: bool
    conflict: tuple[str, ...]
    learned: bool
    link_role: bool
    copy_of_question: bool
    length: Length
    lazy: Lazy

    @property
    def star_parts(self) -> tuple[str, ...]:
        return tuple(
            part for part, at in zip(STAR_PARTS, self.star_positions, strict=True) if at is not None
        )

    @property
    def star_missing(self) -> tuple[str, ...]:
        return tuple(part for part in STAR_PARTS if part not in self.star_parts)

    @property
    def star_ordered(self) -> bool:
        """Whether the parts present come in a plausible order: the context and the task before
        the result, and an action before the (last) result."""
        situation, task, action, result = self.star_positions
        if result is None:
            return True
        return all(at is None or at <= result for at in (situation, task, action))

    @property
    def wrong_language(self) -> bool:
        return self.language != self.expected

    @property
    def is_lazy(self) -> bool:
        return bool(self.lazy)


def signals(
    text: str,
    language: Language,
    *,
    question: str = "",
    talent: Sequence[str] = (),
) -> Signals:
    """Measure `text` (an answer to `question` in an interview held in `language`), on its first
    MAX_ANSWER characters; `talent` is the company's 인재상."""
    truncated = len(text) > MAX_ANSWER
    judged = _normalise(text[:MAX_ANSWER])
    # Full-width digits and punctuation (common in Chinese and Korean input) fold to plain ones.
    folded = unicodedata.normalize("NFKC", judged)
    key = _measured_language(folded, language)
    lowered = folded.lower()
    chars = sum(1 for ch in judged if not ch.isspace())
    words = len(_EN_WORD.findall(folded)) if key == "en" else len(folded.split())
    sentences = len([part for part in _SENTENCE_END.split(folded) if part.strip()])
    star = _star_positions(lowered, key)
    numbers = _numbers(lowered, key)
    metrics = metrics_in(folded, key)
    actions = _unique(_verb(match) for match in _NAMED_ACTION[key].finditer(lowered))
    vague = _unique(m.group(0) for pattern in _VAGUE_RE[key] for m in pattern.finditer(lowered))
    fillers, tokens = _fillers(lowered, key)
    filler_ratio = _filler_ratio(fillers, tokens, chars, key)
    polite, banmal, banmal_examples = _register_counts(folded) if key == "ko" else (0, 0, ())
    register = _register(polite, banmal)
    keywords, matched, coverage = _relevance(question, lowered, key)
    talent_hits = tuple(phrase for phrase in talent if _talent_matches(phrase, lowered))
    copy = _is_copy(folded, question)
    length = _length(judged, chars, words, key)
    lazy = _lazy(chars, words, sentences, filler_ratio, copy, _variety(folded), key)
    return Signals(
        language=key,
        expected=language,
        text=judged,
        truncated=truncated,
        chars=chars,
        words=words,
        sentences=sentences,
        star_positions=star,
        numbers=numbers,
        metrics=metrics,
        actions=actions,
        vague=vague,
        fillers=fillers,
        filler_ratio=filler_ratio,
        polite=polite,
        banmal=banmal,
        banmal_examples=banmal_examples,
        register=register,
        keywords=keywords,
        matched_keywords=matched,
        coverage=coverage,
        talent=tuple(talent),
        talent_hits=talent_hits,
        team=bool(_TEAM[key].search(lowered)),
        conflict=_unique(m.group(0) for m in _CONFLICT[key].finditer(lowered)),
        learned=bool(_LEARNED[key].search(lowered)),
        link_role=bool(_LINK_ROLE[key].search(lowered)),
        copy_of_question=copy,
        length=length,
        lazy=lazy,
    )


def detect_language(text: str) -> Language | None:
    """The language whose script dominates `text` (Hangul, Han, Latin), None without letters.
    Latin letters count a third: a Korean answer naming "KPI" or "SQL" is still Korean."""
    hangul = len(_HANGUL.findall(text))
    han = len(_HAN.findall(text))
    latin = len(_LATIN.findall(text)) / 3
    if not hangul and not han and not latin:
        return None
    best = max((hangul, "ko"), (han, "zh-hans"), (latin, "en"), key=lambda pair: pair[0])
    language: Language = best[1]  # type: ignore[assignment]
    return language


def _measured_language(text: str, expected: Language) -> Language:
    """The interview's language unless the answer is clearly in another script: the expected
    script makes under a quarter of the letters (Latin letters counted a third, as above)."""
    weights: dict[Language, float] = {
        "ko": len(_HANGUL.findall(text)),
        "zh-hans": len(_HAN.findall(text)),
        "en": len(_LATIN.findall(text)) / 3,
    }
    total = sum(weights.values())
    if not total or weights[expected] / total >= 0.25:
        return expected
    return detect_language(text) or expected


def sentences_of(text: str) -> list[str]:
    """`text` cut into sentences, each keeping its closing punctuation."""
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]


def classify_sentence(sentence: str, language: Language) -> str | None:
    """The STAR part one sentence mostly tells (the part with the most cues in it), None when it
    carries no cue."""
    lowered = unicodedata.normalize("NFKC", sentence).lower()
    cues = _STAR[language]

    def count(patterns: Iterable[re.Pattern[str]]) -> int:
        return sum(1 for pattern in patterns for _ in pattern.finditer(lowered))

    weights = {
        "result": float(count(cues["result"])),
        "action": count([_NAMED_ACTION[language]]) + 0.5 * count([_GENERIC_ACTION[language]]),
        "task": float(count(cues["task"])),
        "situation": float(count(cues["situation"])),
    }
    best = max(weights.values())
    if not best:
        return None
    # On a tie the later part wins: a sentence with an outcome is a result even if it also
    # names the action that led there.
    return next(part for part in ("result", "action", "task", "situation") if weights[part] == best)


def banmal_tokens(sentence: str) -> list[tuple[int, int]]:
    """Spans of the words of a Korean sentence that end in 반말 (for the example's rewrite)."""
    spans: list[tuple[int, int]] = []
    found = list(_KO_TOKEN.finditer(sentence))
    for index, match in enumerate(found):
        if _ending(match.group(0), final=index == len(found) - 1) == "banmal":
            spans.append(match.span())
    return spans


def metrics_in(text: str, language: Language) -> tuple[str, ...]:
    """The numbers in `text` that measure something (not a bare year), as `Signals.metrics`."""
    lowered = unicodedata.normalize("NFKC", text).lower()
    return tuple(number for number in _numbers(lowered, language) if not _YEAR.match(number))


def without_fillers(sentence: str, language: Language) -> str:
    """`sentence` without the fillers and empty intensifiers that can go without breaking it."""
    for pattern in _DROPPABLE[language]:
        sentence = pattern.sub("", sentence)
    return sentence


# --- Measurements ---------------------------------------------------------------------------


def _verb(match: re.Match[str]) -> str:
    return next((group for group in match.groups() if group), match.group(0))


def _normalise(text: str) -> str:
    text = re.sub(r"[\u200b-\u200f\u2060\ufeff]", "", text)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def _star_positions(
    lowered: str, key: Language
) -> tuple[int | None, int | None, int | None, int | None]:
    cues = _STAR[key]

    def first(patterns: Iterable[re.Pattern[str]]) -> int | None:
        starts = [m.start() for pattern in patterns if (m := pattern.search(lowered))]
        return min(starts) if starts else None

    def last(patterns: Iterable[re.Pattern[str]]) -> int | None:
        starts = [m.start() for pattern in patterns for m in pattern.finditer(lowered)]
        return max(starts) if starts else None

    action = first((_NAMED_ACTION[key], _GENERIC_ACTION[key]))
    return first(cues["situation"]), first(cues["task"]), action, last(cues["result"])


def _numbers(lowered: str, key: Language) -> tuple[str, ...]:
    found: list[tuple[int, str]] = [
        (m.start(), m.group(0).strip()) for m in _DIGITS.finditer(lowered)
    ]
    word_numbers = {"ko": _KO_WORD_NUMBER, "en": _EN_WORD_NUMBER, "zh-hans": _ZH_WORD_NUMBER}[key]
    found += [(m.start(), m.group(0)) for m in word_numbers.finditer(lowered)]
    return tuple(number for _, number in sorted(found))


def _fillers(lowered: str, key: Language) -> tuple[tuple[str, ...], int]:
    """Each filler occurrence, and the number of tokens it is a share of."""
    if key == "ko":
        tokens = _KO_TOKEN.findall(lowered)
        found = [token for token in tokens if token in _KO_FILLER_TOKENS]
        found += [m.group(0) for m in _KO_SLANG.finditer(lowered)]
        return tuple(found), len(tokens)
    patterns = _EN_FILLERS if key == "en" else _ZH_FILLERS
    hits = sorted(
        (m.start(), m.group(0).strip(" ,")) for p in patterns for m in p.finditer(lowered)
    )
    return tuple(hit for _, hit in hits), len(_EN_WORD.findall(lowered)) if key == "en" else 0


def _filler_ratio(fillers: tuple[str, ...], tokens: int, chars: int, key: Language) -> float:
    if key == "zh-hans":
        # Chinese has no spaces: the share of characters that are filler.
        return sum(len(filler) for filler in fillers) / chars if chars else 0.0
    if key == "en":
        return sum(len(filler.split()) for filler in fillers) / tokens if tokens else 0.0
    return len(fillers) / tokens if tokens else 0.0


def _ending(word: str, *, final: bool) -> Literal["polite", "banmal", ""]:
    """How a Korean word ends: as a sentence's last word every verb ending counts; inside a
    sentence only unambiguous ones ("작년보다" ends in 다 but is a particle)."""
    if not _HANGUL.search(word[-1:]):
        return ""
    if final:
        if word.endswith(_POLITE_FINAL):
            return "polite"
        if len(word) >= 2 and word.endswith("다") and not word.endswith("보다"):
            return "banmal"
        if len(word) >= 2 and word.endswith(_BANMAL_FINAL):
            return "banmal"
        return ""
    if word.endswith(_POLITE_ANYWHERE):
        return "polite"
    if word.endswith(_BANMAL_ANYWHERE):
        return "banmal"
    return ""


def _register_counts(text: str) -> tuple[int, int, tuple[str, ...]]:
    polite = banmal = 0
    examples: list[str] = []
    for sentence in sentences_of(text):
        words = _KO_TOKEN.findall(sentence)
        for index, word in enumerate(words):
            ending = _ending(word, final=index == len(words) - 1)
            if ending == "polite":
                polite += 1
            elif ending == "banmal":
                banmal += 1
                if word not in examples and len(examples) < 3:
                    examples.append(word)
    return polite, banmal, tuple(examples)


def _register(polite: int, banmal: int) -> Register:
    if not polite and not banmal:
        return "none"
    if not banmal:
        return "polite"
    return "banmal" if banmal > polite else "mixed"


def _ko_stem(word: str) -> str:
    for particle in _KO_PARTICLES:
        if word.endswith(particle) and len(word) > len(particle):
            return word[: -len(particle)]
    return word


def _en_stem(word: str) -> str:
    word = word.lower().replace("\u2019", "'").removesuffix("'s")
    for suffix in ("ing", "ed", "es", "s", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    return word[:6]


def _relevance(
    question: str, lowered: str, key: Language
) -> tuple[tuple[str, ...], tuple[str, ...], float | None]:
    """The question's content words, those the answer takes up, and their share. Korean: each
    word without its particle; Chinese: the runs between function characters — both matched by
    their character bigrams (a word counts as taken up when half of them are); English: words
    matched by crude stems."""
    question = unicodedata.normalize("NFKC", question).lower()
    if key == "en":
        answer_stems = {_en_stem(word) for word in _EN_WORD.findall(lowered)}
        by_stem: dict[str, str] = {}
        for word in _EN_WORD.findall(question):
            if word not in _EN_STOPWORDS and len(word) > 2:
                by_stem.setdefault(_en_stem(word), word)
        matched = tuple(
            word
            for stem, word in by_stem.items()
            if any(
                stem == other or (min(len(stem), len(other)) >= 4 and other.startswith(stem))
                for other in answer_stems
            )
        )
        keywords = tuple(by_stem.values())
        return keywords, matched, len(matched) / len(keywords) if keywords else None
    if key == "zh-hans":
        stop = "".join(sorted(_ZH_STOP_CHARS))
        words = _unique(
            run
            for run in re.split("[^\u4e00-\u9fff]+|[" + stop + "]", question)
            if len(run) >= 2 and run not in _ZH_STOP_BIGRAMS
        )
    else:
        words = _unique(
            stem
            for word in re.findall(r"[가-힣]+|[a-z]{2,}", question)
            if (stem := _ko_stem(word))
            and (len(stem) > 1 or stem in _KO_ONE_SYLLABLE_NOUNS)
            and not any(stem.startswith(w) for w in _KO_QUESTION_WORDS)
        )
    if not words:
        return (), (), None
    total = 0.0
    matched_words: list[str] = []
    for word in words:
        if len(word) == 1 or word.isascii():
            share = 1.0 if word in lowered else 0.0
        else:
            bigrams = [word[i : i + 2] for i in range(len(word) - 1)]
            share = sum(1 for bigram in bigrams if bigram in lowered) / len(bigrams)
        total += share
        if share >= 0.5:
            matched_words.append(word)
    return words, tuple(matched_words), total / len(words)


def _talent_words(phrase: str) -> list[str]:
    words: list[str] = []
    for word in re.findall(r"[가-힣]+|[a-z]+|[\u4e00-\u9fff]+", phrase.lower()):
        if word in _TALENT_FILLER_WORDS:
            continue
        if _HANGUL.match(word) and len(word) >= 3:
            for suffix in _KO_TALENT_SUFFIXES:
                if word.endswith(suffix) and len(word) - len(suffix) >= 2:
                    word = word[: -len(suffix)]
                    break
        elif word.isascii():
            word = _en_stem(word) if len(word) > 4 else word
        if len(word) >= 2 and word not in _TALENT_FILLER_WORDS:
            words.append(word)
    return words


def _contains(haystack: str, needle: str) -> bool:
    if needle.isascii():
        return re.search(r"\b" + re.escape(needle), haystack) is not None
    return needle in haystack


def _talent_matches(phrase: str, lowered: str) -> bool:
    for word in _talent_words(unicodedata.normalize("NFKC", phrase)):
        if _contains(lowered, word):
            return True
        for concept in _TALENT_CONCEPTS:
            if any(variant in word or word in variant for variant in concept) and any(
                _contains(lowered, variant) for variant in concept
            ):
                return True
    return False


def _bigrams(text: str) -> set[str]:
    squeezed = re.sub(r"[\W_]+", "", text.lower())
    return {squeezed[i : i + 2] for i in range(len(squeezed) - 1)}


def _is_copy(answer: str, question: str) -> bool:
    """The answer repeats the question (whole or most of it) and adds next to nothing."""
    a, q = _bigrams(answer), _bigrams(question)
    if not a or not q:
        return False
    return len(a & q) / len(a | q) >= 0.6


def _length(text: str, chars: int, words: int, key: Language) -> Length:
    if not chars:
        return "empty"
    if len(text) >= NEAR_LIMIT:
        return "near_limit"
    short = words < SHORT_WORDS if key == "en" else chars < SHORT_CHARS
    return "short" if short else "ok"


def _variety(text: str) -> float:
    """Distinct character pairs per pair (1.0 for short text, where it tells nothing)."""
    squeezed = re.sub(r"\s+", "", text)
    pairs = len(squeezed) - 1
    if pairs < 50:
        return 1.0
    return len({squeezed[i : i + 2] for i in range(pairs)}) / pairs


def _lazy(
    chars: int,
    words: int,
    sentences: int,
    filler_ratio: float,
    copy: bool,
    variety: float,
    key: Language,
) -> Lazy:
    if not chars:
        return "empty"
    if copy:
        return "copy"
    if filler_ratio >= MOSTLY_FILLER:
        return "filler"
    if variety < REPETITIVE:
        return "repetitive"
    if key == "en":
        few = words < LAZY_WORDS or (sentences <= 1 and words < ONE_LINE_WORDS)
    else:
        few = chars < LAZY_CHARS or (sentences <= 1 and chars < ONE_LINE_CHARS)
    return "too_short" if few else ""


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(item for item in items if item))
