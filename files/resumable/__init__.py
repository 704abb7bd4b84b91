"""Resumable uploads (the tus 1.0.0 protocol): partial bytes kept in the configured storage
(``stores``), the upload's lifecycle and quota reservation (``services``), owner-scoped
reads (``selectors``) and the protocol's HTTP surface (``views``)."""
