"""Pulls a tenant's privileged population with the official Microsoft Graph SDK for Python: the
same Graph reads Recert's own pull makes, for the `large-pull` benchmark (tests/bench/pull_large.rs).

Role definitions; per role the eligibility and assignment schedule instances; PIM for Groups per
group through $batch; the activation history from the directory audit log; every principal through
directoryObjects/getByIds (with $select, so that accountEnabled and userType come back); the
transitive members of groups holding roles; each user's manager and last sign-in through $batch.
Every request has the shape Microsoft documents for its path, as Recert's own (tests/requests.rs):
no $top or nested $expand options on the role instance lists, $levels with the manager's nested
$select, no $top on transitiveMembers. Azure resource roles are not read: the
SDK has no ARM client (Recert's pull reads them too, so the comparison is in the SDK's favour).

The work is written as the SDK's documentation shows it: request builders with query parameters,
PageIterator for @odata.nextLink, BatchRequestContent for $batch, and asyncio.gather for
concurrency, with at most 16 requests to Graph in flight (Recert's own ceiling per API).

Prints one JSON object: the counts found and `seconds`, the pull's wall time (interpreter start and
imports excluded).

Usage: pull_all.py --base URL --tenant ID --client-id ID --client-secret S [--ca PEM]
"""

import argparse
import asyncio
import datetime
import json
import ssl
import sys
import time
import traceback
from urllib.parse import urlparse

import httpx
from emulator_login import ClientCredentialsProvider
from kiota_abstractions.authentication import BaseBearerTokenAuthenticationProvider
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_serialization_json.json_parse_node import JsonParseNode
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.audit_logs.directory_audits.directory_audits_request_builder import (
    DirectoryAuditsRequestBuilder,
)
from msgraph.generated.directory_objects.get_by_ids.get_by_ids_post_request_body import (
    GetByIdsPostRequestBody,
)
from msgraph.generated.groups.groups_request_builder import GroupsRequestBuilder
from msgraph.generated.groups.item.transitive_members.transitive_members_request_builder import (
    TransitiveMembersRequestBuilder,
)
from msgraph.generated.identity_governance.privileged_access.group.assignment_schedule_instances.assignment_schedule_instances_request_builder import (
    AssignmentScheduleInstancesRequestBuilder,
)
from msgraph.generated.identity_governance.privileged_access.group.eligibility_schedule_instances.eligibility_schedule_instances_request_builder import (
    EligibilityScheduleInstancesRequestBuilder,
)
from msgraph.generated.models.privileged_access_group_assignment_schedule_instance_collection_response import (
    PrivilegedAccessGroupAssignmentScheduleInstanceCollectionResponse,
)
from msgraph.generated.models.privileged_access_group_eligibility_schedule_instance_collection_response import (
    PrivilegedAccessGroupEligibilityScheduleInstanceCollectionResponse,
)
from msgraph.generated.models.user import User
from msgraph.generated.role_management.directory.role_assignment_schedule_instances.role_assignment_schedule_instances_request_builder import (
    RoleAssignmentScheduleInstancesRequestBuilder,
)
from msgraph.generated.role_management.directory.role_definitions.role_definitions_request_builder import (
    RoleDefinitionsRequestBuilder,
)
from msgraph.generated.role_management.directory.role_eligibility_schedule_instances.role_eligibility_schedule_instances_request_builder import (
    RoleEligibilityScheduleInstancesRequestBuilder,
)
from msgraph.generated.users.item.user_item_request_builder import UserItemRequestBuilder
from msgraph.generated.users.users_request_builder import UsersRequestBuilder
from msgraph_core import GraphClientFactory
from msgraph_core.requests.batch_request_content import BatchRequestContent
from msgraph_core.requests.batch_request_item import BatchRequestItem
from msgraph_core.tasks.page_iterator import PageIterator

CONCURRENCY = 16
# A dropped connection is retried, as Recert's client retries it: the SDK's RetryHandler only
# retries answers (429, 503, 504), and over a run of many minutes a pooled connection now and
# then fails under a request. Each retry is counted and printed.
TRANSPORT_ATTEMPTS = 5
TOP = 999
BATCH = 20
GET_BY_IDS = 1000
# What Recert's getByIds selects (recert-graph's GET_BY_IDS_SELECT).
GET_BY_IDS_SELECT = "id,displayName,userPrincipalName,mail,accountEnabled,userType,appId,mailNickname"
ACTIVATION_COMPLETED = "Add member to role completed (PIM activation)"
LOOKBACK_DAYS = 30


