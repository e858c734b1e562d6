"""The commented competition.toml that `podium init` writes: every section with its defaults,
checked against the spec's parser whenever it is rendered."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Sequence

from podium.config.spec import parse_spec
from podium.core.errors import SpecError

DEFAULT_SPEC_TEMPLATE = """\
# competition.toml — the rules of one podium competition.
# Every field below shows its default; delete a line to keep the default.

name = "{name}"
description = "One model, four multilingual tasks (XTREME), ranked by quality and efficiency."
# Reference hardware label: durations are only compared between runs with the same label.
hardware = "local"

# Tasks and the languages that count. Omit `languages` to use every language of the task
# (XNLI 15, PAWS-X 7, UD-POS 33, PAN-X 40). `metric` picks the figure that counts.
[tasks.xnli]
metric = "accuracy"

[tasks.pawsx]
metric = "accuracy"

[tasks.udpos]
# "span_f1" is XTREME's figure (seqeval F1 over UPOS tags); "token_accuracy" is also reported.
metric = "span_f1"

[tasks.panx]
metric = "span_f1"

# A task of your own is declared with a `type` (classification, pair_classification, tagging,
# regression), its labels, the input fields a submission gets, and its metric (README: Tasks):
# [tasks.sentiment]
# type = "classification"
# labels = ["neg", "pos"]
# inputs = ["text"]
# metric = "macro_f1"        # or "module:function" for a metric of your own (scoring.py here)

[data]
# "synthetic" (offline demo data); a folder in XTREME format, {{task}}/{{split}}-{{lang}}.tsv
# (udpos/ may hold Universal Dependencies *.conllu files instead); a local copy of the Hugging
# Face google/xtreme parquet files, {{config}}/{{split}}-00000-of-00001.parquet; or
# "hf:google/xtreme" to load it with the `datasets` library from a reachable hub.
source = "{source}"
# Same source + same seed = the same split, example for example.
seed = 2020
# Shares of every task x language: public (handed to teams), eval and final (sealed).
public = 0.6
eval = 0.2
final = 0.2
# Part of the public share handed out as dev-{{lang}}.tsv (the rest is train-{{lang}}.tsv).
dev = 0.1
# Cap examples per task and language before splitting (omit for no cap).
# max_examples_per_language = 2000

# Stages run in order. `split` names the sealed set; attempts are per team.
# A stage may open and close by itself: times in ISO 8601 with a UTC offset (or Z), e.g.
# opens = 2026-12-01T09:00:00+01:00 and closes = 2026-12-15T18:00:00+01:00 (the final is
# run by hand). `max_per_day` caps a team's attempts per calendar day (UTC) besides `attempts`.
[[stages]]
name = "evaluation"
split = "eval"
attempts = 3
# max_per_day = 1
# opens = 2026-12-01T09:00:00+01:00
# closes = 2026-12-15T18:00:00+01:00
leaderboard = "public"       # updates after every scored attempt
release_code = true          # `podium code export` shares all teams' code once closed
declare_winner = true        # the stage winner enters the hall of fame when closed

[[stages]]
name = "final"
split = "final"
attempts = 1
leaderboard = "hidden"       # hidden until `podium final reveal`
release_code = false
declare_winner = false

[efficiency]
metric = "wall_time"         # duration of the whole test phase ("cpu_time", "energy" also)
idle_seconds = 0.25          # energy: idle power measured this long before each repeat
repeats = 1                  # fresh runs per submission; the median counts
confidence = 0.95            # a move needs this confidence that the gain clears the threshold
photo_finish_runs = "auto"   # unsure comparisons that matter: re-measure both, interleaved, up to this
                             # ("auto": what decides a 10% gain with 80% power at the measured noise)
photo_finish_max_runs = 400  # the most an "auto" budget takes per team
photo_finish_minutes = 120   # the most time a close's photo finish takes
noise_prior = 0.2            # run-to-run noise assumed until measured (podium calibrate)
reference_every = 20         # time a reference workload every N runs (a clock per machine)

# Efficiency re-ranking (DESIGN.md): the k-th most efficient team may move up
# bonus_places[k] places, one at a time, past a team above it only if the score gap is
# below max_score_gap points AND it is more than min_efficiency_gain faster.
[reranking]
bonus_places = [2, 1]
max_score_gap = 10.0
min_efficiency_gain = 0.05

[sandbox]
# "bwrap": bubblewrap sandbox (no network, read-only inputs, labels never visible).
# "subprocess": no sandbox — only for code you trust (podium refuses to evaluate with
# "bwrap" where bubblewrap is missing rather than fall back silently).
runner = "bwrap"
timeout_seconds = 900.0      # the test phase is killed after this
setup_timeout_seconds = 900.0
setup_network = false        # the untimed setup may install requirements; the run never has network
memory_mb = 8192             # all the run's processes together (a cgroup; per process without one)
max_processes = 256
max_file_mb = 2048           # largest single file
max_open_files = 1024
max_output_mb = 1024         # all predictions together (a tmpfs of that size where possible)
tmp_mb = 4096                # the run's private /tmp, also $HOME (a tmpfs of that size)
# cpus = "2-7"               # pin every run to the same cores; default: all of them
gpus = "all"                 # or the indices a run sees, e.g. [0]; [] for none
max_log_bytes = 10000000     # a run that prints more is stopped
max_upload_bytes = 536870912
environment_mb = 8192        # largest Python environment a build may make (podium env list)
own_environments = true      # a submission may bring requirements.txt or uv.lock (pinned wheels)

