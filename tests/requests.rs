//! Only documented requests: every request of a full pull, a remediation and its verification is
//! recorded by the emulator (`$batch` steps included) and checked against what Microsoft documents
//! for its path. A query option the documentation does not state for that path fails the test.
//!
//! The table below is the reference made machine-readable. Each row cites the page it rests on,
//! as collected in `reference/graph-docs/` (`query-support.md`, `pages.json`, the `*.json`
//! examples); a path the documentation does not cover is not in the table, so a request to it
//! fails too. ARM rows cite the Azure REST API specification (`arm.json`).

use std::collections::{BTreeMap, BTreeSet};

use recert_app::CancellationToken;
use recert_app::dto::{GapAreaDto, GapReasonDto};
use recert_app::evidence::EvidencePaths;
use recert_emulator::{Options, RequestRecord, Tenant};
use recert_tests::Harness;

use crate::remediation::{definition, quiet, upn_of};

/// How a query option's value is checked beyond its name being documented.
#[derive(Clone, Copy, Debug)]
enum Value {
    /// Any value.
    Any,
    /// `$expand` of navigation properties with nothing inside parentheses
    /// (accessreviews-scope-concept.md uses `$expand=principal` on the instance lists; a nested
    /// `$select` there is reported to fail with 400).
    PlainExpand,
    /// `$expand=manager(...)`: a nested `$select` only together with `$levels`, which is `max` or
    /// 1..1000 (user-list-manager.md: "The `$levels` parameter is required").
    ManagerExpand,
    /// A filter that scopes the list by `groupId` or `principalId` with `eq`
    /// (privilegedaccessgroup-list-*scheduleinstances.md: "This method requires the `$filter`
    /// (`eq`) query parameter").
    GroupOrPrincipalEq,
}

/// One documented request shape: method, path (`{}` matches one segment, `{scope}` an ARM scope of
/// any depth), the query options the documentation states for it, those it requires, and the
/// page it rests on.
struct Documented {
    method: &'static str,
    path: &'static str,
    options: &'static [(&'static str, Value)],
    required: &'static [&'static str],
    source: &'static str,
}

const V: &str = "/graph/v1.0/";

