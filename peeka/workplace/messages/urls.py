from django.urls import path

from peeka.workplace.messages import views

app_name = "messaging"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("sent/", views.sent, name="sent"),
    path("new/", views.compose, name="compose"),
    path("<int:message_id>/", views.detail, name="detail"),
    path("<int:message_id>/delete/", views.delete, name="delete"),
]
