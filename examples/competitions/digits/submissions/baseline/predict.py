"""Answer every input with the task's stored constant (see train.py)."""

import json
import os
from pathlib import Path

model = json.loads(Path(__file__).with_name("model.json").read_text(encoding="utf-8"))
src, dst = Path(os.environ["PODIUM_INPUT_DIR"]), Path(os.environ["PODIUM_OUTPUT_DIR"])
for path in sorted(src.glob("*/*.jsonl")):
    answer = model[path.parent.name]
    (dst / path.parent.name).mkdir(parents=True, exist_ok=True)
    with path.open() as rows, (dst / path.parent.name / path.name).open("w") as out:
        for line in rows:
            out.write(json.dumps({"id": json.loads(line)["id"], **answer}) + "\n")
