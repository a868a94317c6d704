from django.urls import path

from peeka.wallet import views

app_name = "wallet"
urlpatterns = [
    path("", views.home, name="home"),
    path("receive/", views.receive, name="receive"),
    path("pay/", views.scan, name="pay"),
    path("pay/scan/", views.scan_frame, name="scan_frame"),
    path("pay/upload/", views.scan_upload, name="scan_upload"),
    path("pay/confirm/", views.confirm, name="confirm"),
    path("pay/<int:payment_id>/", views.face, name="face"),
    path("pay/<int:payment_id>/challenge/", views.face_challenge, name="face_challenge"),
    path("pay/<int:payment_id>/frames/", views.face_frames, name="face_frames"),
    path("pay/<int:payment_id>/cancel/", views.cancel, name="cancel"),
    path("payments/<int:payment_id>/", views.receipt, name="receipt"),
    path("topup/", views.topup, name="topup"),
    path("pin/", views.pin, name="pin"),
    path("history/", views.history, name="history"),
    path("history.csv", views.history_csv, name="history_csv"),
    path("statement/<int:year>/<int:month>/", views.statement, name="statement"),
]
