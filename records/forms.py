from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _


def max_upload_bytes():
    return getattr(settings, "RECORDS_VERIFY_MAX_BYTES", 50 * 1024 * 1024)


class VerifyForm(forms.Form):
    file = forms.FileField(label=_("PDF file"), error_messages={"required": _("Choose a PDF file to check.")})

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > max_upload_bytes():
            raise forms.ValidationError(_("The file is larger than %(max)s."),
                                        params={"max": filesizeformat(max_upload_bytes())}, code="too_large")
        return upload