def config(builder, **query):
    """A request configuration with the builder's typed query parameters."""
    name = f"{builder.__name__}GetQueryParameters"
    return RequestConfiguration(query_parameters=getattr(builder, name)(**query))


async def every_item(first_page, adapter):
    """Every item of a collection, following @odata.nextLink with the SDK's PageIterator."""
    items = []
    if first_page is None:
        return items
    iterator = PageIterator(first_page, adapter)

    def keep(item):
        items.append(item)
        return True

    await iterator.iterate(keep)
    return items


def chunks(items, size):
    return [items[i : i + size] for i in range(0, len(items), size)]


class Pull:
    def __init__(self, client, adapter):
        self.client = client
        self.adapter = adapter
        self.slots = asyncio.Semaphore(CONCURRENCY)
        self.transport_retries = 0

    async def retrying(self, call):
        """`call()` (a coroutine function), again on a transport failure (reset, closed, refused)."""
        for attempt in range(1, TRANSPORT_ATTEMPTS + 1):
            try:
                return await call()
            except httpx.TransportError:
                if attempt == TRANSPORT_ATTEMPTS:
                    raise
                self.transport_retries += 1
                await asyncio.sleep(0.1 * attempt)

    async def get_all(self, call):
        """One collection to its end; a whole chain of pages holds one slot."""
        async with self.slots:
            return await self.retrying(lambda: self._every_item_of(call))

    async def _every_item_of(self, call):
        return await every_item(await call(), self.adapter)

    async def batch(self, requests, response_type):
        """One $batch of (key, RequestInformation); returns {key: (status, parsed body)}.

        The request is the SDK's BatchRequestContent. Its answer is read raw and each step parsed
        with the SDK's JSON parse node: msgraph-core's BatchResponseContent reads a step's body
        as base64 bytes, so Graph's JSON step bodies come back empty from `response_body`.
        """
        content = BatchRequestContent()
        for i, (_, info) in enumerate(requests):
            content.add_request(None, BatchRequestItem(info, id=str(i)))
        info = await self.client.batch.to_post_request_information(content)
        async with self.slots:
            raw = await self.retrying(lambda: self.adapter.send_primitive_async(info, "bytes", {}))
        steps = {r["id"]: r for r in json.loads(raw)["responses"]}
        out = {}
        for i, (key, _) in enumerate(requests):
            step = steps.get(str(i), {})
            status = step.get("status", 0)
            body = step.get("body")
            parsed = JsonParseNode(body).get_object_value(response_type) if status == 200 else None
            out[key] = (status, parsed)
        return out

    async def directory_roles(self):
        rm = self.client.role_management.directory
        roles = await self.get_all(
            lambda: rm.role_definitions.get(
                request_configuration=config(RoleDefinitionsRequestBuilder)
            )
        )

        def instances(builder, cls, role_id):
            return self.get_all(
                lambda: builder.get(
                    request_configuration=config(cls, filter=f"roleDefinitionId eq '{role_id}'")
                )
            )

        lists = await asyncio.gather(
            *[
                call
                for role in roles
                for call in (
                    instances(
                        rm.role_eligibility_schedule_instances,
                        RoleEligibilityScheduleInstancesRequestBuilder,
                        role.id,
                    ),
                    instances(
                        rm.role_assignment_schedule_instances,
                        RoleAssignmentScheduleInstancesRequestBuilder,
                        role.id,
                    ),
                )
            ]
        )
        assignments, activations = [], []
        for kind, items in zip(["eligible", "active"] * len(roles), lists):
            for i in items:
                if kind == "active" and (i.assignment_type or "").lower() == "activated":
                    activations.append(("directoryRole", i.role_definition_id, i.principal_id, i.start_date_time))
                    continue
                assignments.append(
                    ("directoryRole", kind, i.id, i.role_definition_id, i.directory_scope_id, i.principal_id, "", i.member_type, i.start_date_time, i.end_date_time)
                )
        return roles, assignments, activations

    async def pim_groups(self):
        groups = await self.get_all(
            lambda: self.client.groups.get(
                request_configuration=config(
                    GroupsRequestBuilder,
                    select=["id", "displayName", "groupTypes", "isAssignableToRole", "onPremisesSyncEnabled"],
                    top=TOP,
                )
            )
        )
        # The same groups Recert asks on a first pull: the role-assignable ones PIM can govern.
        ids = sorted(
            g.id
            for g in groups
            if g.is_assignable_to_role
            and "DynamicMembership" not in (g.group_types or [])
            and not g.on_premises_sync_enabled
        )
        group = self.client.identity_governance.privileged_access.group
        steps = []
        for gid in ids:
            flt = f"groupId eq '{gid}'"
            steps.append(
                (
                    ("eligible", gid),
                    group.eligibility_schedule_instances.to_get_request_information(
                        config(EligibilityScheduleInstancesRequestBuilder, filter=flt)
                    ),
                )
            )
            steps.append(
                (
                    ("active", gid),
                    group.assignment_schedule_instances.to_get_request_information(
                        config(AssignmentScheduleInstancesRequestBuilder, filter=flt)
                    ),
                )
            )
        # Both collection types parse alike; each step is read as its own type.
        answers = await asyncio.gather(
            *[
                self.batch(
                    chunk,
                    PrivilegedAccessGroupEligibilityScheduleInstanceCollectionResponse
                    if chunk[0][0][0] == "eligible"
                    else PrivilegedAccessGroupAssignmentScheduleInstanceCollectionResponse,
                )
                for chunk in self.pim_chunks(steps)
            ]
        )
        assignments, activations = [], []
        for answer in answers:
            for (kind, gid), (status, page) in answer.items():
                if status != 200:
                    raise RuntimeError(f"PIM for Groups step for {gid} answered {status}")
                if page.odata_next_link:
                    items = await self.retrying(lambda: every_item(page, self.adapter))
                else:
                    items = list(page.value or [])
                for i in items:
                    if kind == "active" and (i.assignment_type or "").lower() == "activated":
                        activations.append(("pimGroup", i.access_id, i.principal_id, i.start_date_time))
                        continue
                    assignments.append(("pimGroup", kind, i.id, i.access_id, gid, i.principal_id, "", i.member_type, i.start_date_time, i.end_date_time))
        return assignments, activations

    @staticmethod
    def pim_chunks(steps):
        """$batch chunks of one collection type each (the SDK parses a batch's steps by one type)."""
        eligible = [s for s in steps if s[0][0] == "eligible"]
        active = [s for s in steps if s[0][0] == "active"]
        return chunks(eligible, BATCH) + chunks(active, BATCH)

    async def activity(self, since):
        flt = f"activityDisplayName eq '{ACTIVATION_COMPLETED}' and activityDateTime ge {since}"
        # The audit log is its own service (reports) with its own limits: one chain, outside the
        # directory's slots, as Recert paces it.
        async def read():
            first = await self.client.audit_logs.directory_audits.get(
                request_configuration=config(DirectoryAuditsRequestBuilder, filter=flt, top=TOP)
            )
            return await every_item(first, self.adapter)

        events = await self.retrying(read)
        return [(e.id, e.activity_date_time) for e in events]

    async def sign_in_readable(self):
        await self.retrying(
            lambda: self.client.users.get(
                request_configuration=config(UsersRequestBuilder, select=["id", "signInActivity"], top=1)
            )
        )
        return True

    async def get_by_ids(self, ids):
        async def one(chunk):
            body = GetByIdsPostRequestBody(ids=chunk, types=["user", "group", "servicePrincipal"])
            # The action's builder takes no query parameters: the documented $select goes on its
            # URL, as the SDK's `with_url` allows.
            builder = self.client.directory_objects.get_by_ids.with_url(
                f"{self.adapter.base_url}/directoryObjects/getByIds?$select={GET_BY_IDS_SELECT}"
            )
            async with self.slots:
                answer = await self.retrying(lambda: builder.post(body))
            return list(answer.value or [])

        found = await asyncio.gather(*[one(c) for c in chunks(ids, GET_BY_IDS)])
        return {o.id.lower(): o for page in found for o in page}

    async def managers(self, users):
        """Manager and last sign-in per user, one $batch step each."""
        steps = [
            (
                u,
                self.client.users.by_user_id(u).to_get_request_information(
                    config(
                        UserItemRequestBuilder,
                        select=["id", "signInActivity"],
                        expand=["manager($levels=1;$select=id)"],
                    )
                ),
            )
            for u in users
        ]
        answers = await asyncio.gather(*[self.batch(c, User) for c in chunks(steps, BATCH)])
        out = {}
        for answer in answers:
            for user, (status, body) in answer.items():
                if status == 200:
                    manager = body.manager.id if body.manager else None
                    activity = body.sign_in_activity
                    out[user] = (manager, activity.last_successful_sign_in_date_time if activity else None)
                elif status != 404:
                    raise RuntimeError(f"the step for user {user} answered {status}")
        return out

    async def members(self, group_id):
        return await self.get_all(
            lambda: self.client.groups.by_group_id(group_id).transitive_members.get(
                request_configuration=config(TransitiveMembersRequestBuilder, select=["id"])
            )
        )

    async def run(self, since):
        (roles, dir_assignments, dir_activations), (pim_assignments, pim_activations), audited, _ = (
            await asyncio.gather(self.directory_roles(), self.pim_groups(), self.activity(since), self.sign_in_readable())
        )
        assignments = dir_assignments + pim_assignments
        wanted = sorted({a[5].lower() for a in assignments} | {a[4].lower() for a in pim_assignments})
        # The instance lists no longer carry the principal's type (no nested $expand): every
        # user is known only after getByIds, as in Recert's pull.
        known_users = []

        async def principals_and_members():
            principals = await self.get_by_ids(wanted)
            holders = sorted(
                {a[5].lower() for a in dir_assignments}
                & {i for i, o in principals.items() if o.odata_type == "#microsoft.graph.group"}
            )
            member_lists = await asyncio.gather(*[self.members(g) for g in holders])
            memberships = [(g, m.id.lower()) for g, ms in zip(holders, member_lists) for m in ms]
            missing = sorted({m for _, m in memberships} - principals.keys())
            principals.update(await self.get_by_ids(missing))
            later = sorted(
                i for i, o in principals.items() if o.odata_type == "#microsoft.graph.user" and i not in known_users
            )
            return principals, memberships, await self.managers(later)

        first, (principals, memberships, later) = await asyncio.gather(
            self.managers(known_users), principals_and_members()
        )
        managed = {**first, **later}
        missing = sorted({m.lower() for m, _ in managed.values() if m} - principals.keys())
        principals.update(await self.get_by_ids(missing))
        return {
            "roles": len(roles),
            "assignments": len(assignments),
            "activations": len(dir_activations) + len(pim_activations) + len(audited),
            "principals": len(principals),
            "groupMembers": len(memberships),
            "managers": sum(1 for m, _ in managed.values() if m),
            "transportRetries": self.transport_retries,
        }


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True, help="the emulator's base URL")
    p.add_argument("--tenant", required=True)
    p.add_argument("--client-id", required=True)
    p.add_argument("--client-secret", required=True)
    p.add_argument("--ca", help="PEM file of the emulator's certificate (HTTPS)")
    a = p.parse_args()

    verify = ssl.create_default_context(cafile=a.ca) if a.ca else True
    host = urlparse(a.base).netloc
    since = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=LOOKBACK_DAYS)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    async with httpx.AsyncClient(verify=verify, timeout=120) as token_http:
        auth = BaseBearerTokenAuthenticationProvider(
            ClientCredentialsProvider(token_http, f"{a.base}/login", a.tenant, a.client_id, a.client_secret, host)
        )
        http = GraphClientFactory.create_with_default_middleware(
            client=httpx.AsyncClient(verify=verify, timeout=120, limits=httpx.Limits(max_connections=CONCURRENCY * 2))
        )
        adapter = GraphRequestAdapter(auth, client=http)
        # The SDK's requests go to the emulator's Graph host instead of the public cloud.
        adapter.base_url = f"{a.base}/graph/v1.0"
        client = GraphServiceClient(request_adapter=adapter)
        start = time.perf_counter()
        counts = await Pull(client, adapter).run(since)
        counts["seconds"] = time.perf_counter() - start
    print(json.dumps(counts))


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except Exception as e:  # noqa: BLE001 - the caller reads stderr and the exit code
        traceback.print_exc()
        print(f"pull_all.py failed: {e!r}", file=sys.stderr)
        sys.exit(1)
