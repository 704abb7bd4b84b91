"""django-axes' lockout answer (``AXES_LOCKOUT_CALLABLE``) in the error envelope.

The admin's login form reaches it through ``axes.middleware.AxesMiddleware``; the
API's ``auth/token/`` raises ``users.errors.LoginLockedOut`` itself (axes marks
DRF's request, which its middleware never sees), and both answer the same.
"""

from users.errors import LoginLockedOut

from .errors import error_response


def lockout_response(request, original_response=None, credentials=None):
    locked = LoginLockedOut()
    response = error_response(locked.status, code=locked.code, detail=locked.detail)
    for header, value in locked.headers.items():
        response[header] = value
    return response
