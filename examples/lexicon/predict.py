"""Fast predictions with the lexicon model (see train.py): one dictionary lookup per token."""

import json
import os
from pathlib import Path

from train import features


def lookup(tokens: list[str], lexicon: dict[str, str], default: str) -> list[str]:
    """Most frequent tag per word; IOB prefixes follow the previous tag (B- starts a span)."""
    tags: list[str] = []
    for token in tokens:
        t = lexicon.get(token, default)
        if t[:2] in ("B-", "I-"):
            inside = bool(tags) and tags[-1][2:] == t[2:]
            t = ("I-" if inside else "B-") + t[2:]
        tags.append(t)
    return tags


def main() -> None:
    model = json.loads((Path(__file__).resolve().parent / "model.json").read_text(encoding="utf-8"))
    inputs, outputs = Path(os.environ["PODIUM_INPUT_DIR"]), Path(os.environ["PODIUM_OUTPUT_DIR"])
    for path in sorted(inputs.glob("*/*.jsonl")):
        task = path.parent.name
        m = model[task]
        (outputs / task).mkdir(parents=True, exist_ok=True)
        cues = set(m.get("cues", ()))
        with (
            path.open(encoding="utf-8") as src,
            (outputs / task / path.name).open("w", encoding="utf-8") as dst,
        ):
            for line in src:
                r = json.loads(line)
                if "tokens" in r:
                    out = {"id": r["id"], "tags": lookup(r["tokens"], m["lexicon"], m["default"])}
                else:
                    f = features(r["text_a"], r["text_b"], cues)
                    label = min(
                        m["centroids"],
                        key=lambda lab: sum(
                            (x - c) ** 2 for x, c in zip(f, m["centroids"][lab], strict=False)
                        ),
                    )
                    out = {"id": r["id"], "label": label}
                dst.write(json.dumps(out, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
