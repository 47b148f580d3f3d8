"""The framework-free core: inspect → policy → engine → store → rewrite.

Nothing here imports a web framework; the ASGI, WSGI and sidecar shells translate to and from
:class:`~refreshgate.core.request.RequestView`, :class:`~refreshgate.core.request.Decision` and
:class:`~refreshgate.core.api.ApiRequest`/:class:`~refreshgate.core.api.ApiResponse`.
"""
