from django.core import checks


@checks.register()
def pdf_font_check(app_configs, **kwargs):
    """Warn at startup (not at the first record) when the CJK font of PDF records is missing."""
    from .fonts import font_problem

    problem = font_problem()
    if problem is None:
        return []
    return [checks.Warning(
        f"{problem}: signed PDF records cannot be rendered.",
        hint="Install the Debian package fonts-wqy-microhei, or set PDF_FONT_PATH to a TrueType (.ttf/.ttc) CJK font.",
        id="records.W001",
    )]
