"""Messages made below the web layer, shown in the user's language. The core marks its English
messages with `peeka.errors.gettext_noop` (and an error's %-placeholders travel in its
`params`), so the catalogs hold them; pages and the API translate them here, where Django's
active language is the request's. A message the catalogs do not hold stays English."""

from __future__ import annotations

from django.utils.translation import gettext

from peeka.errors import PeekaError


def localized(error: PeekaError) -> str:
    """The error's message in the active language. A parameter that is text is a message too
    (advice inside a sentence, say) and is looked up as well, and one that is an error (the
    problem of one picture among several) is localized in turn; other text comes back as it
    is."""
    text = gettext(error.template)
    if not error.params:
        return text
    params = {k: _localized_param(v) for k, v in error.params.items()}
    return text % params


def _localized_param(value: object) -> object:
    if isinstance(value, PeekaError):
        return localized(value)
    return gettext(value) if isinstance(value, str) and value else value


def localized_text(message: str) -> str:
    """A marked message (a liveness hint, a step prompt) in the active language."""
    return gettext(message) if message else message
