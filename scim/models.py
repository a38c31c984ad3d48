"""An organisation's SCIM bearer tokens: its identity provider (Entra ID) creates and deactivates its
own staff with one, and nobody else's. Only a hash of each token is stored."""
from __future__ import annotations

from django.db import models

from organisations.models import Organisation


class ScimToken(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="scim_tokens")
    name = models.CharField(max_length=100, help_text="What uses it, e.g. 'Entra ID provisioning'.")
    key_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the token, in hex.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["organisation", "-created_at"]

    def __str__(self) -> str:
        return f"{self.organisation.slug}: {self.name}"
