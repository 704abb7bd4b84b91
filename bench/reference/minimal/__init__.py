"""The moonshot: a minimal Django project serving the reference's upload view.

Its own settings (``core.settings`` is not imported): only the apps the File
row needs, one middleware, the same database, media directory and broker as
the stack. What the reference (``bench/reference``) costs beyond this is the
app's settings and middleware; what the app costs beyond it is everything.
"""
