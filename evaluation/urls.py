from django.urls import include, path

app_name = "evaluation"
urlpatterns = [
    path("experts/", include("evaluation.urls_pool")),
    path("draws/", include("evaluation.urls_draw")),
    path("sessions/", include("evaluation.urls_session")),
    path("clarifications/", include("evaluation.urls_clarify")),
    path("alerts/", include("evaluation.urls_alerts")),
]
