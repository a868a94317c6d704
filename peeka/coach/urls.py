from django.urls import path

from peeka.coach import views

app_name = "coach"
urlpatterns = [
    path("", views.home, name="home"),
    path("companies/<int:company_id>/", views.company_detail, name="company"),
    path("reviews/", views.reviews, name="reviews"),
    path("reviews/new/", views.review_new, name="review_new"),
    path("reviews/<int:review_id>/", views.review_detail, name="review_detail"),
    path("reviews/<int:review_id>/edit/", views.review_edit, name="review_edit"),
    path("reviews/<int:review_id>/delete/", views.review_delete, name="review_delete"),
    path("reviews/<int:review_id>/report/", views.review_report, name="review_report"),
    path("reviews/companies/<int:company_id>/like/", views.company_like, name="company_like"),
]
