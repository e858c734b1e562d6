"""`podium --help` in the order of the work: try it, set up, take part, evaluate, follow, finish.

Click lists commands alphabetically (`remeasure` came first, `init` seventh). The help stays
plain Click text (Rich's help costs imports, and its markup ate `[notify]`); the groups are
written as Click sections. A command names its group with Typer's `rich_help_panel`, or is
listed in `WORKFLOW`; one in neither goes under "More commands".
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperGroup

# Typer's own Click (vendored in recent Typer, the package in older ones) types the arguments
# below: they are passed through untouched, so they are typed as Any here

# panel -> its commands, in the order an organizer (and a participant) meets them
WORKFLOW: dict[str, tuple[str, ...]] = {
    "Try it": ("demo",),
    "Set up a competition": ("init", "data", "team", "token", "stage", "env", "migrate"),
    "Take part (participants)": ("check", "submit", "status", "cancel", "baseline", "job",
                                 "budget"),
    "Evaluate": ("serve", "evaluate", "worker", "workers", "calibrate", "remeasure"),
    "Follow": ("leaderboard", "submissions", "run", "questions", "notify", "report"),
    "Decide": ("review", "attempts"),
    "Finish": ("final", "code", "hall-of-fame", "rules"),
}  # fmt: skip
MORE = "More commands"


def panel_of(name: str, command: Any) -> str:
    for panel, names in WORKFLOW.items():
        if name in names:
            return panel
    chosen: str | None = getattr(command, "rich_help_panel", None)
    return chosen or MORE


class WorkflowGroup(TyperGroup):
    """A Typer group whose help lists its commands by panel, in the workflow's order."""

    def list_commands(self, ctx: Any) -> list[str]:
        panels = [*WORKFLOW, MORE]
        names = super().list_commands(ctx)

        def key(name: str) -> tuple[int, int, str]:
            command = self.commands[name]
            panel = panel_of(name, command)
            place = panels.index(panel) if panel in panels else len(panels)
            listed = WORKFLOW.get(panel, ())
            return place, listed.index(name) if name in listed else len(listed), name

        return sorted(names, key=key)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        shown = [(n, self.commands[n]) for n in self.list_commands(ctx)]
        shown = [(n, c) for n, c in shown if not c.hidden]
        if not shown:
            return
        widest = max(len(n) for n, _ in shown)  # one column for every panel
        limit = formatter.width - 6 - widest
        groups: dict[str, list[tuple[str, str]]] = {}
        for name, command in shown:
            groups.setdefault(panel_of(name, command), []).append(
                (name.ljust(widest), command.get_short_help_str(limit))
            )
        for panel, rows in groups.items():
            with formatter.section(panel):
                formatter.write_dl(rows)
