from django.urls import path

from peeka.workplace.notices import views

app_name = "notices"
urlpatterns = [
    path("", views.board, name="board"),
    path("new/", views.new, name="new"),
    path("<int:post_id>/", views.detail, name="detail"),
    path("<int:post_id>/edit/", views.edit, name="edit"),
    path("<int:post_id>/delete/", views.delete, name="delete"),
    path("<int:post_id>/files/<int:file_id>/", views.download, name="download"),
]
