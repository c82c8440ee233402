from config import ids  # noqa: F401  (registers <id:...>)

app_name = "ranking"
urlpatterns = []
