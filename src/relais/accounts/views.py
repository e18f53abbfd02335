from __future__ import annotations

import base64
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from relais.accounts import permissions, selectors, services
from relais.accounts.forms import (
    LoginForm,
    OtpCodeForm,
    PasswordResetForm,
    ProfileForm,
    TokenForm,
    UserFilterForm,
)
from relais.accounts.middleware import second_factor_verified
from relais.accounts.selectors import current_user
from relais.core.choices import AuditAction
from relais.core.permissions import deny
from relais.core.privacy import ERASED_DOMAIN
from relais.core.services import audit_record


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["oidc_enabled"] = settings.OIDC_ENABLED
        context["sso_failed"] = self.request.GET.get("sso") == "echec"
        return context


class OidcLoginView(OIDCAuthenticationRequestView):
    """Start of single sign-on (redirect to the provider); 404 when OIDC is off."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.OIDC_ENABLED:
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class OidcCallbackView(OIDCAuthenticationCallbackView):
    """The provider's return; 404 when OIDC is off."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.OIDC_ENABLED:
            raise Http404
        return super().dispatch(request, *args, **kwargs)


def lockout_response(
    request: HttpRequest, credentials: dict[str, Any] | None = None, *args: Any, **kwargs: Any
) -> HttpResponse:
    """What a locked-out person sees (django-axes calls it): the login page, with why."""
    form = LoginForm(request, data=None)
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    lock_message = _(
        "Too many failed attempts: this account is locked for %(minutes)d minutes. "
        "Try again later or reset your password."
    ) % {"minutes": minutes}
    return render(
        request,
        "accounts/login.html",
        {"form": form, "lock_message": lock_message},
        status=429,
    )


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetForm
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form: Any) -> HttpResponse:
        # Only the address typed is kept, whether or not it belongs to someone.
        audit_record(
            action=AuditAction.PASSWORD_RESET_REQUEST,
            actor_label=form.cleaned_data["email"][:254],
            request=self.request,
        )
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        audit_record(
            action=AuditAction.PASSWORD_CHANGE,
            actor=self.user,
            target=self.user,
            request=self.request,
            changes={"via": "reset"},
        )
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        audit_record(
            action=AuditAction.PASSWORD_CHANGE,
            actor=form.user,
            target=form.user,
            request=self.request,
        )
        messages.success(self.request, _("Your password has been changed."))
        return response


_user = current_user


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = ProfileForm(
        request.POST or None,
        initial={"display_name": user.display_name, "phone": user.phone, "language": user.language},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update(user=user, actor=user, data=form.cleaned_data, request=request)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Your profile has been saved."))
            response = redirect("accounts:profile")
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, samesite="Lax")
            return response
    return render(request, "accounts/profile.html", {"form": form, "profile_user": user})


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; a signed-in person's profile follows."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        return redirect("core:home")
    if request.user.is_authenticated:
        services.user_update(
            user=_user(request), actor=_user(request), data={"language": language}, request=request
        )
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("core:home")
    response = HttpResponseRedirect(next_url)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax", max_age=365 * 24 * 3600
    )
    return response


