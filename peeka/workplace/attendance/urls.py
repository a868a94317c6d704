from django.urls import path

from peeka.workplace.attendance import views

app_name = "attendance"
urlpatterns = [
    path("kiosk/", views.kiosk, name="kiosk"),
    path("kiosk/challenge/", views.kiosk_challenge, name="kiosk_challenge"),
    path("kiosk/frames/", views.kiosk_frames, name="kiosk_frames"),
    path("kiosk/punch/", views.kiosk_punch, name="kiosk_punch"),
    path("kiosk/pin/", views.kiosk_pin, name="kiosk_pin"),
    path("attendance/", views.mine, name="mine"),
    path("attendance/challenge/", views.mine_challenge, name="mine_challenge"),
    path("attendance/frames/", views.mine_frames, name="mine_frames"),
    path("attendance/pin/", views.pin, name="pin"),
]
urlpatterns += [
    path("attendance/timesheet/", views.timesheet_mine, name="timesheet_mine"),
    path("attendance/timesheet/<str:number>/", views.timesheet_member, name="timesheet_member"),
    path(
        "attendance/department/<str:code>/", views.timesheet_department, name="timesheet_department"
    ),
]
