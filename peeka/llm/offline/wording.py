"""The offline rubric's sentences in Korean, English and Simplified Chinese, each written for its
language (not translated from the others): IPro's [장점] / [개선점] / [구체적인 제안], the example's
labels and placeholders, and the interviewer's follow-up questions.

Korean feedback is in 합니다체 throughout; the follow-up questions are the interviewer's spoken
questions, in the polite 해요체 an interviewer uses ("말씀해 주시겠어요?"). Placeholders in the
example are in square brackets and never contain a digit: the rubric invents no number."""

# ruff: noqa: RUF001, RUF002
# (The Korean and Chinese sentences use their own quotation marks, commas and brackets.)

from __future__ import annotations

from collections.abc import Iterable

from peeka.llm.types import Language

Texts = dict[Language, str]

MESSAGES: dict[str, Texts] = {
    # --- [장점] strengths: only what is measurably in the answer -------------------------------
    "strength.star_complete": {
        "ko": "상황–과제–행동–결과(STAR)가 모두 들어 있고 순서도 자연스러워, 경험의 흐름이 "
        "한눈에 들어옵니다.",
        "en": "All four STAR parts — situation, task, action and result — are there, in a natural "
        "order, so the story is easy to follow.",
        "zh-hans": "情境、任务、行动、结果（STAR）四个要素齐全，顺序自然，经历讲得很清楚。",
    },
    "strength.star_partial": {
        "ko": "{parts} 요소를 갖춰 경험의 큰 줄기가 잡혀 있습니다.",
        "en": "The {parts} parts are in place, so the story already has a backbone.",
        "zh-hans": "已经讲到了{parts}，经历的主线比较清楚。",
    },
    "strength.numbers": {
        "ko": "{numbers}처럼 구체적인 숫자를 들어 경험의 규모와 성과가 분명하게 전달됩니다.",
        "en": "You use concrete figures ({numbers}), so the scale of the work and its impact "
        "are clear.",
        "zh-hans": "用{numbers}等具体数字交代了规模和成果，很有说服力。",
    },
    "strength.actions": {
        "ko": "{actions} 등 본인이 직접 한 행동을 분명히 밝혀 기여한 바가 잘 드러납니다.",
        "en": "You name what you did yourself ({actions}), so your own contribution is clear.",
        "zh-hans": "清楚说明了自己具体做了什么（{actions}），个人贡献一目了然。",
    },
    "strength.fit": {
        "ko": "회사 인재상({talent})과 맞닿은 모습을 답변에 담았습니다.",
        "en": "The answer reflects the company's values ({talent}).",
        "zh-hans": "回答体现了公司的人才理念（{talent}）。",
    },
    "strength.relevant": {
        "ko": "질문의 핵심({keywords})에 맞춰 답해 질문 의도에서 벗어나지 않습니다.",
        "en": "You answer the question that was asked and take up its key points ({keywords}).",
        "zh-hans": "紧扣问题的核心（{keywords}）作答，没有跑题。",
    },
    "strength.polite": {
        "ko": "처음부터 끝까지 존댓말로 답해 면접에 맞는 어투를 지켰습니다.",
        "en": "The answer keeps to polite Korean endings from start to finish, as an interview "
        "requires.",
        "zh-hans": "全程使用敬语作答，语气符合面试场合。",
    },
    "strength.clean_tone": {
        "ko": "군말이나 속어 없이 차분한 어투로 답했습니다.",
        "en": "The tone is professional throughout, with no filler words or slang.",
        "zh-hans": "语气得体，没有口头禅和过于口语化的表达。",
    },
    "strength.learned": {
        "ko": "경험에서 배운 점까지 정리해 스스로 돌아보는 모습을 보여 줍니다.",
        "en": "You close with what you learned, which shows reflection.",
        "zh-hans": "总结了从中学到的东西，体现出反思能力。",
    },
    "strength.link_role": {
        "ko": "경험을 지원 직무와 연결해 답변을 마무리했습니다.",
        "en": "You connect the experience to the role you are applying for.",
        "zh-hans": "把这段经历和应聘的岗位联系了起来。",
    },
    "strength.length": {
        "ko": "분량({size})이 면접 답변으로 알맞습니다.",
        "en": "The length ({size}) suits a spoken interview answer.",
        "zh-hans": "篇幅（{size}）适合面试中的口头回答。",
    },
    # --- [개선점] improvements: what is measurably missing --------------------------------------
    "improve.empty": {
        "ko": "답변이 비어 있어 평가할 내용이 없습니다. 질문에 맞는 경험을 하나 골라 답변을 "
        "작성해야 합니다.",
        "en": "The answer is empty, so there is nothing to assess yet. Pick one real experience "
        "that fits the question and write it out.",
        "zh-hans": "回答是空的，暂时无法评估。请挑选一段与问题相关的真实经历写下来。",
    },
    "improve.copy": {
        "ko": "질문을 거의 그대로 옮겨 적은 답변입니다. 질문을 되풀이하지 말고 본인의 경험과 "
        "생각으로 답해야 합니다.",
        "en": "The answer mostly repeats the question. Answer it with your own experience instead "
        "of restating it.",
        "zh-hans": "回答基本是在重复问题。请用自己的经历和想法来回答，而不是复述问题。",
    },
    "improve.filler_only": {
        "ko": "{fillers} 같은 군말이 답변의 대부분이라 전달되는 내용이 거의 없습니다.",
        "en": "Filler words such as {fillers} make up most of the answer, so very little content "
        "comes through.",
        "zh-hans": "回答大部分是{fillers}这类口头禅，几乎没有传达出实际内容。",
    },
    "improve.repetitive": {
        "ko": "같은 글자나 말을 되풀이한 답변이라 평가할 내용이 없습니다. 질문에 맞는 경험을 "
        "직접 작성해야 합니다.",
        "en": "The answer repeats the same characters or words over and over, so there is "
        "nothing to assess. Write out a real experience that fits the question.",
        "zh-hans": "回答在反复重复同样的字词，没有可以评估的内容。请针对问题写一段真实的经历。",
    },
    "improve.too_short": {
        "ko": "답변이 {size}에 그쳐 면접관이 판단할 근거가 거의 없습니다. 한 줄로 끝내지 말고 "
        "실제 경험을 상황부터 결과까지 풀어 말해야 합니다.",
        "en": "At {size}, the answer gives the interviewer almost nothing to go on. Instead of one "
        "line, tell a real experience from the situation to the result.",
        "zh-hans": "回答只有{size}，面试官几乎无从判断。不要一句话带过，请把一段真实经历从情境"
        "到结果完整讲出来。",
    },
    "improve.wrong_language": {
        "ko": "면접은 {expected}로 진행되는데 답변이 {used}로 작성되었습니다. 면접 언어로 "
        "답해야 합니다.",
        "en": "The interview is in {expected}, but the answer is written in {used}. Answer in the "
        "interview's language.",
        "zh-hans": "本次面试使用{expected}，但回答是用{used}写的。请使用面试语言作答。",
    },
    "improve.off_topic": {
        "ko": "질문의 핵심어({keywords})가 답변에 거의 나오지 않습니다. 질문이 묻는 경험에 맞게 "
        "답하고 있는지 다시 확인해야 합니다.",
        "en": "The question's key points ({keywords}) hardly appear in the answer. Check that "
        "you are answering what was asked.",
        "zh-hans": "问题的关键词（{keywords}）在回答中几乎没有出现，请确认回答是否切题。",
    },
    "improve.banmal": {
        "ko": "답변이 반말로 끝납니다({examples}). 면접 답변은 ‘~했습니다’나 ‘~했어요’처럼 "
        "존댓말로 해야 합니다.",
        "en": "The answer uses casual Korean endings (banmal: {examples}). An interview answer is "
        "given in polite speech, ending in -습니다 or -어요.",
        "zh-hans": "回答使用了韩语的非敬语（반말：{examples}）。面试回答应使用敬语，以"
        "“-습니다”或“-어요”结尾。",
    },
    "improve.mixed_register": {
        "ko": "일부 문장이 반말로 끝납니다({examples}). 모든 문장을 존댓말로 통일해야 합니다.",
        "en": "Some sentences end in casual Korean (banmal: {examples}). Keep every sentence in "
        "polite speech.",
        "zh-hans": "部分句子用了韩语的非敬语（반말：{examples}），请全部统一为敬语。",
    },
    "improve.fit_job": {
        "ko": "직무 질문인데 회사 인재상({talent})과 연결된 내용이 없습니다. 이 경험이 인재상의 "
        "어느 부분과 맞닿아 있는지 분명히 밝혀야 합니다.",
        "en": "This is a job question, yet nothing in the answer ties to the company's values "
        "({talent}). Make clear which of them this experience shows.",
        "zh-hans": "这是岗位相关问题，但回答没有和公司的人才理念（{talent}）联系起来。请点明"
        "这段经历体现了其中哪一点。",
    },
    "improve.fit": {
        "ko": "회사 인재상({talent})과 연결되는 부분이 보이지 않습니다. 한 문장이라도 인재상과 "
        "이어 주면 좋습니다.",
        "en": "Nothing links the answer to the company's values ({talent}); even one sentence "
        "would help.",
        "zh-hans": "回答中看不到与公司人才理念（{talent}）的联系，哪怕加一句话也好。",
    },
    "improve.fit_unchecked": {
        "ko": "회사 인재상 정보가 없어 인재상과의 부합도는 평가하지 못했습니다. 지원 회사의 "
        "인재상을 등록하면 함께 점검할 수 있습니다.",
        "en": "No company values were given, so the fit with the company could not be checked. "
        "Add the company's values to have it checked too.",
        "zh-hans": "没有提供公司的人才理念，因此无法评估契合度。补充公司的人才理念后即可一并检查。",
    },
    "improve.star_missing": {
        "ko": "STAR 구조 중 {parts} 부분이 빠져 있습니다. {hint}",
        "en": "Missing from the STAR structure: {parts}. {hint}",
        "zh-hans": "STAR结构中缺少{parts}部分。{hint}",
    },
    "hint.situation": {
        "ko": "언제, 어디에서 있었던 일인지 먼저 짧게 밝혀야 합니다.",
        "en": "Start by saying briefly when and where this happened.",
        "zh-hans": "先简单交代事情发生的时间和背景。",
    },
    "hint.task": {
        "ko": "그 상황에서 본인이 맡은 역할과 목표를 밝혀야 합니다.",
        "en": "Say what your role and your goal were.",
        "zh-hans": "说明你当时承担的角色和目标。",
    },
    "hint.action": {
        "ko": "본인이 직접 한 행동을 구체적인 동사로 밝혀야 합니다.",
        "en": "Say what you did yourself, with concrete verbs.",
        "zh-hans": "用具体的动作说明你亲自做了什么。",
    },
    "hint.result": {
        "ko": "그래서 무엇이 달라졌는지, 결과를 밝혀야 합니다.",
        "en": "Say what changed as a result.",
        "zh-hans": "说明最后带来了什么结果。",
    },
    "improve.star_order": {
        "ko": "STAR 요소는 갖췄지만 순서가 뒤섞여 있습니다. 상황 → 과제 → 행동 → 결과 순서로 "
        "말하면 듣는 사람이 따라가기 쉽습니다.",
        "en": "The STAR parts are there but out of order. Situation → task → action → result is "
        "easier to follow.",
        "zh-hans": "STAR要素都有，但顺序有些乱。按情境→任务→行动→结果的顺序讲，更容易听懂。",
    },
    "improve.no_numbers": {
        "ko": "성과를 보여 주는 숫자가 없습니다. 기간, 인원, 비율(%), 금액처럼 잴 수 있는 수치를 "
        "넣으면 설득력이 훨씬 커집니다.",
        "en": "There are no numbers to show the impact. Time, people, percentages or money make "
        "a result far more convincing.",
        "zh-hans": "没有用数字体现成果。加上时间、人数、百分比或金额等可衡量的数据，会更有说服力。",
    },
    "improve.no_actions": {
        "ko": "본인이 직접 한 행동이 드러나지 않습니다. ‘제가 ~을 분석해 ~을 제안했습니다’처럼 "
        "무엇을 했는지 동사로 밝혀야 합니다.",
        "en": "Your own actions do not come through. Say what you did with clear verbs: "
        "“I analysed…, I proposed…”.",
        "zh-hans": "看不出你本人具体做了什么。请用明确的动词说明，比如“我分析了……，提出了……”。",
    },
    "improve.vague": {
        "ko": "{vague} 같은 막연한 표현은 면접관에게 아무것도 보여 주지 못합니다. 실제로 무엇을 "
        "어떻게 했는지로 바꿔야 합니다.",
        "en": "Vague phrases such as {vague} tell the interviewer nothing. Replace them with what "
        "you actually did and how.",
        "zh-hans": "{vague}这类笼统的说法无法让面试官了解你。请换成你实际做了什么、怎么做的。",
    },
    "improve.fillers": {
        "ko": "{fillers} 같은 군말이 {count}번 나옵니다. 말이 막힐 때는 군말 대신 잠깐 멈추는 "
        "편이 더 신뢰감을 줍니다.",
        "en": "Filler words such as {fillers} appear {count} times. A short pause sounds more "
        "confident than a filler.",
        "zh-hans": "{fillers}这类口头禅出现了{count}次。停顿一下，比用口头禅更显得从容自信。",
    },
    "improve.short": {
        "ko": "답변이 {size}로 짧습니다. {minimum} 이상으로 상황과 결과를 충분히 설명해야 합니다.",
        "en": "At {size}, the answer is short. Aim for at least {minimum} so that the situation "
        "and the result get their due.",
        "zh-hans": "回答只有{size}，偏短。建议写到{minimum}以上，把情境和结果讲充分。",
    },
    "improve.near_limit": {
        "ko": "답변이 1,000자 제한에 거의 닿았습니다. 핵심 경험 하나에 집중해 분량을 줄이면 "
        "전달력이 좋아집니다.",
        "en": "The answer is close to the 1,000-character limit. Focus on one key experience and "
        "trim the rest.",
        "zh-hans": "回答已接近1000字的上限。集中讲一段关键经历，删减其余内容，表达会更有力。",
    },
    "improve.truncated": {
        "ko": "답변이 1,000자를 넘어 앞의 1,000자만 평가했습니다. 핵심을 제한 안에서 먼저 "
        "말해야 합니다.",
        "en": "The answer is over 1,000 characters, so only the first 1,000 were assessed. Put the "
        "key points first, within the limit.",
        "zh-hans": "回答超过1000字，只评估了前1000字。请在字数限制内先讲重点。",
    },
    "improve.no_link": {
        "ko": "경험이 지원 직무와 어떻게 이어지는지가 빠져 있습니다. 마지막에 입사 후 이 경험을 "
        "어떻게 살릴지 한 문장을 덧붙이면 좋습니다.",
        "en": "The answer does not connect the experience to the role. End with one sentence on "
        "how you would use it in this job.",
        "zh-hans": "回答没有把经历和应聘岗位联系起来。最后可以补一句：入职后你会如何运用这段经验。",
    },
    "improve.polish": {
        "ko": "뚜렷한 약점은 보이지 않습니다. 실제 면접처럼 소리 내어 말해 보며 흐름을 다듬으면 "
        "좋습니다.",
        "en": "No clear weakness shows. Say it aloud as you would in the interview and smooth "
        "the flow.",
        "zh-hans": "没有明显的短板。可以像真实面试一样大声讲几遍，把表达打磨得更流畅。",
    },
    # --- [구체적인 제안] the single most useful next change ------------------------------------
    "suggest.lazy": {
        "ko": "질문에 맞는 경험 하나를 골라 ‘상황 → 과제 → 행동 → 결과’ 순서로 네다섯 문장을 "
        "써 보시기 바랍니다. 결과 문장에는 숫자를 하나 이상 넣으면 좋습니다.",
        "en": "Pick one experience that fits the question and tell it in four or five sentences: "
        "situation, task, action, result. Put at least one number in the result.",
        "zh-hans": "挑一段与问题相符的经历，按“情境→任务→行动→结果”写四五句话，并在结果里至少"
        "放一个数字。",
    },
    "suggest.wrong_language": {
        "ko": "같은 내용을 {expected}로 다시 써 보시기 바랍니다. 면접관이 답변을 그대로 이해할 수 "
        "있어야 평가도 제대로 이루어집니다.",
        "en": "Rewrite the same content in {expected}: the interviewer has to understand the "
        "answer as given.",
        "zh-hans": "请用{expected}把同样的内容重写一遍，面试官能直接看懂，评价才准确。",
    },
    "suggest.off_topic": {
        "ko": "첫 문장에서 질문의 핵심({keywords})을 바로 받아 답하고, 그에 맞는 경험 하나를 "
        "이어서 설명하시기 바랍니다.",
        "en": "Open with a sentence that takes up the question's key point ({keywords}) directly, "
        "then tell the one experience that answers it.",
        "zh-hans": "第一句话直接回应问题的核心（{keywords}），再讲与之对应的一段经历，就不会跑题。",
    },
    "suggest.banmal": {
        "ko": "모든 문장의 끝을 ‘~했습니다’ 또는 ‘~했어요’로 바꿔 존댓말로 통일하시기 바랍니다. "
        "면접에서는 내용보다 어투가 먼저 들립니다.",
        "en": "Change every sentence ending to polite speech (-습니다 or -어요): in a Korean "
        "interview the register is heard before the content.",
        "zh-hans": "请把所有句尾改成敬语（-습니다或-어요）。在韩语面试中，语气比内容更先被听到。",
    },
    "suggest.fit": {
        "ko": "결과 다음에 이 경험이 회사 인재상({talent}) 중 무엇을 보여 주는지 한 문장으로 "
        "이어 주시기 바랍니다.",
        "en": "After the result, add one sentence on which of the company's values ({talent}) "
        "this experience shows.",
        "zh-hans": "在结果之后加一句话，说明这段经历体现了公司人才理念（{talent}）中的哪一点。",
    },
    "suggest.situation": {
        "ko": "첫 문장에 ‘[시기], [소속]에서 [문제]가 있었습니다’처럼 언제, 어디에서 있었던 "
        "일인지 밝혀 주시기 바랍니다.",
        "en": "Open with the context: “In [when], at [where], we faced [problem].”",
        "zh-hans": "开头先交代背景：“[时间]，我在[单位]时遇到了[问题]。”",
    },
    "suggest.task": {
        "ko": "상황 다음에 ‘저는 [역할]을 맡아 [목표]를 이뤄야 했습니다’처럼 본인의 역할과 "
        "목표를 한 문장으로 밝히시기 바랍니다.",
        "en": "After the context, state your role and goal in one sentence: “My role was [role], "
        "and the goal was [goal].”",
        "zh-hans": "交代完背景，用一句话说明你的角色和目标：“我负责[职责]，目标是[目标]。”",
    },
    "suggest.action": {
        "ko": "‘제가 [무엇]을 [어떻게] 했습니다’처럼 본인이 직접 한 행동을 두세 가지 동사로 "
        "밝히시기 바랍니다.",
        "en": "Name two or three things you did yourself, each with a verb: “I [action] by "
        "[method].”",
        "zh-hans": "用两三个动词说明你亲自做的事：“我通过[方法][做了什么]。”",
    },
    "suggest.result": {
        "ko": "마지막에 ‘그 결과 [지표]가 [이전 수치]에서 [이후 수치]로 바뀌었습니다’처럼 결과를 "
        "숫자로 밝히는 문장을 덧붙이시기 바랍니다.",
        "en": "End with the result in numbers: “As a result, [metric] went from [before] to "
        "[after].”",
        "zh-hans": "结尾用数字讲结果：“最终，[指标]从[之前的数值]变为[之后的数值]。”",
    },
    "suggest.no_numbers": {
        "ko": "결과 문장에 기간, 인원, 비율처럼 잴 수 있는 수치를 하나 이상 넣으시기 바랍니다. "
        "예: ‘그 결과 [지표]가 [성과 수치]만큼 좋아졌습니다.’",
        "en": "Put at least one measurable figure in the result — time, people, a percentage: "
        "“As a result, [metric] improved by [number].”",
        "zh-hans": "在结果里至少加一个可衡量的数字，比如时间、人数或百分比：“最终[指标]提升了"
        "[具体数字]。”",
    },
    "suggest.vague": {
        "ko": "{vague} 같은 표현을 지우고, 그 자리에 실제로 한 일을 ‘제가 [무엇]을 [어떻게] "
        "했습니다’처럼 적으시기 바랍니다.",
        "en": "Delete phrases like {vague} and put what you actually did in their place: "
        "“I [action] by [method].”",
        "zh-hans": "删掉{vague}这类说法，换成你实际做的事：“我通过[方法][做了什么]。”",
    },
    "suggest.fillers": {
        "ko": "답변을 소리 내어 읽으며 {fillers} 같은 군말을 지우고, 말이 막히는 곳에서는 잠깐 "
        "멈추는 연습을 해 보시기 바랍니다.",
        "en": "Read the answer aloud, strike filler words like {fillers}, and practise pausing "
        "where you would otherwise fill the gap.",
        "zh-hans": "把回答大声读一遍，删掉{fillers}这类口头禅，卡住的地方练习用停顿代替。",
    },
    "suggest.star_order": {
        "ko": "문장 순서를 상황 → 과제 → 행동 → 결과로 다시 배열해 보시기 바랍니다. 결과는 "
        "마지막에 두어야 기억에 남습니다.",
        "en": "Reorder the sentences: situation, task, action, result. Keep the result for last "
        "so it sticks.",
        "zh-hans": "把句子按情境→任务→行动→结果重新排列，结果放在最后，更容易给人留下印象。",
    },
    "suggest.short": {
        "ko": "행동과 결과를 각각 한두 문장씩 더 풀어 {minimum} 이상으로 늘려 보시기 바랍니다.",
        "en": "Expand the action and the result by a sentence or two each, to at least {minimum}.",
        "zh-hans": "把行动和结果各多讲一两句，写到{minimum}以上。",
    },
    "suggest.trim": {
        "ko": "가장 중요한 경험 하나만 남기고 나머지는 과감히 줄여, 2분 안에 말할 수 있는 "
        "분량으로 다듬으시기 바랍니다.",
        "en": "Keep only the single most important experience and cut the rest, so the answer "
        "can be said in about two minutes.",
        "zh-hans": "只保留最重要的一段经历，其余大胆删减，控制在两分钟内能讲完的篇幅。",
    },
    "suggest.no_link": {
        "ko": "답변 끝에 ‘이 경험을 살려 입사 후 [업무]에서 [기여]하겠습니다’처럼 지원 직무와 "
        "잇는 문장을 하나 덧붙이시기 바랍니다.",
        "en": "Close with one sentence tying the experience to the job: “In this role, I would "
        "use this to [contribution].”",
        "zh-hans": "结尾加一句把经历和岗位联系起来：“入职后，我会把这段经验用在[工作]上，[贡献]。”",
    },
    "suggest.polish": {
        "ko": "구조와 근거가 잘 갖춰진 답변입니다. 소리 내어 2분 안에 말해 보며, 결과의 숫자를 "
        "자연스럽게 강조하는 연습을 해 보시기 바랍니다.",
        "en": "The structure and evidence are solid. Practise saying it aloud in under two "
        "minutes, landing the numbers in the result.",
        "zh-hans": "回答的结构和论据都很扎实。可以大声练习，在两分钟内讲完，并自然地突出结果中的"
        "数字。",
    },
    # --- follow-up questions, as the interviewer would ask them --------------------------------
    "follow.lazy": {
        "ko": "방금 답변을 실제 경험 하나로 다시 설명해 주시겠어요? 언제, 어떤 일이었나요?",
        "en": "Could you walk me through one real example? When and where did it happen?",
        "zh-hans": "能举一个你亲身经历的具体例子吗？当时是什么情况？",
    },
    "follow.no_result": {
        "ko": "그래서 결과는 어떻게 되었나요? 그 결과를 숫자로 말씀해 주시겠어요?",
        "en": "So what was the outcome? Could you put a number on it?",
        "zh-hans": "那最后结果怎么样？能用数字说明一下吗？",
    },
    "follow.result_number": {
        "ko": "그 결과를 숫자로 말씀해 주시겠어요?",
        "en": "Could you give me that result in numbers?",
        "zh-hans": "这个结果能用具体数字说明一下吗？",
    },
    "follow.team_role": {
        "ko": "그 팀에서 본인이 맡은 역할은 정확히 무엇이었나요?",
        "en": "What exactly was your own role in that team?",
        "zh-hans": "在这个团队里，你本人具体负责什么？",
    },
    "follow.conflict": {
        "ko": "말씀하신 {conflict} 어떻게 해결되었나요? 그 과정에서 본인은 무엇을 했나요?",
        "en": "How was that disagreement resolved, and what did you do yourself?",
        "zh-hans": "你提到的“{conflict}”最后是怎么解决的？你本人在其中做了什么？",
    },
    "follow.measured": {
        "ko": "말씀하신 수치({number})는 어떻게 측정하셨나요?",
        "en": "How did you measure that figure ({number})?",
        "zh-hans": "你提到的{number}，是怎么统计出来的？",
    },
    "follow.action": {
        "ko": "그 상황에서 본인이 직접 한 행동을 하나만 구체적으로 말씀해 주시겠어요?",
        "en": "What is one thing you did yourself in that situation?",
        "zh-hans": "在那种情况下，你亲自做的一件具体的事是什么？",
    },
    "follow.learned": {
        "ko": "그때 배운 점을 이후에 실제로 적용해 본 적이 있나요?",
        "en": "Have you put what you learned into practice since then?",
        "zh-hans": "后来你有没有把这次学到的东西用到实际工作中？",
    },
    "follow.fit": {
        "ko": "이 경험이 저희 회사 인재상 중 어떤 점과 맞닿아 있다고 보시나요?",
        "en": "Which of our company's values do you think this experience reflects?",
        "zh-hans": "你觉得这段经历体现了我们公司人才理念中的哪一点？",
    },
    "follow.different": {
        "ko": "같은 상황이 다시 온다면 무엇을 다르게 하시겠어요?",
        "en": "If you faced the same situation again, what would you do differently?",
        "zh-hans": "如果再遇到同样的情况，你会有什么不同的做法？",
    },
    # --- the example answer ---------------------------------------------------------------------
    "label.situation": {"ko": "상황", "en": "Situation", "zh-hans": "情境"},
    "label.task": {"ko": "과제", "en": "Task", "zh-hans": "任务"},
    "label.action": {"ko": "행동", "en": "Action", "zh-hans": "行动"},
    "label.result": {"ko": "결과", "en": "Result", "zh-hans": "结果"},
    "example.line": {
        "ko": "{label}: {body}",
        "en": "{label}: {body}",
        "zh-hans": "{label}：{body}",
    },
    "placeholder.situation": {
        "ko": "[언제, 어디에서 있었던 일인지]",
        "en": "[when and where it happened]",
        "zh-hans": "[时间、地点和背景]",
    },
    "placeholder.task": {
        "ko": "[제가 맡은 역할과 목표]",
        "en": "[your role and the goal]",
        "zh-hans": "[你的角色和目标]",
    },
    "placeholder.action": {
        "ko": "[제가 직접 한 행동 두세 가지]",
        "en": "[two or three things you did yourself]",
        "zh-hans": "[你亲自做的两三件事]",
    },
    "placeholder.result": {
        "ko": "그 결과 [지표]가 [이전 수치]에서 [성과 수치]로 바뀌었습니다.",
        "en": "As a result, [metric] went from [number] to [number].",
        "zh-hans": "最终，[指标]从[原来的数字]变为[具体数字]。",
    },
    "placeholder.numbers": {
        "ko": "구체적으로 [지표]가 [성과 수치]만큼 달라졌습니다.",
        "en": "Specifically, [metric] changed by [number].",
        "zh-hans": "具体来说，[指标]变化了[具体数字]。",
    },
    "placeholder.action_detail": {
        "ko": "[구체적으로 무엇을 어떻게 했는지]",
        "en": "[what exactly you did, and how]",
        "zh-hans": "[具体做了什么、怎么做的]",
    },
    "placeholder.fit": {
        "ko": "[이 경험이 보여 주는 회사 인재상: {talent} 중 하나]",
        "en": "[which of the company's values ({talent}) this shows]",
        "zh-hans": "[这段经历体现了公司人才理念（{talent}）中的哪一点]",
    },
    "placeholder.link": {
        "ko": "[입사 후 이 경험을 어떻게 살릴지 한 문장]",
        "en": "[one sentence on how you would use this in the role]",
        "zh-hans": "[入职后如何运用这段经验]",
    },
    # --- small words ----------------------------------------------------------------------------
    "part.situation": {"ko": "상황", "en": "situation", "zh-hans": "情境"},
    "part.task": {"ko": "과제", "en": "task", "zh-hans": "任务"},
    "part.action": {"ko": "행동", "en": "action", "zh-hans": "行动"},
    "part.result": {"ko": "결과", "en": "result", "zh-hans": "结果"},
    "language.ko": {"ko": "한국어", "en": "Korean", "zh-hans": "韩语"},
    "language.en": {"ko": "영어", "en": "English", "zh-hans": "英语"},
    "language.zh-hans": {"ko": "중국어", "en": "Chinese", "zh-hans": "中文"},
    "size.chars": {"ko": "{count}자", "en": "{count} characters", "zh-hans": "{count}字"},
    "size.words": {"ko": "{count}단어", "en": "{count} words", "zh-hans": "{count}个词"},
}

