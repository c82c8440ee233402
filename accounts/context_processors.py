from .permissions import roles as user_roles


def roles(request):
    """The signed-in user's roles, for the navigation."""
    user = getattr(request, "user", None)
    return {"user_roles": user_roles(user) if user is not None else set()}
