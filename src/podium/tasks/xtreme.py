"""The four XTREME tasks podium's first competition is built on.

Language sets follow the XTREME benchmark (Hu et al., 2020): XNLI 15, PAWS-X 7,
UD-POS 33 and PAN-X 40 languages.
"""

from __future__ import annotations

from podium.tasks.base import Task, TaskKind

XNLI_LANGUAGES = (
    "ar", "bg", "de", "el", "en", "es", "fr", "hi", "ru", "sw", "th", "tr", "ur", "vi", "zh",
)  # fmt: skip
PAWSX_LANGUAGES = ("de", "en", "es", "fr", "ja", "ko", "zh")
UDPOS_LANGUAGES = (
    "af", "ar", "bg", "de", "el", "en", "es", "et", "eu", "fa", "fi", "fr", "he", "hi", "hu",
    "id", "it", "ja", "kk", "ko", "mr", "nl", "pt", "ru", "ta", "te", "th", "tl", "tr", "ur",
    "vi", "yo", "zh",
)  # fmt: skip
PANX_LANGUAGES = (
    "af", "ar", "bg", "bn", "de", "el", "en", "es", "et", "eu", "fa", "fi", "fr", "he", "hi",
    "hu", "id", "it", "ja", "jv", "ka", "kk", "ko", "ml", "mr", "ms", "my", "nl", "pt", "ru",
    "sw", "ta", "te", "th", "tl", "tr", "ur", "vi", "yo", "zh",
)  # fmt: skip

UPOS_TAGS = (
    "ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON",
    "PROPN", "PUNCT", "SCONJ", "SYM", "VERB", "X",
)  # fmt: skip
PANX_TAGS = ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC")


def xtreme_tasks() -> tuple[Task, ...]:
    """Build the four XTREME task definitions (a factory: nothing is built at import)."""
    return (
        Task(
            id="xnli",
            title="XNLI natural language inference",
            kind=TaskKind.PAIR,
            labels=("entailment", "neutral", "contradiction"),
            languages=XNLI_LANGUAGES,
            metrics=("accuracy",),
            default_metric="accuracy",
        ),
        Task(
            id="pawsx",
            title="PAWS-X paraphrase identification",
            kind=TaskKind.PAIR,
            labels=("0", "1"),
            languages=PAWSX_LANGUAGES,
            metrics=("accuracy",),
            default_metric="accuracy",
        ),
        Task(
            id="udpos",
            title="UD part-of-speech tagging",
            kind=TaskKind.TAGGING,
            labels=UPOS_TAGS,
            languages=UDPOS_LANGUAGES,
            # XTREME reports seqeval's F1 over UPOS tags; plain token accuracy is also kept.
            metrics=("span_f1", "token_accuracy"),
            default_metric="span_f1",
        ),
        Task(
            id="panx",
            title="PAN-X (WikiANN) named-entity recognition",
            kind=TaskKind.TAGGING,
            labels=PANX_TAGS,
            languages=PANX_LANGUAGES,
            metrics=("span_f1",),
            default_metric="span_f1",
        ),
    )