_SEPARATOR: dict[Language, str] = {"ko": ", ", "en": ", ", "zh-hans": "、"}
_PART_SEPARATOR: dict[Language, str] = {"ko": "·", "en": ", ", "zh-hans": "、"}
_QUOTES: dict[Language, tuple[str, str]] = {
    "ko": ("‘", "’"),
    "en": ("“", "”"),
    "zh-hans": ("“", "”"),
}


def say(key: str, language: Language, **values: object) -> str:
    """The sentence `key` in `language`, with `values` filled in (they are shown as given)."""
    return MESSAGES[key][language].format(**values)


def quoted(items: Iterable[str], language: Language, *, limit: int = 3, width: int = 20) -> str:
    """Up to `limit` items, each quoted and cut to `width` characters, joined as the language
    lists them: ‘도입’, ‘분석’ / “led”, “built” / “主导”、“优化”."""
    opening, closing = _QUOTES[language]
    shown = [_cut(item, width) for item in list(dict.fromkeys(items))[:limit]]
    return _SEPARATOR[language].join(f"{opening}{item}{closing}" for item in shown)


def part_names(parts: Iterable[str], language: Language) -> str:
    """STAR parts by name: 상황·행동 / situation, action / 情境、行动."""
    return _PART_SEPARATOR[language].join(say(f"part.{part}", language) for part in parts)


