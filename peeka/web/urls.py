from django.contrib import admin
from django.urls import include, path

from peeka.api.api import api
from peeka.web import views

pages = [path("", views.home, name="home")]

urlpatterns = [
    path("", include((pages, "web"))),
    path("accounts/", include("peeka.accounts.urls")),
    path("face/", include("peeka.faces.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
