"""Ids are validated, never rewritten; safe_join can never leave the root."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from flatfile_chat.errors import SecurityError, ValidationError
from flatfile_chat.storage.paths import ensure_inside, safe_join, validate_id

HOSTILE = [
    "..",
    ".",
    "../etc",
    "a/b",
    "a\\b",
    "/etc/passwd",
    "C:\\x",
    "a\x00b",
    "CON",
    "con.txt",
    "LPT1",
    "аlice",
    "alice\u200b",
    "ａｌｉｃｅ",
    "",
    " ",
    "alice.",
    "~root",
    "x" * 129,
    "%2e%2e%2f",
    "-rf",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_ids_are_refused_with_the_rule(value: str) -> None:
    with pytest.raises(ValidationError) as err:
        validate_id(value, "user_id")
    assert "user_id" in str(err.value)


def test_lookalikes_are_security_errors_not_renamed() -> None:
    # Cyrillic 'а' must not become Latin 'a': that would map two ids to one.
    with pytest.raises(SecurityError):
        validate_id("аlice", "user_id")


@given(st.text(min_size=0, max_size=40))
def test_validate_id_accepts_only_the_documented_alphabet(value: str) -> None:
    try:
        assert validate_id(value) == value
    except ValidationError:
        return
    assert all(ch.isascii() and (ch.isalnum() or ch in "._-") for ch in value)
    assert value[0].isalnum() and not value.endswith(".")


@given(st.lists(st.text(max_size=20), min_size=1, max_size=4))
def test_safe_join_never_leaves_root(parts: list[str]) -> None:
    root = Path("/srv/store/root")
    try:
        joined = safe_join(root, *parts)
    except ValidationError:
        return
    assert os.path.commonpath([joined, root]) == str(root)
    assert ".." not in joined.parts


@given(st.text(max_size=30), st.text(max_size=30))
def test_distinct_ids_never_share_a_path(a: str, b: str) -> None:
    assume(a != b)
    root = Path("/srv/root")
    try:
        pa = safe_join(root, "users", validate_id(a))
        pb = safe_join(root, "users", validate_id(b))
    except ValidationError:
        return
    assert pa != pb


def test_ensure_inside_refuses_sibling_with_common_prefix(tmp_path: Path) -> None:
    with pytest.raises(SecurityError):
        ensure_inside(tmp_path / "root", tmp_path / "root2" / "x")


# A store-level property: whatever ids and file names arrive, nothing outside the root changes.
_hostile_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=24),
    st.from_regex(r"[A-Za-z0-9._-]{1,12}", fullmatch=True),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(user=_hostile_text, session=_hostile_text, filename=_hostile_text, persona=_hostile_text)
def test_store_never_touches_outside_root(
    make_store, tmp_path: Path, user: str, session: str, filename: str, persona: str
) -> None:
    import asyncio

    from flatfile_chat import FFError

    outside = tmp_path / "outside"
    outside.mkdir(exist_ok=True)
    root = tmp_path / "root"
    before = _snapshot(tmp_path, exclude=root)
    store = make_store(root=root, seed=3)

    async def attack() -> None:
        calls = [
            lambda: store.create_user(user),
            lambda: store.create_session(user, session_id=session),
            lambda: store.add_message(user, session, {"role": "user", "content": filename}),
            lambda: store.store_document(user, session, filename, b"data"),
            lambda: store.store_persona({"persona_id": persona, "name": "x"}),
            lambda: store.store_persona({"persona_id": persona, "name": "x"}, user_id=user),
            lambda: store.get_persona(persona),
            lambda: store.search_messages(user, filename or "x"),
        ]
        for call in calls:
            with contextlib.suppress(FFError):
                await call()

    asyncio.run(attack())
    assert _snapshot(tmp_path, exclude=root) == before
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            real = os.path.realpath(os.path.join(dirpath, name))
            assert real.startswith(str(root.resolve()) + os.sep)


def _snapshot(base: Path, exclude: Path) -> set[str]:
    seen = set()
    for dirpath, dirs, files in os.walk(base):
        if Path(dirpath) == exclude or exclude in Path(dirpath).parents:
            continue
        for name in dirs + files:
            path = Path(dirpath, name)
            if path != exclude:
                seen.add(str(path))
    return seen
