from django.urls import path

from peeka.workplace.dashboards import views

app_name = "dashboards"
urlpatterns = [
    path("", views.home, name="home"),
    path("company/", views.company, name="company"),
    path("security/", views.security, name="security"),
    path(
        "security/alerts/<int:alert_id>/acknowledge/",
        views.alert_acknowledge,
        name="alert_acknowledge",
    ),
]
