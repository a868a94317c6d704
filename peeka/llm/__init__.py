"""LLM providers behind one interface, without Django: `openai` (any OpenAI-compatible server:
Ollama, llama.cpp server, vLLM, LM Studio, or a hosted service) and `offline` (the default: a
curated question bank chosen by retrieval, and rubric feedback from measurable signals).

    provider = providers.provider_for(Settings.from_env())
    asked = provider.questions(QuestionRequest(...))
    judged = provider.feedback(FeedbackRequest(...))

Every answer is validated against the pydantic models of `peeka.llm.types`; a provider that
cannot produce one raises `LLMError` with a stable code. Nothing here logs what a user wrote."""
