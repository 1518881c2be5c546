"""The encryption chain's verdicts, each pinned to its exact kind, line and wording: the reader's
refusals (spliced, missing, duplicated, mixed legacy/chained records), the head comparison of
the integrity check and the append guard's reasons. Built from sealed lines directly, so every
case is exactly the damage it names."""

from __future__ import annotations

import base64
import json

import pytest

from flatfile_chat.storage import chain
from flatfile_chat.storage.chain import ChainReader, ChainState, SealRefused
from flatfile_chat.storage.codec import AesGcmCodec

OWNER, REL = "alice", "users/alice/s/messages.jsonl"


@pytest.fixture
def codec() -> AesGcmCodec:
    return AesGcmCodec({"k1": bytes(range(32))}, "k1")


def _seal(codec: AesGcmCodec, n: int, epoch: str = "EP", first: int = 0) -> list[bytes]:
    state = ChainState(epoch)
    lines = chain.seal_lines(
        codec,
        [json.dumps({"n": i}).encode() for i in range(first + n)],
        owner=OWNER,
        rel=REL,
        state=state,
    )
    return lines[first:]


def _read(codec: AesGcmCodec, lines: list[bytes]) -> ChainReader:
    reader = ChainReader(codec, owner=OWNER, rel=REL)
    for number, raw in enumerate(lines, start=1):
        reader(raw, number)
    return reader


def _refusal(codec: AesGcmCodec, lines: list[bytes]) -> tuple[int | None, str]:
    with pytest.raises(SealRefused) as caught:
        _read(codec, lines)
    line, message = caught.value.line, caught.value.message
    where = f"{REL}:{line}: "
    assert message.startswith(where), message
    return line, message.removeprefix(where)


def test_an_intact_chain_reads_with_its_state(codec: AesGcmCodec) -> None:
    reader = _read(codec, _seal(codec, 3))
    assert reader.lines == 3
    assert len(reader.tags) == 3
    assert reader.state is not None
    assert (reader.state.epoch, reader.state.seq, reader.state.legacy) == ("EP", 3, False)
    assert reader.state.tag == reader.tags[-1]


def test_a_missing_record_is_named_with_the_range(codec: AesGcmCodec) -> None:
    lines = _seal(codec, 4)
    assert _refusal(codec, [lines[0], lines[3]]) == (
        2,
        "record seq 3 where 1 was expected: records 1..2 are missing",
    )


def test_a_duplicated_record_is_refused(codec: AesGcmCodec) -> None:
    lines = _seal(codec, 2)
    assert _refusal(codec, [lines[0], lines[1], lines[1]]) == (
        3,
        "record seq 1 where 2 was expected: duplicated or reordered",
    )


def test_a_record_of_another_epoch_is_spliced(codec: AesGcmCodec) -> None:
    ours, theirs = _seal(codec, 2, "EP"), _seal(codec, 2, "OTHER")
    assert _refusal(codec, [ours[0], theirs[1]]) == (
        2,
        "record from another copy of this file (epoch OTHER, expected EP): spliced or replayed",
    )


def test_a_record_linked_to_another_predecessor_is_spliced(codec: AesGcmCodec) -> None:
    a, b = _seal(codec, 2, "EP"), _seal(codec, 2, "EP")  # same epoch, other tags
    assert _refusal(codec, [a[0], b[1]]) == (
        2,
        "record seq 1 does not follow line 1 (its link to the previous tag differs): "
        "spliced from another copy",
    )


def test_legacy_and_chained_records_never_mix(codec: AesGcmCodec) -> None:
    legacy = codec.seal(b'{"n": 0}', owner=OWNER, rel_path=REL)
    chained = _seal(codec, 1)
    assert _refusal(codec, [legacy, chained[0]]) == (
        2,
        "chained record inside an unchained (legacy) file",
    )
    assert _refusal(codec, [chained[0], legacy]) == (
        2,
        "unchained (legacy) record inside a chained file",
    )
    reader = _read(codec, [legacy, legacy])
    assert reader.state == ChainState("", legacy=True)


def test_after_a_skipped_line_the_next_record_may_be_one_further(codec: AesGcmCodec) -> None:
    lines = _seal(codec, 3)
    reader = ChainReader(codec, owner=OWNER, rel=REL)
    reader(lines[0], 1)
    reader.resync()  # line 2 was broken and skipped
    reader(lines[2], 3)
    assert reader.state is not None and reader.state.seq == 3
    reader2 = ChainReader(codec, owner=OWNER, rel=REL)
    reader2(lines[0], 1)
    reader2.resync()
    with pytest.raises(SealRefused, match="record seq 3 where 1 was expected"):
        reader2(_seal(codec, 4)[3], 3)


