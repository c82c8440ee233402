"""The project's own middleware. Each one works in both modes, so that under ASGI Django runs the
whole chain as coroutines: a sync-only middleware makes Django call the rest of the chain through
`async_to_sync` from inside a request thread, an async → sync → async round trip per request whose
thread-sensitive executors can deadlock when the client goes away mid-request (asgiref #348, #535).
That deadlock hung the platform's test server; `tests/test_middleware.py` keeps the chain async."""

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from whitenoise.middleware import WhiteNoiseMiddleware


class _BothModes:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.is_async:
            return self._acall(request)
        self.before(request)
        return self.after(self.get_response(request))

    async def _acall(self, request):
        self.before(request)
        return self.after(await self.get_response(request))

    def before(self, request):
        pass

    def after(self, response):
        return response


class ContentSecurityPolicyMiddleware(_BothModes):
    """Sends the Content-Security-Policy header (Django 5.2 has none built in)."""

    def after(self, response):
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", "")
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response


class ChineseByDefaultMiddleware(_BothModes):
    """Simplified Chinese unless the person chose another language with the switch (its cookie):
    the browser's Accept-Language is not a choice, so it is ignored. Runs before LocaleMiddleware."""

    def before(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise (compressed, cache-friendly static files from daphne) in both modes: WhiteNoise 6's
    own middleware is sync-only. Finding a file is a dictionary lookup (a stat in DEBUG); the file
    itself is streamed by the response."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        super().__init__(get_response)
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.is_async:
            return self._acall(request)
        return super().__call__(request)

    def _static_file(self, request):
        return self.find_file(request.path_info) if self.autorefresh else self.files.get(request.path_info)

    async def _acall(self, request):
        static_file = self._static_file(request)
        if static_file is not None:
            return self.serve(static_file, request)
        return await self.get_response(request)
