from django.urls import path

from peeka.workplace.approvals import views

app_name = "approvals"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("new/", views.new, name="new"),
    path("new/<int:form_id>/", views.draft, name="draft"),
    path("<int:document_id>/", views.document, name="document"),
    path("<int:document_id>/print/", views.print_view, name="print"),
    path("<int:document_id>/edit/", views.edit, name="edit"),
    path("<int:document_id>/line/", views.line, name="line"),
    path("<int:document_id>/submit/", views.submit, name="submit"),
    path("<int:document_id>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:document_id>/redraft/", views.redraft, name="redraft"),
    path("<int:document_id>/challenge/", views.decide_challenge, name="challenge"),
    path("<int:document_id>/frames/", views.decide_frames, name="frames"),
]
