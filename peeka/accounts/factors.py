"""The factor registry: the apps above `accounts` that provide a login factor (the face, from
`peeka.faces`) register how to tell whether a user has set it up, so the login policy and the
step-up can offer it without importing them."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.base_user import AbstractBaseUser

Enrolled = Callable[[AbstractBaseUser], bool]

_enrolled: dict[str, Enrolled] = {}


def factor_register(name: str, *, enrolled: Enrolled) -> None:
    _enrolled[name] = enrolled


def factor_enrolled(name: str, user: AbstractBaseUser) -> bool:
    """Whether `user` has set up the registered factor `name` (False when no app provides
    it)."""
    check = _enrolled.get(name)
    return check is not None and check(user)
