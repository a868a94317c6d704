from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from peeka.api.api import api
from peeka.web import views

pages = [path("", views.home, name="home")]

# The admin logs in through Peeka's own login (with the policy's second factor), never with
# its password-only form, and changes passwords behind step-up.
admin.site.login = views.admin_login  # type: ignore[method-assign]

urlpatterns = [
    path("", include((pages, "web"))),
    path("accounts/", include("peeka.accounts.urls")),
    path("face/", include("peeka.faces.urls")),
    path("admin/password_change/", RedirectView.as_view(pattern_name="accounts:password")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
