"""The warehouse's own page: a shell that its script fills from the DRF endpoints and keeps live over /ws."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie


@login_required
@ensure_csrf_cookie  # the staff's refresh button POSTs /api/refresh with the session, so CSRF applies
def dashboard_page(request):
    return render(request, "dashboard/index.html")
