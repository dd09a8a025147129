from django.contrib.auth import get_user_model

from .models import ApiToken
from .services import api_token_create, api_token_revoke


def load_demo_tokens(stdout):
    """A few tokens so Settings → API tokens shows each state; their keys are thrown away."""
    if ApiToken.objects.exists():
        return
    user = get_user_model().objects.filter(is_staff=True, username="maria").first()
    if user is None:
        return
    api_token_create(user=user, name="Billing system sync (demo)", scopes=["read"])
    api_token_create(user=user, name="Provisioning portal (demo)", scopes=["read", "write"])
    old, _key = api_token_create(user=user, name="Old Kamailio edge (demo)", scopes=["switch"])
    api_token_revoke(api_token=old)
    stdout.write("API tokens: 3 demo tokens for maria (keys not kept; create your own in Settings → API tokens).")
