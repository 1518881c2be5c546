"""The pid-namespace wrapper drops both the uid and the gid (never root's group)."""

from __future__ import annotations

from flatfile_chat.tools.sandbox_layers import unshare_argv


def test_with_a_uid_the_wrapper_sets_the_uid_and_the_same_gid() -> None:
    argv = unshare_argv("/usr/bin/unshare", ["cat", "a.txt"], 1900000042)
    assert argv == [
        "/usr/bin/unshare",
        "--pid",
        "--fork",
        "--kill-child",
        "--setuid",
        "1900000042",
        "--setgid",
        "1900000042",
        "--",
        "cat",
        "a.txt",
    ]


def test_without_a_uid_the_wrapper_changes_no_ids() -> None:
    argv = unshare_argv("/usr/bin/unshare", ["ls"], None)
    assert argv == ["/usr/bin/unshare", "--pid", "--fork", "--kill-child", "--", "ls"]