# A Python environment submissions may name ([submission] environment = "fast"): built once
# with uv, untimed and without data, kept by its hash, mounted read-only (podium env build).
# [environments.fast]
# requirements = "envs/fast.txt"   # pinned (uv pip compile's output), or a uv.lock
# python = "3.12"                  # a Python the evaluator has; default: its own

[store]
# SQLAlchemy URL; default: SQLite file podium.db in this folder.
# Point several competitions at one store to share a hall of fame.
# url = "sqlite:////srv/podium/podium.db"

[leaderboard]
aggregate = "mean"           # "weighted" (with weights = {{ xnli = 2 }}) or "mean_rank"
# references = ["Baseline"]  # teams shown as marked rows, never ranked (an organizer's baseline)
# columns = ["xnli", "panx"] # task columns shown (default: every task; the JSON has all)

[workers]
# Evaluation on other machines (docs: deploy/README.md): with a broker the server never runs
# a submission; `podium worker --hardware LABEL` machines do, one timed run at a time.
# broker = "redis://localhost:6379/0"   # or PODIUM_BROKER
lease_seconds = 30.0         # a claimed run whose worker is silent this long is run again
heartbeat_seconds = 10.0
redispatch_seconds = 600.0   # a queued submission nobody claimed is sent again after this

[integrity]
# Canaries: a share of each sealed split's items gets a label-preserving perturbed copy,
# sealed beside them and never scored. A run answering the copies worse than their originals
# (a table of the public test set's answers) is flagged to organizers, never to its team.
canary_share = 0.1           # 0 turns canaries off
# Contrast canaries: copies close to their original in text whose answer changes (tokens of
# another tag; another item's second text). A nearest-neighbour lookup copies the original's
# answer on them; an honest model follows the change.
contrast_share = 0.05        # 0 turns contrast canaries off
contrast_lean = 0.65         # the share of their discordant answers an honest model may copy
# honest_lean = 0.75         # default 0.75 until `podium calibrate` with the baseline sets
                             # it; a value written here overrides any calibration
suspect_p = 0.001            # a run is suspect below this p-value (its false-positive rate)

[notify]
# News as Apprise URLs (https://github.com/caronc/apprise/wiki); ${{VAR}} is read from the
# environment, so tokens stay out of this file. Try them with `podium notify test`.
# urls = ["slack://${{SLACK_TOKEN}}/#competition"]   # everyone: leaderboard, stages, final
tries = 5                    # a message that failed this often is given up (podium notify list)
retry_seconds = 30.0         # the wait after the first failure; doubles each time
timeout_seconds = 5.0        # of one try

# [notify.teams]             # each team hears of its own runs: scored (score, duration) or failed
# "Deep Percept" = ["mailto://${{MAIL_USER}}:${{MAIL_PASSWORD}}@example.com?to=deep@example.com"]
"""


def render_default_spec(name: str = "XTREME four-task challenge", source: str = "synthetic") -> str:
    """The commented competition.toml that `podium init` writes."""
    text = DEFAULT_SPEC_TEMPLATE.format(name=name.replace('"', "'"), source=source)
    parse_spec(text)  # the template must always be valid
    return text


def set_fields(text: str, assignments: Sequence[str], where: str = "--set") -> str:
    """`section.field=value` written over the field's line of a rendered spec (its comment
    kept), so that a scripted `podium init` needs no editor; the result must still parse."""
    for item in assignments:
        key, sep, value = item.partition("=")
        section, _, field = key.strip().rpartition(".")
        if not sep or not re.fullmatch(r"[A-Za-z_][\w-]*", field):
            raise SpecError(
                f"{item!r} is not FIELD=VALUE",
                where=where,
                hint="e.g. --set efficiency.photo_finish_max_runs=10 (section.field=value)",
            )
        text = _set_line(text, section, field, _toml_value(value.strip()), where)
    parse_spec(text, where=where)
    return text


def _toml_value(value: str) -> str:
    """A TOML value as given (10, 0.5, true, [2, 1], "x"), else the text as a string."""
    try:
        alone = len(tomllib.loads(f"v = {value}")) == 1  # not "1\nother = 2"
    except tomllib.TOMLDecodeError:
        alone = False
    return value if alone else json.dumps(value, ensure_ascii=False)


def _set_line(text: str, section: str, field: str, value: str, where: str) -> str:
    lines = text.split("\n")
    header = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?")
    current, start, end = "", 0 if not section else None, len(lines)
    for i, line in enumerate(lines):
        found = header.match(line)
        if not found:
            continue
        if current == section and start is not None and section != found.group(1):
            end = i
            break
        current = found.group(1)
        if current == section:
            if line.lstrip().startswith("[["):
                raise SpecError(
                    f"[[{section}]] is a list of tables: --set cannot choose one",
                    where=where,
                    hint="edit competition.toml",
                )
            start = i + 1
    if start is None:
        raise SpecError(f"no section [{section}] to set {field} in", where=where,
                        hint="give section.field as competition.toml names them")  # fmt: skip
    line_re = re.compile(rf"^(#\s*)?{re.escape(field)}\s*=.*?(\s{{2,}}#.*)?$")
    for i in range(start, end):
        found = line_re.match(lines[i])
        if found:
            line, comment = f"{field} = {value}", found.group(2)
            lines[i] = line.ljust(len(lines[i]) - len(comment)) + comment if comment else line
            return "\n".join(lines)
    lines.insert(start, f"{field} = {value}")
    return "\n".join(lines)
