"""Personal tokens from the command line: `token create --member`, `token list`, and
`team remove-member`, which ends that person's tokens and nobody else's."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from podium.cli.main import app
from podium.service import Podium


def podium_cli(root: Path, *args: str, code: int = 0) -> tuple[str, str]:
    result = CliRunner().invoke(app, [*args, "-c", str(root)], env={"COLUMNS": "80"})
    assert result.exit_code == code, result.stdout + result.stderr
    return result.stdout, result.stderr


def test_personal_tokens_from_the_command_line(competition_dir: Path) -> None:
    root = competition_dir
    podium_cli(root, "team", "add", "Deep Percept", "-m", "Alan", "-m", "Grace")
    podium_cli(root, "team", "add", "Quick Lex", "-m", "Barbara")
    _, err = podium_cli(root, "token", "create", "--team", "Deep Percept", "--member", "Allan",
                        code=2)  # fmt: skip
    assert "team 'Deep Percept' has no member 'Allan'" in err and "did you mean 'Alan'" in err
    _, err = podium_cli(root, "token", "create", "--team", "Quick Lex", "--member", "Alan",
                        code=2)  # fmt: skip
    assert "no member 'Alan'" in err  # Alan is in another team
    _, err = podium_cli(root, "token", "create", "--organizer", "--member", "Alan", code=2)
    assert "belongs to a member of a team" in err
    alan, _ = podium_cli(root, "token", "create", "--team", "Deep Percept", "--member", "Alan")
    grace, _ = podium_cli(root, "token", "create", "--team", "Deep Percept", "--member", "Grace")
    listed, _ = podium_cli(root, "token", "list")
    assert [line.split()[:5] for line in listed.splitlines()[2:]] == [
        ["1", "team", "Deep", "Percept", "Alan"], ["2", "team", "Deep", "Percept", "Grace"]]  # fmt: skip
    out, _ = podium_cli(root, "team", "remove-member", "Deep Percept", "Alan")
    assert "1 personal token(s) revoked" in out
    _, err = podium_cli(root, "team", "remove-member", "Deep Percept", "Alan", code=2)
    assert "no member 'Alan'" in err
    listed, _ = podium_cli(root, "token", "list")
    assert "revoked" in listed.splitlines()[2] and "Alan" in listed.splitlines()[2]
    podium = Podium.open(root)
    try:
        assert podium.tokens.authenticate(alan.strip()) is None
        who = podium.tokens.authenticate(grace.strip())
        assert who is not None and who.display == "Grace · Deep Percept"
    finally:
        podium.close()
    teams, _ = podium_cli(root, "team", "list")
    assert "Grace" in teams and "Alan" not in teams
