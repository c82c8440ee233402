from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import throttle
from .models import Region


class ThrottledAuthenticationForm(AuthenticationForm):
    def clean(self):
        username = self.data.get("username", "")
        address = throttle.client_address(self.request)
        locked = throttle.locked_message(username, address)
        if locked:
            raise forms.ValidationError(locked, code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError as exc:
            left = throttle.record_failure(username, address)
            if left == 0:
                raise forms.ValidationError(throttle.locked_message(username, address), code="throttled") from None
            raise forms.ValidationError([*exc.error_list, forms.ValidationError(ngettext(
                "You have %(n)d more try before signing in is paused for %(minutes)d minutes.",
                "You have %(n)d more tries before signing in is paused for %(minutes)d minutes.", left,
            ) % {"n": left, "minutes": throttle.window_minutes()}, code="tries_left")]) from None
        throttle.clear(username, address)
        return cleaned


class PasswordResetRequestForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150)


class PasswordResetForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150)
    code = forms.CharField(
        label=_("Code from the text message"), max_length=6, min_length=6,
        validators=[RegexValidator(r"^[0-9]{6}$", _("The code has 6 digits."))],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
    password = forms.CharField(label=_("New password"), min_length=10,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password_again = forms.CharField(label=_("New password again"),
                                     widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password") and cleaned.get("password") != cleaned.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        return cleaned


class RegisterCompanyForm(forms.Form):
    name = forms.CharField(label=_("Company name"), max_length=200)
    credit_code = forms.CharField(label=_("Unified social credit code"), max_length=18, min_length=18)
    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.all(), to_field_name="code",
                                    empty_label=None)
    legal_representative = forms.CharField(label=_("Legal representative"), max_length=100, required=False,
                                           help_text=_("As on the business licence (营业执照)."))
    full_name = forms.CharField(label=_("Contact person"), max_length=100)
    phone = forms.CharField(label=_("Mobile phone"), max_length=20, required=False)
    username = forms.CharField(label=_("User name"), max_length=150)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, min_length=10)