def _head(reader: ChainReader, count: int | None = None, epoch: str | None = None) -> dict:
    state = reader.state
    assert state is not None
    head = chain.head_record(state)
    if count is not None:
        head["count"] = count
        head["tag"] = base64.b64encode(reader.tags[count - 1]).decode() if count else ""
    if epoch is not None:
        head["epoch"] = epoch
    return head


def _issues(reader: ChainReader, head: dict | None) -> list[tuple[str, int, str]]:
    return [(i.kind, i.line, i.detail) for i in chain.check_head(reader, head, reader.lines)]


def test_check_head_verdicts(codec: AesGcmCodec) -> None:
    reader = _read(codec, _seal(codec, 3))
    assert _issues(reader, _head(reader)) == []
    assert chain.head_record(reader.state) == {  # type: ignore[arg-type]
        "epoch": "EP",
        "count": 3,
        "tag": base64.b64encode(reader.tags[-1]).decode(),
    }
    assert _issues(reader, None) == [
        (
            "jsonl_chain_unsealed",
            1,
            "no head file: unsealed tail of 3 lines (crash before the first head write, "
            "or removed)",
        )
    ]
    assert _issues(reader, {"count": "3", "epoch": "EP"}) == [
        ("jsonl_chain_head", 1, "head file has no count/epoch")
    ]
    assert _issues(reader, {"count": 3, "epoch": None}) == [
        ("jsonl_chain_head", 1, "head file has no count/epoch")
    ]
    assert _issues(reader, _head(reader, epoch="OLD")) == [
        (
            "jsonl_chain_replayed",
            1,
            "file epoch EP is not the head's OLD: an older copy was put back (replayed), or "
            "a rewrite was interrupted before its head update",
        )
    ]
    five = _head(reader)
    five["count"] = 5
    assert _issues(reader, five) == [
        (
            "jsonl_chain_truncated",
            4,
            "head records 5 records, the file has 3: lines 4..5 are missing (truncated, or an "
            "older copy replayed)",
        )
    ]
    assert _issues(reader, _head(reader, count=1)) == [
        (
            "jsonl_chain_unsealed",
            2,
            "unsealed tail of 2 lines (head behind the log: crash between append and head update?)",
        )
    ]
    forked = _head(reader, count=2)
    forked["tag"] = base64.b64encode(reader.tags[0]).decode()
    assert _issues(reader, forked) == [
        (
            "jsonl_chain_replayed",
            2,
            "record differs from the one the head sealed at this position (replayed or "
            "forked copy)",
        )
    ]
    assert _issues(reader, _head(reader, count=0)) == [
        (
            "jsonl_chain_unsealed",
            1,
            "unsealed tail of 3 lines (head behind the log: crash between append and head update?)",
        )
    ]


def test_check_head_of_legacy_and_empty_files(codec: AesGcmCodec) -> None:
    legacy = _read(codec, [codec.seal(b'{"n": 0}', owner=OWNER, rel_path=REL)])
    assert _issues(legacy, None) == [
        (
            "jsonl_chain_legacy",
            1,
            "unchained records (written before chaining); rewrite with rekey to chain",
        )
    ]
    assert _issues(legacy, {"count": 1, "epoch": "EP", "tag": ""}) == [
        (
            "jsonl_chain_replayed",
            1,
            "unchained records where a head says the file was chained: an older copy put "
            "back (a rekey would accept it)",
        )
    ]
    empty = ChainReader(codec, owner=OWNER, rel=REL)
    assert chain.check_head(empty, None, 0) == []


def test_head_mismatch_reasons(codec: AesGcmCodec) -> None:
    reader = _read(codec, _seal(codec, 3))
    state = reader.state
    assert state is not None
    head = chain.head_record(state)
    assert chain.head_mismatch(state, None) is None
    assert chain.head_mismatch(state, head) is None
    assert chain.head_mismatch(state, {**head, "count": 2}) is None  # head behind: appends go on
    assert chain.head_mismatch(state, {**head, "count": 0}) is None
    assert chain.head_mismatch(state, {"count": 1}) == "head file has no count/epoch"
    assert chain.head_mismatch(ChainState("", legacy=True), head) == (
        "unchained records where a head says the file was chained (older copy)"
    )
    assert chain.head_mismatch(ChainState("EP"), head) == (
        "the log is empty but its head sealed 3 records (emptied or replaced)"
    )
    assert chain.head_mismatch(state, {**head, "epoch": "OLD"}) == (
        "the log's epoch EP is not its head's OLD (an older copy put back, or a rewrite "
        "interrupted before its head update)"
    )
    assert chain.head_mismatch(state, {**head, "count": 4}) == (
        "the head sealed 4 records, the log ends at 3 (cut short, or an older copy put back)"
    )
    other = base64.b64encode(reader.tags[0]).decode()
    assert chain.head_mismatch(state, {**head, "tag": other}) == (
        "the last record is not the one the head sealed (replayed or forked copy)"
    )
