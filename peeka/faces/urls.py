from django.urls import path

from peeka.faces import views

app_name = "faces"
urlpatterns = [
    path("enroll/", views.enroll, name="enroll"),
    path("enroll/frames/", views.enroll_frames, name="enroll_frames"),
    path("login/", views.face_login, name="login"),
    path("login/frame/", views.face_login_frame, name="login_frame"),
    path("login/frames/", views.face_login_frames, name="login_frames"),
    path("challenge/", views.challenge, name="challenge"),
    path("framing/", views.framing, name="framing"),
    path("step-up/frames/", views.step_up_frames, name="step_up_frames"),
    path("mine/", views.mine, name="mine"),
    path("mine/delete/", views.delete, name="delete"),
]
