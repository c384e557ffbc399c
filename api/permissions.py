"""Who may call what: authenticated users everywhere; anonymous GETs of the dashboard endpoints only when
API_PUBLIC_READ is on (a private-network deployment serving the unchanged dashboard, which sends no credentials)."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from bedrot_site.client_address import public_read_allowed


class DashboardReadPermission(BasePermission):
    """IsAuthenticated, except that API_PUBLIC_READ lets anonymous clients in API_PUBLIC_READ_FROM read views marked
    `public_read` (REMOTE_ADDR is the client behind trusted proxies: bedrot_site/client_address.py)."""

    def has_permission(self, request, view) -> bool:
        if request.user and request.user.is_authenticated:
            return True
        return bool(
            request.method in SAFE_METHODS
            and getattr(view, "public_read", False)
            and public_read_allowed(address=request.META.get("REMOTE_ADDR"))
        )


class CanRefresh(BasePermission):
    """Staff, or a user (token) granted warehouse.add_loadrun: queueing a load is a write."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (user.is_staff or user.has_perm("warehouse.add_loadrun")))
