from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from . import throttle
from .models import Region


class ThrottledAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": _("Too many failed sign-in attempts. Please wait 15 minutes and try again."),
    }

    def clean(self):
        username = self.data.get("username", "")
        address = self.request.META.get("REMOTE_ADDR") if self.request else None
        if throttle.is_throttled(username, address):
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            throttle.record_failure(username, address)
            raise
        throttle.clear(username, address)
        return cleaned


class RegisterCompanyForm(forms.Form):
    name = forms.CharField(label=_("Company name"), max_length=200)
    credit_code = forms.CharField(label=_("Unified social credit code"), max_length=18, min_length=18)
    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.all(), to_field_name="code",
                                    empty_label=None)
    full_name = forms.CharField(label=_("Contact person"), max_length=100)
    phone = forms.CharField(label=_("Mobile phone"), max_length=20, required=False)
    username = forms.CharField(label=_("User name"), max_length=150)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, min_length=10)
