"""The interview's own words in English, the source text that facts.<lang>.po files translate.

Each key is a translation context under ``interface.``; determination titles and answer words are
added from the knowledge base by ``interface_texts``.
"""

from __future__ import annotations

from typing import Any

WORDS: dict[str, str] = {
    "title": "Asylum and refugee screening interview",
    "intro": "Answer one question at a time. The answers firm up as you go; you can go back and change any answer.",
    "disclaimer": "An information and training aid, not legal advice. Nothing you enter is stored on the server: "
                  "your answers stay in this page until you download them.",
    "aid": "An information and training aid, not legal advice.",
    "question": "Question",
    "why": "Why",
    "next": "Next",
    "dont_know": "I don't know",
    "back": "Back",
    "change": "Change",
    "finish": "See the report",
    "yes": "Yes",
    "no": "No",
    "unknown": "Unknown",
    "answered": "Questions answered",
    "remaining": "About {n} questions may remain",
    "progress": "Progress",
    "answers_so_far": "Answers so far",
    "your_answers": "Your answers",
    "download": "Download my answers",
    "resume": "Load answers from a file",
    "as_of": "Evaluate as of",
    "add_child": "Add a child",
    "remove": "Remove",
    "none": "None",
    "done": "Every question that could change these answers has been asked.",
    "report": "Case report",
    "report_language": "The case report is in English.",
    "lawyer_heading": "Please see a lawyer or accredited representative",
    "lawyer.bar": "A bar to asylum or withholding may apply: {rules}.",
    "lawyer.court": "The case is, or would be, in immigration court.",
    "lawyer.unverified": "An answer depends on a rule no source has confirmed yet: {rules}.",
    "error": "Something is wrong with the answers",
    "language": "Language",
    "restart": "Start again",
    "enter_value": "Enter a value",
}


def interface_texts(kb: Any, goals: tuple[str, ...]) -> dict[str, str]:
    """Every interface text a translation covers: the words above, answer words, and the titles of the goals
    and of the rules they read directly (the reasons the page gives)."""
    texts = {f"interface.{key}": text for key, text in WORDS.items()}
    for goal in goals:
        for rule_id in (goal, *(kb.rules[goal].reads if goal in kb.rules else ())):
            if rule_id in kb.rules:
                texts[f"interface.rule.{rule_id}"] = kb.rules[rule_id].title
    for word, text in ANSWER_WORDS.items():
        texts[f"interface.answer.{word}"] = text
    return texts


ANSWER_WORDS: dict[str, str] = {
    "eligible": "Eligible", "ineligible": "Not eligible", "undetermined": "Not determined yet",
    "met": "Met", "excepted": "Late, but an exception applies", "missed": "Missed", "exempt": "Exempt",
    "not_applicable": "Not applicable", "affirmative": "Affirmative (USCIS asylum office)",
    "defensive": "Defensive (immigration court)",
}