/// Every request shape Recert may send, with its source.
const DOCUMENTED: &[Documented] = &[
    Documented {
        method: "GET",
        path: "roleManagement/directory/roleDefinitions",
        options: &[("$filter", Value::Any), ("$expand", Value::Any)],
        required: &[],
        source: "rbacapplication-list-roledefinitions.md: `$filter` (eq, in) on id, displayName, isBuiltIn; `$expand`",
    },
    Documented {
        method: "GET",
        path: "roleManagement/directory/roleEligibilityScheduleInstances",
        options: &[
            ("$select", Value::Any),
            ("$filter", Value::Any),
            ("$expand", Value::PlainExpand),
        ],
        required: &[],
        source: "rbacapplication-list-roleeligibilityscheduleinstances.md: `$select`, `$filter`, `$expand`",
    },
    Documented {
        method: "GET",
        path: "roleManagement/directory/roleAssignmentScheduleInstances",
        options: &[
            ("$select", Value::Any),
            ("$filter", Value::Any),
            ("$expand", Value::PlainExpand),
        ],
        required: &[],
        source: "rbacapplication-list-roleassignmentscheduleinstances.md: `$select`, `$filter`, `$expand`",
    },
    Documented {
        method: "POST",
        path: "roleManagement/directory/roleEligibilityScheduleRequests",
        options: &[],
        required: &[],
        source: "rbacapplication-post-roleeligibilityschedulerequests.md (role-requests.json, Example 2: adminRemove)",
    },
    Documented {
        method: "POST",
        path: "roleManagement/directory/roleAssignmentScheduleRequests",
        options: &[],
        required: &[],
        source: "rbacapplication-post-roleassignmentschedulerequests.md (role-requests.json)",
    },
    Documented {
        method: "GET",
        path: "identityGovernance/privilegedAccess/group/eligibilityScheduleInstances",
        options: &[
            ("$select", Value::Any),
            ("$filter", Value::GroupOrPrincipalEq),
            ("$expand", Value::PlainExpand),
        ],
        required: &["$filter"],
        source: "privilegedaccessgroup-list-eligibilityscheduleinstances.md: `$filter` (eq) on groupId or principalId required; `$select`, `$filter`, `$expand`",
    },
    Documented {
        method: "GET",
        path: "identityGovernance/privilegedAccess/group/assignmentScheduleInstances",
        options: &[
            ("$select", Value::Any),
            ("$filter", Value::GroupOrPrincipalEq),
            ("$expand", Value::PlainExpand),
        ],
        required: &["$filter"],
        source: "privilegedaccessgroup-list-assignmentscheduleinstances.md: `$filter` (eq) on groupId or principalId required; `$select`, `$filter`, `$expand`",
    },
    Documented {
        method: "POST",
        path: "identityGovernance/privilegedAccess/group/eligibilityScheduleRequests",
        options: &[],
        required: &[],
        source: "privilegedaccessgroup-post-eligibilityschedulerequests.md (group-pim.json)",
    },
    Documented {
        method: "POST",
        path: "identityGovernance/privilegedAccess/group/assignmentScheduleRequests",
        options: &[],
        required: &[],
        source: "privilegedaccessgroup-post-assignmentschedulerequests.md (group-pim.json)",
    },
    Documented {
        method: "GET",
        path: "groups",
        options: &[
            ("$count", Value::Any),
            ("$expand", Value::Any),
            ("$filter", Value::Any),
            ("$orderby", Value::Any),
            ("$search", Value::Any),
            ("$select", Value::Any),
            ("$top", Value::Any),
        ],
        required: &[],
        source: "group-list.md: `$count`, `$expand`, `$filter`, `$orderBy`, `$search`, `$select`, `$top` (default/maximum page 100/999); no `$skip`",
    },
    Documented {
        method: "GET",
        path: "groups/{}/transitiveMembers",
        options: &[
            ("$search", Value::Any),
            ("$count", Value::Any),
            ("$filter", Value::Any),
            ("$select", Value::Any),
        ],
        required: &[],
        source: "group-list-transitivemembers.md: `$search`, `$count`, `$filter`; `$select` in its examples (groups.json, Example 4)",
    },
    Documented {
        method: "GET",
        path: "users",
        options: &[
            ("$count", Value::Any),
            ("$expand", Value::ManagerExpand),
            ("$filter", Value::Any),
            ("$orderby", Value::Any),
            ("$search", Value::Any),
            ("$select", Value::Any),
            ("$top", Value::Any),
        ],
        required: &[],
        source: "user-list.md: `$count`, `$expand`, `$filter`, `$orderby`, `$search`, `$select`, `$top`; signInActivity only when selected (users.json, Example 11)",
    },
    Documented {
        method: "GET",
        path: "users/{}",
        options: &[("$select", Value::Any), ("$expand", Value::ManagerExpand)],
        required: &[],
        source: "user-get.md: `$select` (also of properties not returned by default); user-list-manager.md: `GET /users/{id}?$expand=manager($levels=n)` with a nested `$select`",
    },
    Documented {
        method: "POST",
        path: "directoryObjects/getByIds",
        options: &[("$select", Value::Any)],
        required: &["$select"],
        source: "directoryobject-getbyids.md (directory-objects.json); known-issues.md: without `$select` the objects are incomplete",
    },
    Documented {
        method: "GET",
        path: "auditLogs/directoryAudits",
        options: &[("$filter", Value::Any), ("$top", Value::Any), ("$orderby", Value::Any)],
        required: &[],
        source: "directoryaudit-list.md: `$filter` (eq, ge, le, startswith), `$top`, `$orderby`, skiptoken",
    },
    Documented {
        method: "POST",
        path: "$batch",
        options: &[],
        required: &[],
        source: "json-batching.md (batch.json): at most 20 steps, relative URLs",
    },
    Documented {
        method: "POST",
        path: "identityGovernance/accessReviews/definitions",
        options: &[],
        required: &[],
        source: "accessreviewset-post-definitions.md (access-reviews.json); scope as accessreviews-scope-concept.md Examples 9b/9c",
    },
    Documented {
        method: "DELETE",
        path: "identityGovernance/accessReviews/definitions/{}",
        options: &[],
        required: &[],
        source: "accessreviewscheduledefinition-delete.md (access-review-operations.json)",
    },
    Documented {
        method: "GET",
        path: "identityGovernance/accessReviews/definitions/{}/instances",
        options: &[
            ("$select", Value::Any),
            ("$filter", Value::Any),
            ("$orderby", Value::Any),
            ("$skip", Value::Any),
            ("$top", Value::Any),
        ],
        required: &[],
        source: "accessreviewscheduledefinition-list-instances.md: `$select`, `$filter`, `$orderBy`, `$skip`, `$top` (access-review-operations.json)",
    },
    Documented {
        method: "GET",
        path: "identityGovernance/accessReviews/definitions/{}/instances/{}/decisions",
        options: &[
            ("$select", Value::Any),
            ("$filter", Value::Any),
            ("$orderby", Value::Any),
            ("$skip", Value::Any),
            ("$top", Value::Any),
        ],
        required: &[],
        source: "accessreviewinstance-list-decisions.md: `$select`, `$filter`, `$orderby`, `$skip`, `$top` (access-reviews.json)",
    },
    Documented {
        method: "GET",
        path: "identityGovernance/accessReviews/definitions/{}/instances/{}/contactedReviewers",
        options: &[
            ("$select", Value::Any),
            ("$filter", Value::Any),
            ("$orderby", Value::Any),
            ("$skip", Value::Any),
            ("$top", Value::Any),
        ],
        required: &[],
        source: "accessreviewinstance-list-contactedreviewers.md: `$select`, `$filter`, `$orderBy`, `$skip`, `$top` (access-review-operations.json)",
    },
    Documented {
        method: "POST",
        path: "identityGovernance/accessReviews/definitions/{}/instances/{}/stop",
        options: &[],
        required: &[],
        source: "accessreviewinstance-stop.md (access-review-operations.json)",
    },
    Documented {
        method: "POST",
        path: "identityGovernance/accessReviews/definitions/{}/instances/{}/sendReminder",
        options: &[],
        required: &[],
        source: "accessreviewinstance-sendreminder.md (access-review-operations.json)",
    },
    Documented {
        method: "POST",
        path: "users/{}/sendMail",
        options: &[],
        required: &[],
        source: "user-sendmail.md: `POST /users/{id | userPrincipalName}/sendMail` (access-review-operations.json)",
    },
    Documented {
        method: "GET",
        path: "/arm/subscriptions",
        options: &[("api-version", Value::Any)],
        required: &["api-version"],
        source: "ARM Subscriptions - List (api-version only); not in graph-docs",
    },
    Documented {
        method: "GET",
        path: "/arm/{scope}/providers/Microsoft.Authorization/roleDefinitions",
        options: &[("api-version", Value::Any), ("$filter", Value::Any)],
        required: &["api-version"],
        source: "ARM Role Definitions - List (api-version, $filter); not in graph-docs",
    },
    Documented {
        method: "GET",
        path: "/arm/{scope}/providers/Microsoft.Authorization/roleEligibilityScheduleInstances",
        options: &[("api-version", Value::Any), ("$filter", Value::Any)],
        required: &["api-version"],
        source: "RoleEligibilityScheduleInstance.json@8c36ae35 (2020-10-01): `$filter` and api-version only (arm.json)",
    },
    Documented {
        method: "GET",
        path: "/arm/{scope}/providers/Microsoft.Authorization/roleAssignmentScheduleInstances",
        options: &[("api-version", Value::Any), ("$filter", Value::Any)],
        required: &["api-version"],
        source: "RoleAssignmentScheduleInstance.json@65ee5e20 (2020-10-01): `$filter` and api-version only (arm.json)",
    },
    Documented {
        method: "PUT",
        path: "/arm/{scope}/providers/Microsoft.Authorization/roleEligibilityScheduleRequests/{}",
        options: &[("api-version", Value::Any)],
        required: &["api-version"],
        source: "RoleEligibilityScheduleRequest.json@104476d2 (2020-10-01): PUT with requestType AdminRemove (arm.json)",
    },
    Documented {
        method: "PUT",
        path: "/arm/{scope}/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/{}",
        options: &[("api-version", Value::Any)],
        required: &["api-version"],
        source: "PutRoleAssignmentScheduleRequest.json@21a01b15 (2020-10-01), the same request shape (arm.json)",
    },
];

