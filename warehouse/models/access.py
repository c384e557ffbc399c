"""API access: hashed API tokens (warehouse/tokens.py issues them)."""

from django.db import models


class ApiToken(models.Model):
    """An API token, stored as the sha256 of its key: a copied database or backup holds no usable credential.
    The key itself is shown once, when the token is created (warehouse/tokens.py)."""

    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True, help_text="What uses it, e.g. 'dashboard' or 'scheduler'.")
    key_sha256 = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=8, editable=False, help_text="The key's first characters, to recognise it.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "api_token"
        ordering = ["user_id", "id"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name or 'unnamed'})"
