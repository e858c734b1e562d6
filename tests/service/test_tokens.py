"""Tokens: shown once, kept as sha256, revocable, never valid for another competition."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from podium.core.errors import NotFoundError, PodiumError
from podium.service import Podium
from podium.store.models import AccessToken


def test_tokens_are_kept_hashed_and_name_their_principal(podium: Podium) -> None:
    team = podium.tokens.create("team", team="Alpha", label="both members")
    organizer = podium.tokens.create("organizer", label="Ada")
    with podium.competition.sessions() as s:
        stored = set(s.scalars(select(AccessToken.token_sha256)))
    assert team not in stored and hashlib.sha256(team.encode()).hexdigest() in stored
    who = podium.tokens.authenticate(team)
    assert who is not None and (who.role, who.team) == ("team", "Alpha")
    assert podium.tokens.principal_by_id(who.token_id) == who
    boss = podium.tokens.authenticate(organizer)
    assert boss is not None and boss.is_organizer
    assert podium.tokens.authenticate("pdm_not-a-token") is None
    assert [(t.role, t.team, t.revoked) for t in podium.tokens.find()] == [
        ("team", "Alpha", False), ("organizer", None, False)]  # fmt: skip


def test_a_revoked_token_stops_at_once(podium: Podium) -> None:
    token = podium.tokens.create("team", team="Beta")
    who = podium.tokens.authenticate(token)
    assert who is not None
    podium.tokens.revoke(who.token_id)
    assert podium.tokens.authenticate(token) is None
    assert podium.tokens.principal_by_id(who.token_id) is None
    with pytest.raises(NotFoundError, match="no token 999"):
        podium.tokens.revoke(999)


def test_team_tokens_need_a_known_team(podium: Podium) -> None:
    with pytest.raises(PodiumError, match="needs --team"):
        podium.tokens.create("team")
    with pytest.raises(NotFoundError, match="unknown team 'Gamma'"):
        podium.tokens.create("team", team="Gamma")


def test_a_token_of_another_competition_in_the_same_store_is_refused(
    podium: Podium, tmp_path: Path
) -> None:
    other = _second_competition(podium, tmp_path)
    try:
        foreign = other.tokens.create("organizer")
        assert podium.tokens.authenticate(foreign) is None
        who = other.tokens.authenticate(foreign)
        assert who is not None and podium.tokens.principal_by_id(who.token_id) is None
    finally:
        other.close()


def _second_competition(podium: Podium, tmp_path: Path) -> Podium:
    """Another competition folder whose spec points at the first one's store."""
    root = tmp_path / "second"
    root.mkdir()
    spec = podium.competition.spec_text.replace('name = "test cup"', 'name = "second cup"')
    store = podium.competition.layout.store_file
    (root / "competition.toml").write_text(spec + f'\n[store]\nurl = "sqlite:///{store}"\n')
    shutil.copytree(podium.competition.layout.sealed_dir, root / "sealed")
    other = Podium.open(root)
    other.setup.add_team("Alpha")
    return other