/// Whether `path` (no query) matches `pattern`.
fn path_matches(pattern: &str, path: &str) -> bool {
    let pattern =
        if pattern.starts_with('/') { pattern.to_string() } else { format!("{V}{pattern}") };
    let want: Vec<&str> = pattern.trim_matches('/').split('/').collect();
    let have: Vec<&str> = path.trim_matches('/').split('/').collect();
    fn walk(want: &[&str], have: &[&str]) -> bool {
        match (want.first(), have.first()) {
            (None, None) => true,
            (Some(&"{scope}"), _) => {
                // An ARM scope: one or more segments before `providers`.
                (1..=have.len()).any(|n| {
                    !have[..n].iter().any(|s| s.eq_ignore_ascii_case("providers"))
                        && walk(&want[1..], &have[n..])
                })
            }
            (Some(&"{}"), Some(_)) => walk(&want[1..], &have[1..]),
            (Some(w), Some(h)) => w.eq_ignore_ascii_case(h) && walk(&want[1..], &have[1..]),
            _ => false,
        }
    }
    walk(&want, &have)
}

/// What is wrong with `request` against the documentation, if anything.
fn undocumented(request: &RequestRecord) -> Option<String> {
    let path = request.path.split('?').next().unwrap_or_default();
    let Some(doc) = DOCUMENTED
        .iter()
        .find(|d| d.method.eq_ignore_ascii_case(&request.method) && path_matches(d.path, path))
    else {
        return Some("no documented request has this method and path".into());
    };
    let pairs: Vec<(String, String)> = reqwest::Url::parse(&format!("https://h{}", request.path))
        .map(|u| u.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
        .unwrap_or_default();
    for required in doc.required {
        if !pairs.iter().any(|(k, _)| k.eq_ignore_ascii_case(required)) {
            return Some(format!("`{required}` is required ({})", doc.source));
        }
    }
    for (name, value) in &pairs {
        // A next link's skip token is the service's own, handed back as it came (paging.md).
        if name.eq_ignore_ascii_case("$skiptoken") {
            continue;
        }
        let Some((_, check)) = doc.options.iter().find(|(o, _)| o.eq_ignore_ascii_case(name))
        else {
            return Some(format!("`{name}` is not documented here ({})", doc.source));
        };
        let ok = match check {
            Value::Any => true,
            Value::PlainExpand => !value.contains('('),
            Value::ManagerExpand => manager_expand_ok(value),
            Value::GroupOrPrincipalEq => {
                let v = value.replace(' ', "").to_ascii_lowercase();
                v.contains("groupideq'") || v.contains("principalideq'")
            }
        };
        if !ok {
            return Some(format!("`{name}={value}` is not a documented form ({})", doc.source));
        }
    }
    None
}

fn manager_expand_ok(value: &str) -> bool {
    let Some(inner) = value.strip_prefix("manager(").and_then(|v| v.strip_suffix(')')) else {
        return value == "manager";
    };
    let mut levels_ok = false;
    let mut has_select = false;
    for option in inner.split(';') {
        match option.split_once('=') {
            Some(("$levels", l)) => {
                levels_ok = l == "max" || l.parse::<u32>().is_ok_and(|n| (1..=1000).contains(&n));
                if !levels_ok {
                    return false;
                }
            }
            Some(("$select", _)) => has_select = true,
            _ => return false,
        }
    }
    levels_ok || !has_select
}

#[test]
fn the_table_recognises_documented_requests_and_refuses_the_old_offenders() {
    let record = |method: &str, path: &str| RequestRecord {
        method: method.into(),
        path: path.into(),
        batch_step: false,
        status: 200,
    };
    let ok = [
        (
            "GET",
            "/graph/v1.0/roleManagement/directory/roleEligibilityScheduleInstances?$filter=roleDefinitionId%20eq%20'x'",
        ),
        (
            "GET",
            "/graph/v1.0/roleManagement/directory/roleAssignmentScheduleInstances?$filter=roleDefinitionId%20eq%20'x'&$expand=principal",
        ),
        (
            "GET",
            "/graph/v1.0/users/u1?$select=id,signInActivity&$expand=manager($levels=1;$select=id)",
        ),
        ("POST", "/graph/v1.0/directoryObjects/getByIds?$select=id,accountEnabled,userType"),
        (
            "GET",
            "/graph/v1.0/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances?$filter=groupId%20eq%20'g'",
        ),
        (
            "GET",
            "/arm/subscriptions/s/resourceGroups/r/providers/Microsoft.Authorization/roleEligibilityScheduleInstances?api-version=2020-10-01&$filter=principalId%20eq%20'p'",
        ),
        ("GET", "/graph/v1.0/groups?$select=id&$top=999&$skiptoken=abc"),
    ];
    for (method, path) in ok {
        assert_eq!(undocumented(&record(method, path)), None, "{path}");
    }
    let offenders = [
        (
            "GET",
            "/graph/v1.0/roleManagement/directory/roleEligibilityScheduleInstances?$filter=roleDefinitionId%20eq%20'x'&$expand=principal($select=id)&$top=999",
        ),
        ("GET", "/graph/v1.0/roleManagement/directory/roleAssignmentScheduleInstances?$top=999"),
        ("GET", "/graph/v1.0/users/u1?$select=id&$expand=manager($select=id)"),
        ("POST", "/graph/v1.0/directoryObjects/getByIds"),
        (
            "GET",
            "/graph/v1.0/identityGovernance/privilegedAccess/group/assignmentScheduleInstances",
        ),
        ("GET", "/graph/v1.0/roleManagement/directory/roleDefinitions?$select=id"),
        ("GET", "/graph/v1.0/groups/g/transitiveMembers?$select=id&$top=999"),
        ("GET", "/graph/v1.0/users?$skip=10"),
        ("GET", "/graph/v1.0/servicePrincipals"),
    ];
    for (method, path) in offenders {
        assert!(undocumented(&record(method, path)).is_some(), "{path} should be refused");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_a_remediation_and_its_verification_send_only_documented_requests() {
    let tenant = Tenant::demo_at(recert_tests::at(2026, 1, 1, 0));
    let h = Harness::start(tenant.clone(), Options::default()).await;
    h.clock.set(recert_tests::at(2026, 1, 5, 9));
    let pull = h.pull().await;
    assert!(pull.eligible + pull.active > 0, "the pull found assignments");
    let after_pull = h.emulator.request_log().len();
    // The people picker asks the tenant for what the pulled directory does not hold.
    let nobody = h.app.search_people(&h.tenant_id, "zq no such person").await.expect("searched");
    assert!(nobody.is_empty(), "{nobody:?}");
    h.act_as_admin().await;
    let reviewer =
        upn_of(&tenant, "").into_iter().find(|u| !u.starts_with("breakglass")).expect("a user");
    let created = h
        .app
        .definition_create(definition(
            &h.tenant_id,
            &["directoryRole", "pimGroup", "azureRole"],
            &reviewer,
        ))
        .await
        .expect("a valid definition");
    let campaign = h.app.campaign_open(&created.definition.id).await.expect("open");
    h.clock.set(recert_tests::at(2026, 1, 20, 9));
    h.app.campaign_close(&campaign.id, None).await.expect("close");
    let applied = h
        .app
        .remediation_apply(&campaign.id, &quiet(), CancellationToken::new())
        .await
        .expect("apply");
    assert!(applied.counts.succeeded > 0, "removals were sent: {:?}", applied.counts);
    let verified = h.app.remediation_verify(&campaign.id).await.expect("verify");
    assert!(verified.counts.verified_removed > 0, "{:?}", verified.counts);

    let log = h.emulator.request_log();
    assert!(log.len() > after_pull, "the remediation's requests were recorded");
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut wrong = Vec::new();
    for request in &log {
        let shape = request.path.split('?').next().unwrap_or_default().to_string();
        *seen.entry(format!("{} {shape}", request.method)).or_default() += 1;
        if let Some(why) = undocumented(request) {
            wrong.push(format!("{} {}: {why}", request.method, request.path));
        }
    }
    wrong.sort();
    wrong.dedup();
    assert!(wrong.is_empty(), "undocumented requests:\n{}", wrong.join("\n"));
    // The flow exercised every kind of request Recert sends: reads of each surface and each
    // removal endpoint the demo tenant's plan reached.
    let sent = |needle: &str| seen.keys().any(|k| k.contains(needle));
    for needle in [
        "roleDefinitions",
        "roleEligibilityScheduleInstances",
        "roleAssignmentScheduleInstances",
        "privilegedAccess/group/eligibilityScheduleInstances",
        "getByIds",
        "transitiveMembers",
        "POST /graph/v1.0/$batch",
        "auditLogs/directoryAudits",
        "ScheduleRequests",
        "/arm/subscriptions",
    ] {
        assert!(sent(needle), "no request to {needle} was recorded: {seen:#?}");
    }
    assert!(log.iter().any(|r| r.batch_step), "$batch steps are recorded one by one");
    assert!(
        log.iter().any(|r| r.path.starts_with("/graph/v1.0/users?") && r.path.contains("$search=")),
        "the people search asked the tenant with $search"
    );
    assert!(
        log.iter().filter(|r| r.batch_step).any(|r| r.path.contains("$expand=manager($levels=1;")),
        "each user's manager is read with $levels"
    );
}

/// Publishing to Entra Access Reviews, reading the decisions back over several pages, the
/// contacted reviewers, a reminder, the stop at close, a withdrawn review and a reminder mail:
/// every request is a documented one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_reviews_send_only_documented_requests() {
    use recert_graph::reviews::{self, CampaignRef, Mail, ReviewScope};
    let tenant = Tenant::demo();
    let emu = recert_emulator::Emulator::start(
        tenant.clone(),
        Options { page_size: 2, ..Options::default() },
    )
    .await
    .expect("the emulator starts");
    let cloud = recert_graph::Cloud::custom(&emu.base_url()).expect("a base URL");
    let http = recert_graph::http_client(emu.certificate_der().as_deref()).expect("a client");
    let (id, secret) = emu.app_client();
    let credential =
        recert_graph::app_only_secret(&cloud, http.clone(), &emu.tenant_id(), &id, &secret)
            .expect("a credential");
    let client = recert_graph::GraphClient::new(http, cloud, credential);
    let role =
        tenant.eligibility_instances()[0]["roleDefinitionId"].as_str().expect("a role").to_string();
    let user = tenant.users()[0]["id"].as_str().expect("a user").to_string();
    let campaign = CampaignRef {
        id: "1".into(),
        name: "Quarterly".into(),
        start: chrono::NaiveDate::from_ymd_opt(2026, 1, 5).expect("a date"),
        end: chrono::NaiveDate::from_ymd_opt(2026, 1, 19).expect("a date"),
        justification_on_approve: true,
        fallback_reviewers: vec![user.clone()],
    };
    let scopes: Vec<ReviewScope> =
        [recert_domain::AssignmentKind::Eligible, recert_domain::AssignmentKind::Active]
            .map(|kind| ReviewScope { role_id: role.clone(), role_name: "A role".into(), kind })
            .to_vec();
    let published = reviews::publish(&client, &campaign, &scopes).await.expect("published");
    for p in &published {
        let state = reviews::read_review(&client, &p.definition_id).await.expect("read");
        for (iid, _) in &state.instances {
            reviews::contacted_reviewers(&client, &p.definition_id, iid).await.expect("read");
        }
        reviews::send_reminders(&client, &state).await.expect("reminded");
        reviews::stop(&client, &state).await.expect("stopped");
    }
    assert!(reviews::withdraw(&client, &published[1..]).await.is_empty());
    let mail = Mail {
        to: "a@contoso.com".into(),
        subject: "s".into(),
        text: "t".into(),
        attachment: None,
    };
    reviews::send_mail(&client, &user, &mail).await.expect("sent");
    let log = emu.request_log();
    let wrong: Vec<String> = log
        .iter()
        .filter_map(|r| undocumented(r).map(|why| format!("{} {}: {why}", r.method, r.path)))
        .collect();
    assert!(wrong.is_empty(), "undocumented requests:\n{}", wrong.join("\n"));
    assert!(
        log.iter().any(|r| r.path.contains("/decisions?") && r.path.contains("$skip=")),
        "decisions were paged"
    );
}

/// The groups whose PIM for Groups lists were asked, from the recorded requests (`$batch` steps
/// included): the `groupId` each list's `$filter` names, lowercase.
fn pim_groups_asked(log: &[RequestRecord]) -> BTreeSet<String> {
    log.iter()
        .filter(|r| {
            r.path.contains("/privilegedAccess/group/") && r.path.contains("ScheduleInstances")
        })
        .filter_map(|r| {
            let url = reqwest::Url::parse(&format!("https://h{}", r.path)).ok()?;
            let filter = url.query_pairs().find(|(k, _)| k == "$filter")?.1.into_owned();
            let id = filter.strip_prefix("groupId eq '")?.strip_suffix('\'')?;
            Some(id.to_ascii_lowercase())
        })
        .collect()
}

/// PIM for Groups without a request storm: the lists are asked for the role-assignable groups and
/// the groups a definition names, never for every group of the tenant. A named group PIM cannot
/// govern (dynamic membership) is not asked but reported as not governable: in the pull, the
/// population view and the binder's population statement, without holding the campaign.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pim_for_groups_is_asked_only_about_role_assignable_and_named_groups() {
    let tenant = Tenant::demo_at(recert_tests::at(2026, 1, 1, 0));
    let h = Harness::start(tenant.clone(), Options::default()).await;
    h.clock.set(recert_tests::at(2026, 1, 5, 9));
    let first = h.pull().await;
    let id = |g: &serde_json::Value| g["id"].as_str().unwrap_or_default().to_ascii_lowercase();
    let has_type = |g: &serde_json::Value, t: &str| {
        g["groupTypes"].as_array().is_some_and(|types| types.iter().any(|x| x == t))
    };
    let assignable: BTreeSet<String> =
        tenant.groups().iter().filter(|g| g["isAssignableToRole"] == true).map(id).collect();
    let dynamic =
        tenant.groups().iter().find(|g| has_type(g, "DynamicMembership")).map(id).expect("dynamic");
    let synced = tenant
        .groups()
        .iter()
        .find(|g| g["onPremisesSyncEnabled"] == true)
        .map(id)
        .expect("a group synchronized from on-premises");
    let plain = tenant
        .groups()
        .iter()
        .map(id)
        .find(|g| !assignable.contains(g) && *g != dynamic && *g != synced)
        .expect("a plain group");
    assert!(assignable.len() < tenant.groups().len(), "the tenant has other groups too");

    // A first pull knows no group yet: it asks the role-assignable ones, and only those.
    assert_eq!(pim_groups_asked(&h.emulator.request_log()), assignable);
    let read = first
        .surfaces
        .iter()
        .find(|s| s.surface == recert_domain::Surface::PimGroup)
        .expect("a row");
    let instances = tenant
        .group_eligibility_instances()
        .iter()
        .filter(|i| {
            i["groupId"].as_str().is_some_and(|g| assignable.contains(&g.to_ascii_lowercase()))
        })
        .count();
    assert_eq!(read.eligible as usize, instances, "every PIM for Groups eligibility was read");
    assert_eq!(instances, tenant.group_eligibility_instances().len(), "PIM is on those groups");
    assert!(first.gaps.is_empty(), "nobody named the ungovernable groups: {:?}", first.gaps);
    assert!(
        first.notes.iter().any(|n| n.contains("2 dynamic or on-premises")),
        "the ungovernable groups not asked are counted: {:?}",
        first.notes
    );

    // A definition names a plain group and the dynamic one: the next pull asks the plain group
    // too, and reports the dynamic one without asking it.
    h.act_as_admin().await;
    let reviewer =
        upn_of(&tenant, "").into_iter().find(|u| !u.starts_with("breakglass")).expect("a user");
    let mut named = definition(&h.tenant_id, &["directoryRole", "pimGroup"], &reviewer);
    named.scope.pim_groups = vec![plain.to_ascii_uppercase(), dynamic.clone()];
    let created = h.app.definition_create(named).await.expect("a valid definition");
    h.emulator.clear_request_log();
    let pull = h.app.pull(&h.tenant_id).await.expect("pull");
    let mut expected = assignable.clone();
    expected.insert(plain.clone());
    assert_eq!(pim_groups_asked(&h.emulator.request_log()), expected);
    let gaps: Vec<(GapAreaDto, Option<String>, GapReasonDto)> = pull
        .gaps
        .iter()
        .map(|g| (g.area, g.object_id.as_ref().map(|s| s.to_ascii_lowercase()), g.reason))
        .collect();
    assert_eq!(
        gaps,
        vec![(GapAreaDto::PimGroup, Some(dynamic.clone()), GapReasonDto::NotGovernable)]
    );
    assert!(pull.gaps[0].detail.contains("dynamic membership"), "{:?}", pull.gaps[0]);
    let summary = h.app.role_summary(&h.tenant_id).await.expect("the population view");
    assert_eq!(summary.gaps, pull.gaps, "the population view lists it");

    // Nothing in it could be under review, so the campaign opens without an acceptance, and the
    // binder's population statement says the group is not governable.
    let campaign = h.app.campaign_open(&created.definition.id).await.expect("opens");
    let dir = tempfile::tempdir().expect("a temp dir");
    let json = dir.path().join("binder.json");
    h.app
        .evidence_export(
            &campaign.id,
            EvidencePaths { pdf: None, csv: None, json: Some(json.clone()) },
        )
        .await
        .expect("export");
    let binder: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).expect("the binder")).expect("JSON");
    let lines: Vec<&str> = binder["binder"]["population"]["gaps"]
        .as_array()
        .expect("gap lines")
        .iter()
        .filter_map(serde_json::Value::as_str)
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("not governable by PIM")
                && l.to_ascii_lowercase().contains(&dynamic)),
        "{lines:?}"
    );
    assert!(binder["binder"]["population"]["gap_accepted"].is_null(), "nothing was accepted");
}
