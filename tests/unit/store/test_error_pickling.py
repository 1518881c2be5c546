"""Store errors survive pickling (xdist workers, multiprocessing) with message and context."""

from __future__ import annotations

import pickle

from flatfile_chat.errors import NotFound, ValidationError


def test_an_error_round_trips_through_pickle_with_its_context():
    err = ValidationError("invalid kb_id 'x'", key="kb_id", value="x")
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is ValidationError
    assert (back.message, back.args, back.key, back.value) == (
        "invalid kb_id 'x'",
        ("invalid kb_id 'x'",),
        "kb_id",
        "x",
    )
    assert str(back) == "invalid kb_id 'x'"


def test_a_subclass_stays_its_own_class_after_pickling():
    back = pickle.loads(pickle.dumps(NotFound("user 'ghost' not found", key="user_id")))
    assert isinstance(back, NotFound)
    assert back.context == {"key": "user_id"}
