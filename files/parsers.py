"""The upload's parser: multipart/form-data whose files are checked while they stream."""

from django.conf import settings
from django.http.multipartparser import MultiPartParser as DjangoMultiPartParser
from django.http.multipartparser import MultiPartParserError
from rest_framework.exceptions import ParseError
from rest_framework.parsers import DataAndFiles, MultiPartParser

from .uploads import CheckingUploadHandler


class CheckedMultiPartParser(MultiPartParser):
    """DRF's multipart parser with ``CheckingUploadHandler`` first in the handler chain.

    Each parsed file carries what the handler learned as ``facts`` (sha256,
    size, first bytes), so nothing reads it again. The request's own handler
    list is left alone; a body that ends inside a file is a ParseError, and a
    refused upload (too large) leaves no temporary file behind.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        request = parser_context["request"]
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        meta = request.META.copy()
        meta["CONTENT_TYPE"] = media_type
        checker = CheckingUploadHandler(request._request, max_size=settings.FILES_MAX_UPLOAD_SIZE)
        handlers = [checker, *request.upload_handlers]
        try:
            data, files = DjangoMultiPartParser(meta, stream, handlers, encoding).parse()
        except MultiPartParserError as exc:
            _close_partial_files(handlers)
            raise ParseError(f"Multipart form parse error - {exc}") from exc
        except BaseException:
            _close_partial_files(handlers)
            raise
        for field, facts in checker.facts.items():
            uploads = files.getlist(field)
            if not uploads:
                raise ParseError("The multipart body ended before the file did.")
            uploads[-1].facts = facts
        return DataAndFiles(data, files)


def _close_partial_files(handlers) -> None:
    """Close (and so delete) the temporary file a handler was writing when parsing stopped."""
    for handler in handlers:
        partial = getattr(handler, "file", None)
        if partial is not None and not partial.closed:
            partial.close()
