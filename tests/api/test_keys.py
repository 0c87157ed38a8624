from __future__ import annotations

from pathlib import Path

import pytest

from kb_service.api.keys import GRANTS, KeyConfigError, KeyRing, ensure_admin_key, parse_keys


def test_parse_keys() -> None:
    assert parse_keys("abcdefgh:agent, zyxwvuts:admin") == {"abcdefgh": "agent", "zyxwvuts": "admin"}
    assert parse_keys("") == {}


@pytest.mark.parametrize("bad", ["nocolon", "abcdefgh:root", "short:admin", ":admin"])
def test_parse_keys_rejects(bad: str) -> None:
    with pytest.raises(KeyConfigError):
        parse_keys(bad)


def test_scopes_nest() -> None:
    assert GRANTS["widget"] == {"answer", "feedback"}
    assert GRANTS["widget"] < GRANTS["agent"] < GRANTS["writer"] < GRANTS["admin"]
    assert "articles:write" not in GRANTS["agent"] and "ingest" not in GRANTS["writer"]


def test_keyring_lookup() -> None:
    ring = KeyRing({"abcdefgh": "agent"})
    assert ring.lookup("abcdefgh").scope == "agent"  # type: ignore[union-attr]
    assert ring.lookup("abcdefgx") is None
    assert ring.lookup("") is None


def test_admin_key_created_once_private(tmp_path: Path) -> None:
    key, created = ensure_admin_key(tmp_path / "admin_key")
    assert created and len(key) > 20
    assert (tmp_path / "admin_key").stat().st_mode & 0o777 == 0o600
    assert ensure_admin_key(tmp_path / "admin_key") == (key, False)