ISSUED_TOKEN_SESSION_KEY = "_relais_issued_token"  # noqa: S105  (a key name)


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.token_create(
                user=user,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                days=form.cleaned_data["days"],
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            # Post/redirect/get: a reload must not create a second token. The secret is kept
            # in the session only until the next page shows it, once.
            request.session[ISSUED_TOKEN_SESSION_KEY] = issued.secret
            return redirect("accounts:tokens")
    issued_secret = request.session.pop(ISSUED_TOKEN_SESSION_KEY, None)
    tokens = selectors.token_list(viewer=user, owner=user)
    return render(
        request,
        "accounts/tokens.html",
        {"form": form, "tokens": tokens, "issued_secret": issued_secret},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = permissions.api_tokens.get_or_404(request.user, token_id)
    services.token_revoke(token=token, actor=_user(request), request=request)
    messages.success(request, _("The token has been revoked."))
    return redirect("accounts:tokens")


@login_required
@require_GET
def user_list(request: HttpRequest) -> HttpResponse:
    if not permissions.users.can(request.user, "list"):
        raise PermissionDenied
    form = UserFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.user_list(
        viewer=request.user, q=filters.get("q", ""), role=filters.get("role", "")
    )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/user_list.html", {"form": form, "page": page})


@login_required
@require_GET
def user_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    shown = permissions.users.get_or_404(request.user, user_id)
    return render(
        request,
        "accounts/user_detail.html",
        {
            "shown": shown,
            "can_reset_otp": permissions.users.can(request.user, "reset_otp", shown),
            "can_grant_archive": permissions.users.can(request.user, "grant_archive", shown),
            "can_export": permissions.users.can(request.user, "export_data", shown),
            "can_erase": permissions.users.can(request.user, "erase", shown),
            "erased": shown.email.endswith(ERASED_DOMAIN),
            "has_otp": services.otp_has_device(user=shown),
        },
    )


# --- Second factor ------------------------------------------------------------------------------

OTP_CODES_SESSION_KEY = "_relais_recovery_codes"


def _safe_next(request: HttpRequest) -> str:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return reverse("core:home")


@login_required
@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponse:
    """After the password: the authenticator's code (or a recovery code)."""
    user = _user(request)
    if not services.otp_has_device(user=user):
        return redirect("accounts:otp_setup")
    form = OtpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.otp_verify(user=user, code=form.cleaned_data["code"], request=request)
        if device is not None:
            otp_login(request, device)
            return redirect(_safe_next(request))
        form.add_error("code", _("This code is not right, or was already used."))
    return render(
        request,
        "accounts/otp_verify.html",
        {"form": form, "next": _safe_next(request)},
        status=400 if form.errors else 200,
    )


@never_cache  # the page holds the secret key and, once, the recovery codes
@login_required
@require_http_methods(["GET", "POST"])
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: a QR code made here (no network), then a first code."""
    user = _user(request)
    codes = request.session.pop(OTP_CODES_SESSION_KEY, None)
    if codes:  # just enrolled: the recovery codes, shown once
        return render(
            request, "accounts/otp_codes.html", {"codes": codes, "next": _safe_next(request)}
        )
    if services.otp_has_device(user=user) and not second_factor_verified(user):
        # Replacing an authenticator needs the current one first.
        return redirect("accounts:otp_verify")
    device = services.otp_pending_device(user=user)
    form = OtpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = services.otp_enrol_confirm(
                user=user, code=form.cleaned_data["code"], request=request
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            otp_login(request, device)
            request.session[OTP_CODES_SESSION_KEY] = codes
            return redirect(f"{reverse('accounts:otp_setup')}?next={_safe_next(request)}")
    # An SVG data URI (the CSP allows data: images): drawn here, nothing fetched.
    qr_svg = segno.make(device.config_url, error="m").svg_data_uri(scale=5)
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return render(
        request,
        "accounts/otp_setup.html",
        {
            "form": form,
            "qr_svg": qr_svg,
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "next": _safe_next(request),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def otp_reset(request: HttpRequest, user_id: int) -> HttpResponse:
    if not permissions.users.can(request.user, "reset_otp", _user(request)):
        deny(request.user)
    shown = permissions.users.get_or_404(request.user, user_id, action="reset_otp")
    services.otp_reset(user=shown, actor=_user(request), request=request)
    messages.success(request, _("The second factor has been reset: it will be enrolled again."))
    return redirect("accounts:user_detail", user_id=shown.pk)


@login_required
@require_POST
def archive_reader_set(request: HttpRequest, user_id: int) -> HttpResponse:
    """An administrator grants or withdraws reading the tickets' intermediate archive."""
    if not permissions.users.can(request.user, "grant_archive", _user(request)):
        deny(request.user)
    shown = permissions.users.get_or_404(request.user, user_id, action="grant_archive")
    granted = request.POST.get("granted") == "1"
    services.user_archive_reader_set(
        user=shown, actor=_user(request), granted=granted, request=request
    )
    messages.success(
        request,
        _("%(name)s can now read the archive.") % {"name": shown.display_name}
        if granted
        else _("%(name)s can no longer read the archive.") % {"name": shown.display_name},
    )
    return redirect("accounts:user_detail", user_id=shown.pk)


# --- Personal data (RGPD) -------------------------------------------------------------------------


@login_required
@require_POST
def personal_data_export(request: HttpRequest, user_id: int) -> HttpResponse:
    from relais.core import privacy

    shown = permissions.users.get_or_404(request.user, user_id, action="export_data")
    issued = privacy.personal_data_export(person=shown, actor=_user(request), request=request)
    link = reverse("accounts:personal_data_download", args=[issued.token])
    return render(
        request,
        "accounts/personal_data_export.html",
        {"shown": shown, "link": link, "expires_at": issued.export.expires_at},
    )


@login_required
@require_GET
def personal_data_download(request: HttpRequest, token: str) -> HttpResponseBase:
    from relais.core import privacy
    from relais.core.files import file_response

    export = privacy.export_for_token(token)
    if export is None or not permissions.users.can(request.user, "export_data", export.person):
        raise Http404
    return file_response(
        (export.storage_name, f"donnees-personnelles-{export.person_id}.zip", "application/zip"),
        inline=False,
    )


@login_required
@require_POST
def personal_data_erase(request: HttpRequest, user_id: int) -> HttpResponse:
    from relais.core import privacy

    shown = permissions.users.get_or_404(request.user, user_id, action="erase")
    if not permissions.users.can(request.user, "erase", shown):
        deny(request.user)
    if request.POST.get("confirm", "").strip().lower() != shown.email.lower():
        messages.error(
            request, _("Type the person's e-mail address to confirm the erasure; nothing changed.")
        )
        return redirect("accounts:user_detail", user_id=shown.pk)
    privacy.personal_data_erase(person=shown, actor=_user(request), request=request)
    messages.success(request, _("The person's data has been erased (pseudonymised)."))
    return redirect("accounts:user_detail", user_id=shown.pk)
