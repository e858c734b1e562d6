"""The smallest correct podium submission: the most frequent label of each task.

Reads every {task}/{lang}.jsonl in PODIUM_INPUT_DIR and writes one prediction per record to
the same path under PODIUM_OUTPUT_DIR. model.json (from train.py) holds the majority labels;
without it the usual XTREME majorities are used.
"""

import json
import os
from pathlib import Path

DEFAULT = {"xnli": "entailment", "pawsx": "0", "udpos": "NOUN", "panx": "O"}


def main() -> None:
    here = Path(__file__).resolve().parent
    model = DEFAULT
    if (here / "model.json").is_file():
        model = {**DEFAULT, **json.loads((here / "model.json").read_text(encoding="utf-8"))}
    inputs = Path(os.environ["PODIUM_INPUT_DIR"])
    outputs = Path(os.environ["PODIUM_OUTPUT_DIR"])
    for path in sorted(inputs.glob("*/*.jsonl")):
        task = path.parent.name
        (outputs / task).mkdir(parents=True, exist_ok=True)
        with (
            path.open(encoding="utf-8") as src,
            (outputs / task / path.name).open("w", encoding="utf-8") as dst,
        ):
            for line in src:
                record = json.loads(line)
                if "tokens" in record:  # tagging task: one tag per token
                    out = {"id": record["id"], "tags": [model[task]] * len(record["tokens"])}
                else:  # pair task: one label per pair
                    out = {"id": record["id"], "label": model[task]}
                dst.write(json.dumps(out, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