def size(count: int, language: Language, *, words: bool) -> str:
    return say("size.words" if words else "size.chars", language, count=f"{count:,}")


def josa(word: str, pair: str) -> str:
    """`word` followed by the Korean particle of `pair` ("은/는", "이/가", "을/를", "과/와",
    "으로/로") that fits how the word ends when read aloud; quotes and brackets are skipped."""
    with_final, without_final = pair.split("/")
    sound = word.rstrip("’'\"”)]} ")[-1:]
    final = _final_consonant(sound)
    if final is None:
        return f"{word}{with_final}({without_final})"
    if with_final == "으로":
        return word + ("로" if final in (0, 8) else "으로")
    return word + (with_final if final else without_final)


def quoted_with_josa(word: str, pair: str, language: Language) -> str:
    """‘갈등’은 in Korean (the particle after the closing quote), the quoted word elsewhere."""
    opening, closing = _QUOTES[language]
    text = f"{opening}{_cut(word, 20)}{closing}"
    if language != "ko":
        return text
    return josa(text, pair)


# How digits and a few symbols end when read in Korean: 0 영, 1 일, 3 삼, 6 육, 7 칠, 8 팔 end in
# a consonant (ㄹ for 1, 7, 8), the others in a vowel; % is read 퍼센트.
_DIGIT_FINAL = {"0": 21, "1": 8, "2": 0, "3": 16, "4": 0, "5": 0, "6": 1, "7": 8, "8": 8, "9": 0}


def _final_consonant(char: str) -> int | None:
    """The index of the final consonant (받침) `char` ends in when read: 0 for none, 8 for ㄹ;
    None when it cannot be told."""
    if "가" <= char <= "힣":
        return (ord(char) - 0xAC00) % 28
    if char in _DIGIT_FINAL:
        return _DIGIT_FINAL[char]
    if char == "%":
        return 0
    if char.isascii() and char.isalpha():
        # A rough reading of English: "-l" ends in ㄹ, "-m" and "-n" in a consonant.
        return {"l": 8, "m": 16, "n": 4}.get(char.lower(), 0)
    return None


def _cut(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"
