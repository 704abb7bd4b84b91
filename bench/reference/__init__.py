"""The ceiling: the least Django can do for an upload, served by the same gunicorn settings."""
