"""Who may call what: authenticated users everywhere; anonymous GETs of the dashboard endpoints only when
API_PUBLIC_READ is on (a private-network deployment serving the unchanged dashboard, which sends no credentials)."""

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS, BasePermission


class DashboardReadPermission(BasePermission):
    """IsAuthenticated, except that API_PUBLIC_READ lets anonymous clients read views marked `public_read`."""

    def has_permission(self, request, view) -> bool:
        if request.user and request.user.is_authenticated:
            return True
        return bool(
            settings.API_PUBLIC_READ and request.method in SAFE_METHODS and getattr(view, "public_read", False)
        )


class CanRefresh(BasePermission):
    """Staff, or a user (token) granted warehouse.add_loadrun: queueing a load is a write."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (user.is_staff or user.has_perm("warehouse.add_loadrun")))
