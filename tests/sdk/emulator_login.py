"""Client-credentials sign-in to the emulator for the Graph SDK scripts (page_all.py, pull_all.py):
the token provider the SDK's bearer authentication asks for a token on each request."""

import asyncio
import time

from kiota_abstractions.authentication import AccessTokenProvider, AllowedHostsValidator


class ClientCredentialsProvider(AccessTokenProvider):
    """Client-credentials tokens from the emulator's login host (an Entra-shaped token endpoint)."""

    def __init__(self, http, login, tenant, client_id, secret, host):
        self._http = http
        self._url = f"{login}/{tenant}/oauth2/v2.0/token"
        self._form = {
            "client_id": client_id,
            "client_secret": secret,
            "grant_type": "client_credentials",
            "scope": "https://graph.microsoft.com/.default",
        }
        self._token = None
        self._expires = 0.0
        # Concurrent requests share one token fetch rather than each asking for its own.
        self._lock = asyncio.Lock()
        self._hosts = AllowedHostsValidator([host])

    async def get_authorization_token(self, uri, additional_authentication_context=None):
        async with self._lock:
            if self._token is None or time.time() > self._expires - 60:
                r = await self._http.post(self._url, data=self._form)
                r.raise_for_status()
                body = r.json()
                self._token = body["access_token"]
                self._expires = time.time() + int(body["expires_in"])
            return self._token

    def get_allowed_hosts_validator(self):
        return self._hosts
