"""Users and their profiles (``users/{user_id}/profile.json``)."""

from __future__ import annotations

from typing import Any

from flatfile_chat.errors import AlreadyExists, NotFound, ValidationError
from flatfile_chat.storage.paths import validate_id
from flatfile_chat.store.layout import StoreContext
from flatfile_chat.store.models import FFUserProfileDTO
from flatfile_chat.validation import parse_input

_IMMUTABLE = frozenset({"user_id", "created_at", "updated_at"})


class UserRepository:
    def __init__(self, ctx: StoreContext) -> None:
        self._ctx = ctx

    def create(self, user_id: str, profile: dict[str, Any] | None = None) -> FFUserProfileDTO:
        layout, fs = self._ctx.layout, self._ctx.fs
        user_dir = layout.user_dir(user_id)
        fields = dict(profile or {})
        bad = sorted(_IMMUTABLE & fields.keys())
        if bad:
            raise ValidationError(f"profile may not set {bad} (assigned by the store)", key=bad[0])
        now = self._ctx.now_iso()
        record = parse_input(
            FFUserProfileDTO,
            {"username": "", **fields, "user_id": user_id, "created_at": now, "updated_at": now},
            "profile",
        )
        fs.ensure_dir(layout.users_dir())
        # One creator at a time, so two processes cannot both create "Alice" and "alice".
        with fs.lock(layout.users_dir() / "_users"):
            clash = fs.case_variant(user_dir)
            if clash is not None:
                raise AlreadyExists(
                    f"user_id {user_id!r} differs only in case from existing "
                    f"user {clash!r}; both would be one folder on "
                    "case-insensitive disks",
                    key="user_id",
                    value=user_id,
                )
            fs.ensure_dir(user_dir)
            try:
                # user_dir / ..., not layout.profile(): with pseudonymous folders, a folder
                # without its profile yet is refused to every later lookup
                fs.write_json(user_dir / "profile.json", record.to_dict(), exclusive=True)
            except AlreadyExists:
                raise AlreadyExists(
                    f"user {user_id!r} already exists", key="user_id", value=user_id
                ) from None
        return record

    def exists(self, user_id: str) -> bool:
        try:
            return self._ctx.layout.user_dir(user_id).is_dir()
        except AlreadyExists:
            return False  # a case variant of an existing user is not this user

    def require(self, user_id: str) -> None:
        if not self.exists(user_id):
            raise NotFound(f"user {user_id!r} not found", key="user_id", value=user_id)

    def get_profile(self, user_id: str) -> FFUserProfileDTO:
        path = self._ctx.layout.profile(user_id)
        data = self._ctx.fs.read_json(path, default=None)
        if data is None:
            self.require(user_id)
            raise NotFound(f"user {user_id!r} has no profile.json", key="user_id", value=user_id)
        return FFUserProfileDTO.model_validate(data)

    def update_profile(self, user_id: str, updates: dict[str, Any]) -> FFUserProfileDTO:
        bad = sorted(_IMMUTABLE & updates.keys())
        if bad:
            raise ValidationError(f"cannot update {bad} of user {user_id!r}", key=bad[0])
        self.require(user_id)  # NotFound naming the user, not the lock file's folder
        path = self._ctx.layout.profile(user_id)
        with self._ctx.fs.lock(path):
            current = self.get_profile(user_id).to_dict()
            merged = {**current, **updates, "updated_at": self._ctx.now_iso()}
            record = parse_input(FFUserProfileDTO, merged, "profile")
            self._ctx.fs.write_json(path, record.to_dict())
        return record

    def list(self) -> list[str]:
        users_dir = self._ctx.layout.users_dir()
        try:
            names = self._ctx.fs.listdir(users_dir)
        except FileNotFoundError:
            return []
        fs = self._ctx.fs
        return sorted(
            user
            for n in names
            if fs.is_dir(users_dir / n)
            and (user := fs.user_of_folder(n)) is not None
            and _is_id(user)
        )


def _is_id(name: str) -> bool:
    try:
        validate_id(name)
    except ValidationError:
        return False
    return True
