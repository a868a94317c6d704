"""Multi-factor login and step-up.

A login collects factors ("password", "face", "totp", or a recovery code standing in for any
one of them) in the session until they make up a combination the deployment's `LoginPolicy`
accepts; only then is the user logged in. Step-up asks a logged-in user to prove presence
again, by face with liveness, before a sensitive action; it holds a few minutes.

Every factor passed, every completed login and every step-up starts a new session key."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth import login
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from peeka.accounts import otp
from peeka.accounts.factors import factor_enrolled
from peeka.accounts.models import LoginPolicy, User
from peeka.security.client import client_info
from peeka.security.clock import now
from peeka.security.selectors import lockout_disabled
from peeka.security.services import CODES, FACE, PASSWORD, audit_record

FACTORS = ("password", "face", "totp")
RECOVERY = "recovery"
_PENDING = "peeka_login"
_STEP_UP = "peeka_step_up_at"
_STEP_UP_BY = "peeka_step_up_by"
SECOND_FACTOR_STEP_UPS = frozenset({"face", "code"})
"""Step-ups that proved more than the password (a face, or the password and a code)."""


def enrolled(user: User) -> set[str]:
    """The factors `user` has set up (a recovery code counts while one is left)."""
    have = set()
    if user.has_usable_password():
        have.add("password")
    if factor_enrolled("face", user):
        have.add("face")
    if otp.has_totp(user):
        have.add("totp")
    if otp.recovery_codes_left(user):
        have.add(RECOVERY)
    return have


def has_second_factor(user: User) -> bool:
    """Whether `user` has a face or an authenticator app set up (recovery codes alone do not
    count: they stand in for a second factor, they are not one)."""
    return factor_enrolled("face", user) or otp.has_totp(user)


def _accepted(factors: set[str], policy: LoginPolicy) -> bool:
    proven = factors - {RECOVERY}
    if not proven:  # a recovery code is never a first factor
        return False
    for combination in policy.combinations():
        missing = combination - proven
        if not missing or (RECOVERY in factors and len(missing) == 1):
            return True
    return False


def next_factors(user: User, factors: set[str], *, usable: bool = True) -> list[str]:
    """The factors `user` has set up that would complete a login after `factors` (only those
    not locked by too many failures, when `usable`)."""
    policy = LoginPolicy.current()
    have = enrolled(user) - factors
    if usable:
        have -= {"face"} if lockout_disabled(user=user, rule=FACE) else set()
        have -= {"totp", RECOVERY} if lockout_disabled(user=user, rule=CODES) else set()
        have -= {"password"} if lockout_disabled(user=user, rule=PASSWORD) else set()
    return [f for f in (*FACTORS, RECOVERY) if f in have and _accepted(factors | {f}, policy)]


def complete(user: User, factors: set[str]) -> bool:
    """Whether `factors` log `user` in under the deployment's policy."""
    policy = LoginPolicy.current()
    if _accepted(factors, policy):
        return True
    # Password alone, for an account that has no second factor the policy would accept. A
    # factor locked by failures still counts as set up: failing it on purpose must not let a
    # password alone in.
    return (
        policy.password_only
        and factors == {"password"}
        and not next_factors(user, factors, usable=False)
    )


def pending_user(request: HttpRequest) -> tuple[User, set[str]] | None:
    """The user part way through logging in, and the factors passed so far."""
    state = request.session.get(_PENDING)
    if not isinstance(state, dict):
        return None
    if now() - float(state.get("at", 0)) > settings.PEEKA_LOGIN_STEP_SECONDS:
        request.session.pop(_PENDING, None)
        return None
    user = User.objects.filter(pk=int(state.get("user", 0)), is_active=True).first()
    return None if user is None else (user, set(state.get("factors", [])))


def pending_next(request: HttpRequest) -> str:
    state = request.session.get(_PENDING)
    return safe_next(str(state.get("next", "")) if isinstance(state, dict) else "")


def factor_passed(request: HttpRequest, user: User, factor: str, next_url: str = "") -> str:
    """Record that `user` passed `factor`; log in when the factors so far are enough. Returns
    where the browser goes next: `next_url` when logged in, else the page of the next step."""
    pending = pending_user(request)
    factors = pending[1] if pending is not None and pending[0].pk == user.pk else set()
    factors.add(factor)
    client = client_info(request)
    next_url = safe_next(next_url or pending_next(request))
    if complete(user, factors):
        request.session.pop(_PENDING, None)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")  # new key
        audit_record(
            event="login",
            success=True,
            reason="+".join(sorted(factors)),
            user=user,
            client=client,
        )
        return next_url
    request.session.cycle_key()
    request.session[_PENDING] = {
        "user": user.pk,
        "factors": sorted(factors),
        "at": now(),
        "next": next_url,
    }
    return reverse("accounts:login_step")


def safe_next(target: str) -> str:
    """`target` when it is a path on this site, else the home page: never an open redirect."""
    if (
        target.startswith("/")
        and url_has_allowed_host_and_scheme(target, allowed_hosts=None)
        and "\\" not in target
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


# --- step-up -------------------------------------------------------------------------------


def step_up_methods(user: User) -> set[str]:
    """How `user` can step up: "face" (with liveness) when enrolled; "code" (password and an
    authenticator or recovery code) when set up, so a lost camera never blocks; "password"
    only for an account with neither."""
    methods = set()
    if factor_enrolled("face", user):
        methods.add("face")
    if otp.has_totp(user) or otp.recovery_codes_left(user):
        methods.add("code")
    return methods or {"password"}


def stepped_up(request: HttpRequest, *, second_factor: bool = False) -> bool:
    """Whether the session stepped up within PEEKA_STEP_UP_SECONDS (with `second_factor`: by
    more than the password alone, as the admin asks of staff)."""
    at = request.session.get(_STEP_UP)
    fresh = isinstance(at, int | float) and 0 <= now() - at <= settings.PEEKA_STEP_UP_SECONDS
    return fresh and (
        not second_factor or request.session.get(_STEP_UP_BY) in SECOND_FACTOR_STEP_UPS
    )


def mark_stepped_up(request: HttpRequest, user: User, method: str) -> None:
    request.session.cycle_key()  # a privilege change: a copied session id gains nothing
    request.session[_STEP_UP] = now()
    request.session[_STEP_UP_BY] = method
    audit_record(
        event="step_up", success=True, reason=method, user=user, client=client_info(request)
    )


def step_up_url(next_url: str) -> str:
    return f"{reverse('accounts:step_up')}?{urlencode({'next': next_url})}"


View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def step_up_required(view: View) -> View:
    """Let the view run only for a logged-in user who stepped up within the last few minutes;
    else send the browser to the step-up page, and back here after it."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect(f"{reverse(settings.LOGIN_URL)}?{urlencode({'next': request.path})}")
        if stepped_up(request):
            return view(request, *args, **kwargs)
        back = request.get_full_path() if request.method == "GET" else request.path
        return redirect(step_up_url(back))

    return wrapper  # type: ignore[return-value]
