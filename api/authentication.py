"""`Authorization: Token <key>` with DRF's rules and messages, checked against the hashed keys of
warehouse.tokens. Every request reads the token table, so a revoked token or a deactivated user is refused on the
next request. An address that keeps sending unknown keys gets 429 instead of 401 (api/throttling.py BadTokenThrottle)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from api.throttling import BadTokenThrottle
from warehouse.tokens import api_token_user


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate(self, request):
        self._request = request
        return super().authenticate(request)

    def authenticate_credentials(self, key):
        user = api_token_user(key=key)
        if user is None:
            throttle = BadTokenThrottle()
            if not throttle.allow_request(self._request, None):
                raise exceptions.Throttled(throttle.wait())
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return user, None
