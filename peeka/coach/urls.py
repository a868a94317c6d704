from django.urls import path

from peeka.coach import views
from peeka.coach.views import interviews, practice

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
    # Practice: cover letters → questions → answers and feedback → mock interviews.
    path("letters/", practice.letters, name="letters"),
    path("letters/new/", practice.letter_new, name="letter_new"),
    path("letters/<int:letter_id>/", practice.letter_detail, name="letter"),
    path("letters/<int:letter_id>/edit/", practice.letter_edit, name="letter_edit"),
    path("letters/<int:letter_id>/delete/", practice.letter_delete, name="letter_delete"),
    path(
        "letters/<int:letter_id>/versions/<int:number>/",
        practice.letter_version,
        name="letter_version",
    ),
    path("letters/<int:letter_id>/questions/", practice.questions_ask, name="questions_ask"),
    path("sets/<int:set_id>/", practice.set_detail, name="set"),
    path("sets/<int:set_id>/answers/<int:index>/", practice.answer_save, name="answer_save"),
    path(
        "sets/<int:set_id>/answers/<int:index>/feedback/",
        practice.answer_feedback,
        name="answer_feedback",
    ),
    path("sets/<int:set_id>/interviews/", interviews.interview_new, name="interview_new"),
    path("interviews/<int:interview_id>/", interviews.interview_page, name="interview"),
    path(
        "interviews/<int:interview_id>/face/challenge/",
        interviews.interview_challenge,
        name="interview_challenge",
    ),
    path(
        "interviews/<int:interview_id>/face/frames/",
        interviews.interview_frames,
        name="interview_frames",
    ),
    path(
        "interviews/<int:interview_id>/begin/", interviews.interview_begin, name="interview_begin"
    ),
    path(
        "interviews/<int:interview_id>/presence/",
        interviews.interview_presence,
        name="interview_presence",
    ),
    path(
        "interviews/<int:interview_id>/answer/",
        interviews.interview_answer,
        name="interview_answer",
    ),
    path(
        "interviews/<int:interview_id>/transcribe/",
        interviews.interview_transcribe,
        name="interview_transcribe",
    ),
    path(
        "interviews/<int:interview_id>/finish/",
        interviews.interview_finish,
        name="interview_finish",
    ),
    path(
        "interviews/<int:interview_id>/report/",
        interviews.interview_report,
        name="interview_report",
    ),
]
