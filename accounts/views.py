from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import actions, throttle
from .errors import DomainError, Forbidden
from .forms import PasswordResetForm, PasswordResetRequestForm, RegisterCompanyForm, ThrottledAuthenticationForm
from .models import Organization, Role
from .permissions import can, scope_region_ids


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if any(e.code == "throttled" for e in form.non_field_errors().as_data()):
            response.status_code = 429
        return response


def register(request):
    form = RegisterCompanyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            _org, user = actions.register_company(
                name=data["name"], credit_code=data["credit_code"], region_code=data["region"].code,
                username=data["username"], password=data["password"], full_name=data["full_name"],
                phone=data["phone"], legal_representative=data["legal_representative"],
            )
        except DomainError as exc:
            form.add_error(exc.extra.get("field"), str(exc.message))
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Your company is registered. Trading center staff will verify it."))
            return redirect("home")
    return render(request, "accounts/register.html", {"form": form}, status=400 if form.errors else 200)


def password_reset_request(request):
    """忘记密码, step 1: a user name in, a code out by SMS. The answer is the same for every name."""
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        try:
            actions.request_password_reset(username=username, address=throttle.client_address(request))
        except DomainError as exc:
            form.add_error(None, str(exc.message))
            return render(request, "accounts/password_reset_request.html", {"form": form}, status=exc.http_status)
        request.session["password_reset_username"] = username
        messages.info(request, _("If this user name has an account with a mobile phone number, a code has been "
                                 "sent to that phone by text message."))
        return redirect("accounts:password_reset")
    return render(request, "accounts/password_reset_request.html", {"form": form}, status=400 if form.errors else 200)


def password_reset(request):
    """忘记密码, step 2: the code from the text message and a new password."""
    form = PasswordResetForm(request.POST or None,
                             initial={"username": request.session.get("password_reset_username", "")})
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.reset_password(username=data["username"], code=data["code"], password=data["password"],
                                   address=throttle.client_address(request))
        except DomainError as exc:
            form.add_error(exc.extra.get("field"), str(exc.message))
            status = exc.http_status
        else:
            request.session.pop("password_reset_username", None)
            messages.success(request, _("Your password is changed. Sign in with the new password."))
            return redirect("accounts:login")
    elif form.errors:
        status = 400
    return render(request, "accounts/password_reset.html", {"form": form}, status=status)


@login_required
def organizations(request):
    if not can(request.user, "organization.list", None):
        raise PermissionDenied
    ids = scope_region_ids(request.user, Role.STAFF) | scope_region_ids(request.user, Role.REGULATOR)
    orgs = Organization.objects.filter(region_id__in=ids).select_related("region").order_by("verified_at", "name")
    rows = [(org, can(request.user, "organization.verify", org)) for org in orgs]
    return render(request, "accounts/organizations.html", {"rows": rows})


@login_required
@require_POST
def verify_organization(request, pk):
    try:
        org = actions.verify_organization(actor=request.user, organization_id=pk)
    except Forbidden:
        raise PermissionDenied from None
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("%(name)s is verified.") % {"name": org.name})
    return redirect("accounts:organizations")


@login_required
def security(request):
    """Keys (generated in the browser, public halves registered) and personal API tokens."""
    from .models import ApiToken, PublicKey
    from .permissions import has_role

    kind = "bidder" if has_role(request.user, Role.BIDDER) else "custodian" if has_role(
        request.user, Role.CUSTODIAN) else None
    keys = PublicKey.objects.filter(user=request.user) if kind == "custodian" else PublicKey.objects.filter(
        organization_id=request.user.organization_id or -1)
    unverified = None
    if kind == "bidder" and (request.user.organization is None or request.user.organization.verified_at is None):
        unverified = actions.organization_unverified_message(request.user.organization)
    page = {
        "kind": kind, "username": request.user.username,
        "messages": {
            "generating": _("Generating keys in this browser…"),
            "registered": _("The public keys are registered. Keep the downloaded key file safe: the platform "
                            "cannot recover it."),
            "failed": _("Failed:"),
            "wrong_kind": _("This key file is not of the right kind."),
        },
    }
    return render(request, "accounts/security.html", {
        "kind": kind, "keys": keys, "tokens": ApiToken.objects.filter(user=request.user), "page": page,
        "unverified": unverified,
    })
