from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.translation import gettext_lazy
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog

from peeka.api.api import api
from peeka.web import pwa, views

pages = [
    path("", views.home, name="home"),
    # The installable app: served from the root, so the worker's scope is the whole site.
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("sw.js", pwa.service_worker, name="service_worker"),
    path("offline/", pwa.offline, name="offline"),
]

# The admin logs in through Peeka's own login (with the policy's second factor), never with
# its password-only form, and changes passwords behind step-up.
admin.site.login = views.admin_login  # type: ignore[method-assign]
admin.site.site_header = gettext_lazy("Peeka administration")
admin.site.site_title = gettext_lazy("Peeka admin")
admin.site.index_title = gettext_lazy("Users, faces, keys and the audit log")

urlpatterns = [
    path("", include((pages, "web"))),
    # Browsers ask for /favicon.ico whatever the page says; the mark is an SVG.
    path("favicon.ico", RedirectView.as_view(url=static("peeka/favicon.svg"), permanent=True)),
    path("accounts/", include("peeka.accounts.urls")),
    path("face/", include("peeka.faces.urls")),
    path("workplace/", RedirectView.as_view(pattern_name="dashboards:home"), name="workplace"),
    path("workplace/", include("peeka.workplace.org.urls")),
    path("workplace/dashboards/", include("peeka.workplace.dashboards.urls")),
    path("workplace/calendar/", include("peeka.workplace.calendar.urls")),
    path("workplace/messages/", include("peeka.workplace.messages.urls")),
    path("workplace/notices/", include("peeka.workplace.notices.urls")),
    path("workplace/approvals/", include("peeka.workplace.approvals.urls")),
    path("workplace/", include("peeka.workplace.attendance.urls")),
    path("wallet/", include("peeka.wallet.urls")),
    path("coach/", include("peeka.coach.urls")),
    path("admin/password_change/", RedirectView.as_view(pattern_name="accounts:password")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    # The scripts' strings, in the page's language.
    path("jsi18n/", JavaScriptCatalog.as_view(domain="djangojs"), name="jsi18n"),
]
