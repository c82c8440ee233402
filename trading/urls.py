from django.urls import include, path

from config import ids  # noqa: F401  (registers <id:…>: a database id, else 404)

from . import views, views_calendar, views_today

app_name = "trading"
urlpatterns = [
    path("tenders/", views.tender_list, name="list"),
    path("tenders/new/", views.new_tender, name="new"),
    path("tenders/today/", views_today.today_board, name="today"),
    path("tenders/mine/", views.my_tenders, name="mine"),
    path("tenders/review/", views.review_queue, name="review"),
    path("tenders/<id:pk>/", views.tender_detail, name="detail"),
    path("tenders/<id:pk>/edit/", views.edit_tender, name="edit"),
    path("tenders/<id:pk>/documents/", views.add_document, name="add_document"),
    path("tenders/<id:pk>/documents/<id:doc_pk>/", views.download_document, name="document"),
    path("tenders/<id:pk>/submit/", views.submit_tender, name="submit"),
    path("tenders/<id:pk>/approve/", views.approve_tender, name="approve"),
    path("tenders/<id:pk>/return/", views.return_tender, name="return"),
    path("tenders/<id:pk>/custodians/", views.choose_custodians, name="custodians"),
    path("tenders/<id:pk>/amend/", views.amend_tender, name="amend"),
    path("tenders/<id:pk>/objections/", views.raise_objection, name="object"),
    path("objections/<id:pk>/answer/", views.answer_objection, name="answer_objection"),
    path("calendar/", views_calendar.calendar, name="calendar"),
    path("calendar/confirm/", views_calendar.confirm_year, name="calendar_confirm"),
    path("tenders/<id:pk>/opening/", views.opening_hall, name="hall"),
    path("tenders/<id:pk>/opened/<id:file_pk>/", views.opened_document, name="opened_document"),
    path("", include("trading.urls_green")),  # the green channel: trading:green_*
]
