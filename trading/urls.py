from django.urls import path

from . import views

app_name = "trading"
urlpatterns = [
    path("tenders/", views.tender_list, name="list"),
    path("tenders/new/", views.new_tender, name="new"),
    path("tenders/mine/", views.my_tenders, name="mine"),
    path("tenders/review/", views.review_queue, name="review"),
    path("tenders/<int:pk>/", views.tender_detail, name="detail"),
    path("tenders/<int:pk>/edit/", views.edit_tender, name="edit"),
    path("tenders/<int:pk>/documents/", views.add_document, name="add_document"),
    path("tenders/<int:pk>/documents/<int:doc_pk>/", views.download_document, name="document"),
    path("tenders/<int:pk>/submit/", views.submit_tender, name="submit"),
    path("tenders/<int:pk>/approve/", views.approve_tender, name="approve"),
    path("tenders/<int:pk>/return/", views.return_tender, name="return"),
    path("tenders/<int:pk>/custodians/", views.choose_custodians, name="custodians"),
    path("tenders/<int:pk>/amend/", views.amend_tender, name="amend"),
    path("tenders/<int:pk>/objections/", views.raise_objection, name="object"),
    path("objections/<int:pk>/answer/", views.answer_objection, name="answer_objection"),
    path("calendar/", views.calendar, name="calendar"),
    path("tenders/<int:pk>/opening/", views.opening_hall, name="hall"),
    path("tenders/<int:pk>/opened/<int:file_pk>/", views.opened_document, name="opened_document"),
]
