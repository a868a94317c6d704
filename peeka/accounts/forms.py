from __future__ import annotations

from django import forms
from django.contrib.auth.forms import UserCreationForm

from peeka.accounts.models import User


class RegisterForm(UserCreationForm[User]):
    class Meta:
        model = User
        fields = ("username", "display_name", "email")


class ProfileForm(forms.ModelForm[User]):
    class Meta:
        model = User
        fields = ("display_name", "email")


class PasswordCheckForm(forms.Form):
    """The current password again, for an action that needs proof it is really the user."""

    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def __init__(self, user: User, *args: object, **kwargs: object) -> None:
        self.user = user
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your current password.")
        return password


class CodeForm(forms.Form):
    """A code from the authenticator app or a recovery code."""

    code = forms.CharField(
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "spellcheck": "false"}
        ),
    )


class StepForm(forms.Form):
    """One more login factor: the password, an authenticator code or a recovery code."""

    method = forms.ChoiceField(choices=[(m, m) for m in ("password", "totp", "recovery")])
    password = forms.CharField(required=False, widget=forms.PasswordInput)
    code = forms.CharField(required=False, max_length=32)
