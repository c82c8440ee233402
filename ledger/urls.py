from django.urls import path

from . import views, views_public

app_name = "ledger"
urlpatterns = [
    path("", views.console, name="console"),
    path("export.csv", views.export, name="export"),
    path("cosign/", views.cosign, name="cosign"),
    path("sth/", views_public.LatestHeadView.as_view(), name="sth"),
    path("sth/history/", views_public.HeadHistoryView.as_view(), name="sth_history"),
    path("proof/inclusion", views_public.InclusionProofView.as_view(), name="inclusion_proof"),
    path("proof/consistency", views_public.ConsistencyProofView.as_view(), name="consistency_proof"),
]
