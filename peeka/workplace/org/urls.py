from django.urls import path

from peeka.workplace.org import views

app_name = "org"
urlpatterns = [
    path("directory/", views.directory, name="directory"),
    path("directory/<str:number>/", views.member, name="member"),
    path("members/export/", views.members_export, name="members_export"),
    path("members/import/", views.members_import, name="members_import"),
]
