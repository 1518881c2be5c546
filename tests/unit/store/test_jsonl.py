"""JSONL: whole lines, nothing skipped silently, repair moves bad lines aside."""

from __future__ import annotations

from pathlib import Path

import pytest

from flatfile_chat.errors import StorageCorrupted
from flatfile_chat.storage import jsonl
from flatfile_chat.storage.filestore import FileStore


def test_round_trip_preserves_order_and_unicode(tmp_path: Path) -> None:
    fs = FileStore(tmp_path, durability="none")
    path = fs.path("log.jsonl")
    records = [{"n": i, "text": f"héllo {i}\nnew line"} for i in range(50)]
    fs.append_jsonl(path, records[:10])
    fs.append_jsonl(path, records[10:])
    assert fs.read_jsonl(path) == records
    assert fs.count_jsonl(path) == 50


def test_invalid_middle_line_is_reported_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_bytes(b'{"a": 1}\n{"a": 2\n{"a": 3}\n')
    with pytest.raises(StorageCorrupted) as err:
        jsonl.read_records(path)
    assert err.value.line == 2
    assert f"{path}:2" in str(err.value)


def test_torn_last_line_is_reported_not_skipped(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_bytes(b'{"a": 1}\n{"a": 2}\n{"a": ')
    with pytest.raises(StorageCorrupted) as err:
        jsonl.read_records(path)
    assert err.value.line == 3 and err.value.torn


def test_line_holding_an_array_is_invalid(tmp_path: Path) -> None:
    # Upstream's ff_append_jsonl(path, [dto]) bug wrote one JSON array per line.
    path = tmp_path / "log.jsonl"
    path.write_bytes(b'{"a": 1}\n[{"a": 2}]\n')
    with pytest.raises(StorageCorrupted, match="JSON list"):
        jsonl.read_records(path)


def test_two_objects_on_one_line_are_invalid(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_bytes(b'{"a": 1}, {"b": 2}\n')
    with pytest.raises(StorageCorrupted) as err:
        jsonl.read_records(path)
    assert err.value.line == 1


def test_append_after_torn_line_is_refused(tmp_path: Path) -> None:
    fs = FileStore(tmp_path, durability="none")
    path = fs.path("log.jsonl")
    path.write_bytes(b'{"a": 1}\n{"a": ')
    with pytest.raises(StorageCorrupted, match="repair"):
        fs.append_jsonl(path, [{"a": 3}])
    assert path.read_bytes() == b'{"a": 1}\n{"a": '


def test_repair_keeps_good_lines_and_moves_bad_ones(tmp_path: Path) -> None:
    fs = FileStore(tmp_path, durability="none")
    path = fs.path("log.jsonl")
    path.write_bytes(b'{"a": 1}\nnot json\n{"a": 3}\n{"a": ')
    report = fs.repair_jsonl(path)
    assert (report.kept, report.moved, report.bad_lines) == (2, 2, (2, 4))
    assert fs.read_jsonl(path) == [{"a": 1}, {"a": 3}]
    aside = Path(report.rejected_file).read_text()
    assert "line 2: not json" in aside and 'line 4: {"a": ' in aside
    fs.append_jsonl(path, [{"a": 4}])  # appending works again
    assert fs.count_jsonl(path) == 3
