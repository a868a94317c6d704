"""The offline provider's parts: a curated question bank and a rubric that judges answers."""
