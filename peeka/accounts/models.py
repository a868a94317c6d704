"""The user model. Custom from the first migration, so fields can be added without the
migration trouble of swapping `auth.User` later."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from peeka.security.services import lockouts_reset


class User(AbstractUser):
    display_name = models.CharField(_("display name"), max_length=150, blank=True)
    api_client = models.ForeignKey(
        "api.ApiClient",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="subjects",
        verbose_name=_("API client"),
    )
    """Set for the subjects an API client enrolls: they live in that client's namespace, have
    no password and cannot log in to the web pages."""
    api_subject = models.CharField(_("API subject id"), max_length=100, blank=True)
    """The client's own id for the subject."""
    language = models.CharField(
        _("language"), max_length=10, blank=True, choices=settings.LANGUAGES
    )
    """The language the pages speak to this user; blank: the browser's (or the switcher's)."""
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    """An IANA zone name for the times shown to this user; blank: the deployment's."""
    must_change_password = models.BooleanField(
        _("must change password"),
        default=False,
        help_text=_("Set with a temporary password: the user chooses a new one after logging in."),
    )
    """Set by an administrator's temporary password; every page then asks for a new password
    (`PasswordChangeRequiredMiddleware`) until the user has chosen one."""

    def set_password(self, raw_password: str | None) -> None:
        super().set_password(raw_password)
        # A password change or reset proves the owner: face and codes may be tried again once
        # the new password is saved.
        self._password_reset_lockouts = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        # A full save after `set_password` is a change or reset; a save of the password field
        # alone is Django upgrading the hash of a password just typed, which proves nothing new.
        reset = getattr(self, "_password_reset_lockouts", False)
        self._password_reset_lockouts = False
        if reset and kwargs.get("update_fields") is None:
            lockouts_reset(user=self)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                fields=["api_client", "api_subject"],
                condition=models.Q(api_client__isnull=False),
                name="unique_api_subject",
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.username


class TotpDevice(models.Model):
    """A user's authenticator app (RFC 6238). The shared secret is wrapped by the key vault,
    bound to the user; `last_step` refuses a code twice (RFC 6238 section 5.2)."""

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="totp", verbose_name=_("user")
    )
    wrapped_secret = models.BinaryField(_("wrapped secret"))
    confirmed = models.BooleanField(_("confirmed"), default=False)
    """False until the user has typed one code from the app (set-up in progress)."""
    last_step = models.BigIntegerField(_("last time step used"), default=-1)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("authenticator app")
        verbose_name_plural = _("authenticator apps")


class RecoveryCode(models.Model):
    """One single-use recovery code, kept only as a password hash (Argon2). `lookup`, the
    code's first characters, finds the one row to check, so a try costs one hash."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="recovery_codes", verbose_name=_("user")
    )
    lookup = models.CharField(_("lookup prefix"), max_length=4)
    code_hash = models.CharField(_("code hash"), max_length=256)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")


class LoginPolicy(models.Model):
    """Which factors together log in, for the whole deployment (one row, edited in the admin).

    A recovery code stands in for any one second factor, so losing the camera or the phone
    never locks a user out."""

    password_face = models.BooleanField(_("password + face"), default=True)
    password_totp = models.BooleanField(_("password + authenticator code"), default=True)
    face_totp = models.BooleanField(_("face + authenticator code"), default=True)
    face_only = models.BooleanField(
        _("face alone"),
        default=False,
        help_text=_(
            "For kiosks (with PEEKA_FACE_ONLY_LOGIN for login without a username). NIST "
            "SP 800-63B-4 accepts a face only beside something the user has."
        ),
    )
    password_only = models.BooleanField(
        _("password alone, for accounts with no second factor"),
        default=True,
        help_text=_(
            "Lets an account that has set up no second factor this policy accepts log in "
            "(to set one up). Off: such accounts cannot log in until an administrator helps."
        ),
    )
    changed = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = _("login policy")

    def __str__(self) -> str:
        return str(_("Login policy"))

    @classmethod
    def current(cls) -> LoginPolicy:
        policy, _ = cls.objects.get_or_create(pk=1)
        return policy

    def combinations(self) -> list[frozenset[str]]:
        """The factor sets that log in (password alone aside)."""
        chosen = {
            "password_face": frozenset({"password", "face"}),
            "password_totp": frozenset({"password", "totp"}),
            "face_totp": frozenset({"face", "totp"}),
            "face_only": frozenset({"face"}),
        }
        return [factors for name, factors in chosen.items() if getattr(self, name)]


class AccessToken(models.Model):
    """A personal access token: the user's own credential for one part of the API (its
    `scope`), sent as `Authorization: Bearer pat_...`. Only the token's SHA-256 is stored: a
    token is 256 random bits, so a fast hash is as safe as a slow one and keeps every request
    cheap. `peeka.accounts.tokens` makes, checks and revokes them."""

    class Scope(models.TextChoices):
        WALLET = "wallet", _("Wallet")

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="access_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=100)
    """The user's label for the token ("budget script")."""
    scope = models.CharField(_("scope"), max_length=20, choices=Scope.choices)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    hint = models.CharField(_("token starts with"), max_length=8)
    """The token's first characters after its prefix, so the user can tell tokens apart."""
    created = models.DateTimeField(_("created"), db_default=models.functions.Now())
    last_used = models.DateTimeField(_("last used"), null=True, blank=True)
    """Kept to the minute: a request writes it only when the stored time is older."""
    expires = models.DateTimeField(_("expires"), null=True, blank=True)
    """None: the token works until it is revoked."""
    revoked = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("personal access token")
        verbose_name_plural = _("personal access tokens")

    def __str__(self) -> str:
        return self.name
