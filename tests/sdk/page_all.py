"""Pages through a tenant served by the Recert emulator with the official Microsoft Graph SDK for Python.

Prints one JSON object with the number of items (and distinct ids) seen in
roleEligibilityScheduleInstances and users. Used by tests/sdk/main.rs.

Usage: page_all.py --base URL --tenant ID --client-id ID --client-secret S [--ca PEM] [--top N]
"""

import argparse
import asyncio
import json
import ssl
import sys
from urllib.parse import urlparse

import httpx
from emulator_login import ClientCredentialsProvider
from kiota_abstractions.authentication import BaseBearerTokenAuthenticationProvider
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.users.users_request_builder import UsersRequestBuilder
from msgraph_core import GraphClientFactory
from msgraph_core.tasks.page_iterator import PageIterator


async def count_all(first_page, adapter):
    seen = []

    def collect(item):
        seen.append(item.id)
        return True

    # The iterator follows @odata.nextLink, parsing pages as the type of the first one.
    iterator = PageIterator(first_page, adapter)
    await iterator.iterate(collect)
    return len(seen), len(set(seen))


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True, help="the emulator's base URL")
    p.add_argument("--tenant", required=True)
    p.add_argument("--client-id", required=True)
    p.add_argument("--client-secret", required=True)
    p.add_argument("--ca", help="PEM file of the emulator's certificate (HTTPS)")
    p.add_argument("--top", type=int, default=None, help="$top for the users query")
    a = p.parse_args()

    verify = ssl.create_default_context(cafile=a.ca) if a.ca else True
    host = urlparse(a.base).netloc
    async with httpx.AsyncClient(verify=verify, timeout=60) as token_http:
        auth = BaseBearerTokenAuthenticationProvider(
            ClientCredentialsProvider(token_http, f"{a.base}/login", a.tenant, a.client_id, a.client_secret, host)
        )
        http = GraphClientFactory.create_with_default_middleware(client=httpx.AsyncClient(verify=verify, timeout=60))
        adapter = GraphRequestAdapter(auth, client=http)
        # The SDK's requests go to the emulator's Graph host instead of the public cloud.
        adapter.base_url = f"{a.base}/graph/v1.0"
        client = GraphServiceClient(request_adapter=adapter)

        first = await client.role_management.directory.role_eligibility_schedule_instances.get()
        eligibility = await count_all(first, adapter)

        query = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
            select=["id", "displayName", "userPrincipalName", "accountEnabled", "userType", "signInActivity"],
            top=a.top,
        )
        first = await client.users.get(request_configuration=RequestConfiguration(query_parameters=query))
        users = await count_all(first, adapter)

    print(
        json.dumps(
            {
                "roleEligibilityScheduleInstances": eligibility[0],
                "roleEligibilityScheduleInstancesDistinct": eligibility[1],
                "users": users[0],
                "usersDistinct": users[1],
            }
        )
    )


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except Exception as e:  # noqa: BLE001 - the caller reads stderr and the exit code
        print(f"page_all.py failed: {e!r}", file=sys.stderr)
        sys.exit(1)
