from django.urls import path, register_converter

from config import ids  # noqa: F401  (registers <id:...>)

from . import views_ranking


class YearConverter:
    """A year of four digits: a page route never takes an unbounded integer (tests/api/test_integer_parameters.py)."""

    regex = "[0-9]{4}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return f"{int(value):04d}"


class QuarterConverter:
    regex = "[1-4]"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(int(value))


register_converter(YearConverter, "year")
register_converter(QuarterConverter, "quarter")

app_name = "ranking"
urlpatterns = [
    path("", views_ranking.index, name="index"),
    path("<year:year>/<quarter:q>/", views_ranking.detail, name="detail"),
    path("<year:year>/<quarter:q>/pdf/", views_ranking.pdf, name="pdf"),
]
