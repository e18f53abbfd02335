from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from relais.accounts.selectors import current_user
from relais.core.files import file_response
from relais.core.permissions import deny
from relais.kb import selectors, services
from relais.kb.forms import ArticleForm, FeedbackForm
from relais.kb.models import ArticleFeedback, ArticleImage, ArticleState, ArticleVersion
from relais.kb.permissions import article_policy
from relais.tickets.models import Category


@login_required
@require_GET
def article_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    state = request.GET.get("etat", "")
    if state not in ArticleState.values:
        state = ""
    try:
        category_id = int(request.GET.get("categorie", "")) or None
    except ValueError:
        category_id = None
    qs = selectors.article_list(user, state=state or None, category_id=category_id)
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "kb/list.html",
        {
            "page": page,
            "state": state,
            "states": ArticleState.choices if article_policy.can(user, "create") else [],
            "category_id": category_id,
            # Pagination links keep the filters.
            "page_query": urlencode(
                {k: v for k, v in (("etat", state), ("categorie", category_id)) if v}
            ),
            "categories": Category.objects.filter(is_active=True, parent__isnull=True).only(
                "id", "name"
            ),
            "popular": selectors.popular_articles(user) if not state else [],
            "can_create": article_policy.can(user, "create"),
        },
    )


def _form_draft(form: ArticleForm) -> services.ArticleDraft:
    data = form.cleaned_data
    return services.ArticleDraft(
        title=data["title"],
        body=data["body"],
        category=data.get("category"),
        tags=form.tag_list(),
        audience=data["audience"],
        review_by=data.get("review_by"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def article_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not article_policy.can(user, "create"):
        deny(user)
    form = ArticleForm(request.POST or None, initial={"audience": "everyone"})
    if request.method == "POST" and form.is_valid():
        try:
            article = services.article_create(draft=_form_draft(form), actor=user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Draft saved."))
            return redirect(article)
    return render(request, "kb/form.html", {"form": form, "article": None})


@login_required
@require_GET
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    article = article_policy.get_or_404(user, pk)
    services.article_viewed(article)
    feedback = ArticleFeedback.objects.filter(article=article, user=user).first()
    moves = [
        (state, ArticleState(state).label)
        for state in sorted(services.TRANSITIONS.get(article.state, ()))
        if article_policy.may_move(user, article, state)
    ]
    return render(
        request,
        "kb/detail.html",
        {
            "article": article,
            "related": selectors.related_articles(user, article),
            "feedback": feedback,
            "feedback_form": FeedbackForm(),
            "can_edit": article_policy.can(user, "edit", article),
            "moves": moves,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def article_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    article = article_policy.get_for(user, pk, "edit")
    form = ArticleForm(
        request.POST or None, initial=ArticleForm.initial_for(article), article=article
    )
    if request.method == "POST" and form.is_valid():
        try:
            article = services.article_update(
                article=article,
                draft=_form_draft(form),
                actor=user,
                expected_version=form.cleaned_data.get("version") or 0,
                summary=form.cleaned_data.get("summary", ""),
                related=list(form.cleaned_data.get("related") or []),
            )
        except services.ArticleConflict as conflict:
            form.add_error(
                None,
                _(
                    "Someone else saved this article while you were editing it. Your text is "
                    "kept below: compare it with the current version (open it in another tab), "
                    "then save again."
                ),
            )
            data = request.POST.copy()
            data["version"] = str(conflict.article.version)
            form.data = data
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Article saved (version %(n)s).") % {"n": article.version})
            return redirect(article)
    return render(request, "kb/form.html", {"form": form, "article": article})


@login_required
@require_POST
def article_move(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    article = article_policy.get_for(user, pk, "edit")
    try:
        services.article_move(article=article, state=request.POST.get("state", ""), actor=user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("The article is now “%(state)s”.") % {"state": article.get_state_display()}
        )
    return redirect(article)


@login_required
@require_POST
def article_feedback(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    article = article_policy.get_for(user, pk, "feedback")
    form = FeedbackForm(request.POST)
    if form.is_valid():
        services.article_feedback(
            article=article,
            actor=user,
            useful=form.cleaned_data["useful"],
            comment=form.cleaned_data["comment"],
        )
        messages.success(request, _("Thank you for your feedback."))
    else:
        messages.error(request, _("Say whether the article was useful."))
    return redirect(article)


@login_required
@require_GET
def article_history(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    article = article_policy.get_for(user, pk, "history")
    versions = list(
        ArticleVersion.objects.filter(article=article).select_related("author").order_by("-number")
    )
    by_number = {v.number: v for v in versions}
    diff = None
    old = new = None
    if len(versions) > 1:
        try:
            new = by_number[int(request.GET.get("b", versions[0].number))]
            old = by_number[int(request.GET.get("a", new.number - 1))]
        except (KeyError, ValueError):
            raise Http404 from None
        diff = selectors.version_diff(old, new)
    return render(
        request,
        "kb/history.html",
        {"article": article, "versions": versions, "diff": diff, "old": old, "new": new},
    )


@login_required
@require_POST
def article_from_ticket(request: HttpRequest, reference: str) -> HttpResponse:
    from relais.tickets.selectors import ticket_detail

    user = current_user(request)
    ticket = ticket_detail(viewer=user, reference=reference)
    try:
        article = services.article_from_ticket(ticket=ticket, actor=user)
    except PermissionDenied:
        deny(user)
        raise
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("tickets:detail", reference=reference)
    messages.success(request, _("A draft article was written from this ticket: review it."))
    return redirect("kb:edit", pk=article.pk)


@login_required
@require_POST
def article_image_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    article = article_policy.get_for(user, pk, "edit")
    upload = request.FILES.get("image")
    if upload is None:
        messages.error(request, _("Choose an image to add."))
        return redirect("kb:edit", pk=article.pk)
    try:
        image = services.article_image_add(article=article, actor=user, upload=upload)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Image added. Paste this line where it belongs in the text: %(code)s")
            % {"code": image.markdown()},
        )
    return redirect("kb:edit", pk=article.pk)


@login_required
@require_GET
def article_image(request: HttpRequest, image_id: int) -> HttpResponseBase:
    """An article's image, to whoever may read the article (404 otherwise), inline only when
    its bytes are still those of a raster image."""
    user = current_user(request)
    image = get_object_or_404(ArticleImage, pk=image_id)
    article_policy.get_or_404(user, image.article_id)
    return file_response((image.storage_name, image.original_name, image.content_type), inline=True)
