"""What django-axes counts failed sign-ins by (``AXES_LOCKOUT_PARAMETERS``)."""


def lockout_parameters(request_or_attempt, credentials) -> list[str]:
    """The username alone, whatever address, user agent or cookie the attempt came with."""
    return ["username"]
