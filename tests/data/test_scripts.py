"""Scripts and tokens that break naive code survive reading, sealing, validation and scoring
byte for byte, and nothing is truncated."""

from __future__ import annotations

import json
from pathlib import Path

from podium.config.layout import CompetitionLayout
from podium.config.spec import parse_spec
from podium.data.jsonl import iter_jsonl
from podium.data.prepare import prepare
from podium.data.sources import load_source
from podium.harness.scoring import score_predictions
from podium.submission.predictions import expected_files, read_predictions
from podium.tasks import default_registry

TOKENS = {
    "th": ["สวัสดี", "ครับ", "กรุงเทพมหานคร"],
    "my": ["မြန်မာ", "နိုင်ငံ", "ရန်ကုန်"],
    "yo": ["Ọjọ́", "Èkó", "ìlú"],
    "hi": ["हिन्दी", "क़िला", "दिल्ली"],
    "he": ["שָׁלוֹם", "ירושלים", "עיר"],
    "ar": ["القاهرة", "مدينة", "ٱلْكِتَاب"],
    "zh": ["北", "京", "市"],
    "en": ["http://a.b/c#d", "10:30", "#tag"],
}


def _write_panx(root: Path, lang: str, n: int = 30, long_every: int = 0) -> None:
    lines = []
    for i in range(n):
        toks = TOKENS[lang] * (400 if long_every and i % long_every == 0 else 1)
        tags = ["B-LOC"] + ["I-LOC"] * (len(toks) - 1)
        # a last token makes every sentence unique
        lines += [f"{t}\t{g}" for t, g in zip(toks, tags, strict=True)] + [f"n{i}\tO", ""]
    text = "\r\n".join(lines) + "\r\n\r\n"
    (root / "panx").mkdir(parents=True, exist_ok=True)
    (root / "panx" / f"dev-{lang}.tsv").write_bytes(("\ufeff" + text).encode("utf-8"))


def test_scripts_survive_the_whole_path(tmp_path: Path) -> None:
    source = tmp_path / "src"
    langs = [lang for lang in TOKENS if lang in default_registry().get("panx").languages]
    for lang in langs:
        _write_panx(source, lang, long_every=7)
    spec = parse_spec(
        f'name = "s"\n[tasks.panx]\nlanguages = {json.dumps(langs)}\n[data]\nsource = "{source}"\n'
    )
    examples, label = load_source(spec, tmp_path, default_registry())
    layout = CompetitionLayout(tmp_path / "cup")
    prepare(spec, layout, examples, source_label=label, registry=default_registry())
    tasks = {"panx": default_registry().get("panx")}
    seen_long = False
    for split in ("eval", "final"):
        inputs = layout.inputs_dir(split)
        for lang in langs:
            for _, rec in iter_jsonl(inputs / "panx" / f"{lang}.jsonl"):
                *body, marker = rec["tokens"]
                assert set(body) <= set(TOKENS[lang]) and marker.startswith("n"), "a token changed"
                seen_long |= len(rec["tokens"]) >= 1200
        # a perfect submission scores 100 everywhere: ids, tokens and tags line up exactly
        out = tmp_path / f"out-{split}"
        for lang in langs:
            labels = list(iter_jsonl(layout.labels_dir(split) / "panx" / f"{lang}.jsonl"))
            (out / "panx").mkdir(parents=True, exist_ok=True)
            (out / "panx" / f"{lang}.jsonl").write_text(
                "".join(json.dumps(r, ensure_ascii=False) + "\n" for _, r in labels),
                encoding="utf-8",
            )
        preds = read_predictions(out, expected_files(inputs, tasks, {"panx": langs}))
        rows = score_predictions(preds, layout.labels_dir(split), tasks)
        assert {r.language for r in rows} == set(langs)
        assert all(r.value == 100.0 for r in rows)
    assert seen_long, "long sentences must be kept whole"
