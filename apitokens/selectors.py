from .models import ApiToken


def may_manage_all(user) -> bool:
    return user.has_perm("apitokens.manage_all_api_tokens")


def api_token_list(*, user):
    """Tokens the user manages: their own, or everyone's with the permission to manage all."""
    tokens = ApiToken.objects.select_related("user", "created_by")
    return tokens if may_manage_all(user) else tokens.filter(user=user)
