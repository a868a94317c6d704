"""The API's Swagger UI page: django-ninja's, served locally (no CDN), in Peeka's own template
(`api/docs.html`): a phone-sized viewport and `api-docs.css`, which lays
the operations out for a narrow screen."""

from __future__ import annotations

from ninja.openapi.docs import Swagger


class Docs(Swagger):
    template = "api/docs.html"


docs = Docs(
    settings={
        # Without deep links an operation's path is plain text, not a link inside the button
        # that opens the operation (nested controls confuse screen readers and fingers).
        "deepLinking": False,
        # The schema list at the bottom repeats what each operation shows; folded, it keeps the
        # page short on a phone.
        "defaultModelsExpandDepth": 0,
        "docExpansion": "list",
    }
)
