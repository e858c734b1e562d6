"""Predictions with the averaged perceptrons (see model.py): slower, more accurate."""

import json
import os
from pathlib import Path

from model import Perceptron, pair_features, tag


def main() -> None:
    raw = json.loads((Path(__file__).resolve().parent / "model.json").read_text(encoding="utf-8"))
    models = {task: Perceptron(m["classes"], m["weights"]) for task, m in raw.items()}
    inputs, outputs = Path(os.environ["PODIUM_INPUT_DIR"]), Path(os.environ["PODIUM_OUTPUT_DIR"])
    for path in sorted(inputs.glob("*/*.jsonl")):
        task = path.parent.name
        model = models[task]
        (outputs / task).mkdir(parents=True, exist_ok=True)
        with (
            path.open(encoding="utf-8") as src,
            (outputs / task / path.name).open("w", encoding="utf-8") as dst,
        ):
            for line in src:
                r = json.loads(line)
                if "tokens" in r:
                    out = {"id": r["id"], "tags": tag(model, r["tokens"])}
                else:
                    out = {
                        "id": r["id"],
                        "label": model.predict(pair_features(r["text_a"], r["text_b"])),
                    }
                dst.write(json.dumps(out, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
