//! PIM for Groups: which groups a pull asks, and their eligibility and assignment instances.
//!
//! Graph v1.0 cannot list the groups PIM governs, and its documentation asks callers to query
//! onboarded groups only ("To reduce the chances of getting throttled, call these APIs only for
//! groups that are onboarded to PIM", privilegedidentitymanagement-for-groups-api-overview.md).
//! So a pull does not ask every group of the tenant. It asks:
//! - the role-assignable groups (`isAssignableToRole`, read from the documented `$select` of
//!   `GET /groups`: the reference documents no `$filter` on it, so it is read client-side);
//! - the groups the caller names: those named in a campaign definition's scope, and those an
//!   earlier pull found holding PIM assignments or activations (the reference documents no audit
//!   request that names PIM for Groups activity, so earlier records stand in for it).
//!
//! A group PIM cannot govern — dynamic membership, or synchronized from on-premises (the same
//! page: every group "except dynamic groups and groups synchronized from on-premises") — is never
//! asked: one that would have been is reported per group as `notGovernable`, the others are
//! counted in a note.

use super::*;

/// What `GET /groups` is asked to return: what decides whether a group is asked, and its name
/// for the gaps. `onPremisesSyncEnabled`, `groupTypes` and `isAssignableToRole` are properties of
/// the documented list response (group-list.md, Example 1).
const GROUP_SELECT: &str = "id,displayName,groupTypes,isAssignableToRole,onPremisesSyncEnabled";

/// A group as `GET /groups?$select=…` lists it. The documented example answers `null` for
/// `isAssignableToRole` and `onPremisesSyncEnabled` on ordinary groups: `null` is "no".
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ListedGroup {
    pub(super) id: Option<String>,
    pub(super) display_name: Option<String>,
    pub(super) group_types: Option<Vec<String>>,
    pub(super) is_assignable_to_role: Option<bool>,
    pub(super) on_premises_sync_enabled: Option<bool>,
}

impl ListedGroup {
    /// Why PIM cannot govern this group, if it cannot.
    pub(super) fn ungovernable(&self) -> Option<&'static str> {
        let dynamic = self
            .group_types
            .as_ref()
            .is_some_and(|types| types.iter().any(|t| t.eq_ignore_ascii_case("DynamicMembership")));
        if dynamic {
            Some("dynamic membership (groupTypes has DynamicMembership)")
        } else if self.on_premises_sync_enabled == Some(true) {
            Some("synchronized from on-premises (onPremisesSyncEnabled)")
        } else {
            None
        }
    }
}

/// The groups to ask, sorted by id, and what the choice left out.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Chosen {
    pub(super) ids: Vec<String>,
    pub(super) gaps: Vec<PullGap>,
    pub(super) notes: Vec<String>,
}

/// Chooses the groups to ask among those listed: role-assignable or `named` (ids, any case),
/// and governable. A named group the directory does not list (deleted since, or a typo in a
/// definition) is noted, not asked.
pub(super) fn choose(listed: &[ListedGroup], named: &[String]) -> Chosen {
    let named: BTreeSet<String> = named.iter().map(|id| id.trim().to_ascii_lowercase()).collect();
    let mut chosen = Chosen::default();
    let mut seen = BTreeSet::new();
    let mut ungovernable_skipped = 0usize;
    for group in listed {
        let Some(id) = filled(group.id.clone()) else { continue };
        let key = id.to_ascii_lowercase();
        if !seen.insert(key.clone()) {
            continue;
        }
        let wanted = group.is_assignable_to_role == Some(true) || named.contains(&key);
        match (group.ungovernable(), wanted) {
            (Some(why), true) => chosen.gaps.push(PullGap {
                area: GapArea::PimGroup,
                object_id: Some(id),
                object_name: filled(group.display_name.clone()),
                reason: GapReason::NotGovernable,
                detail: format!(
                    "{why}: PIM for Groups governs neither dynamic groups nor groups synchronized \
                     from on-premises"
                ),
            }),
            (Some(_), false) => ungovernable_skipped += 1,
            (None, true) => chosen.ids.push(id),
            (None, false) => {}
        }
    }
    chosen.ids.sort();
    let missing: Vec<&String> = named.iter().filter(|id| !seen.contains(*id)).collect();
    if !missing.is_empty() {
        chosen.notes.push(format!(
            "PIM for Groups: {} group(s) named in a definition or found by an earlier pull are no \
             longer in the directory and were not asked: {}",
            missing.len(),
            missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    if ungovernable_skipped > 0 {
        chosen.notes.push(format!(
            "PIM for Groups: {ungovernable_skipped} dynamic or on-premises-synchronized group(s) \
             were not asked: PIM cannot govern them"
        ));
    }
    chosen
}

/// PIM for Groups: the chosen groups' eligibility and assignment instances, two `$batch` steps per
/// group.
pub(super) async fn pim_groups(
    client: &GraphClient,
    options: &PullOptions<'_>,
) -> Result<Part, GraphError> {
    let report = Reporter::new(options, PullStage::PimGroups);
    let cloud = client.cloud();
    let groups_url = cloud.graph_url(&format!("groups?$select={GROUP_SELECT}&$top={TOP}"));
    let (groups, mut pages) = match or_unread(
        client.get_all_as::<ListedGroup>(&groups_url).await,
        GapArea::PimGroup,
        gap_reason,
    )? {
        Ok(found) => found,
        Err(unread) => return Ok(unread),
    };
    let names: HashMap<String, String> = groups
        .iter()
        .filter_map(|g| {
            Some((filled(g.id.clone())?.to_ascii_lowercase(), filled(g.display_name.clone())?))
        })
        .collect();
    let chosen = choose(&groups, options.pim_groups);
    let base = "/identityGovernance/privilegedAccess/group";
    let steps: Vec<(String, AssignmentKind, String)> = chosen
        .ids
        .iter()
        .flat_map(|id| {
            let filter = format!("$filter=groupId eq '{id}'");
            [
                (
                    format!("{base}/eligibilityScheduleInstances?{filter}"),
                    AssignmentKind::Eligible,
                    id.clone(),
                ),
                (
                    format!("{base}/assignmentScheduleInstances?{filter}"),
                    AssignmentKind::Active,
                    id.clone(),
                ),
            ]
        })
        .collect();
    let chunks: Vec<Vec<(String, AssignmentKind, String)>> =
        steps.chunks(BATCH_LIMIT).map(<[_]>::to_vec).collect();
    report.add(chunks.len());
    type Read = Result<Fetched<GroupInstance, AssignmentKind>, PullGap>;
    let names = &names;
    let results: Vec<Vec<Read>> = stream::iter(chunks)
        .map(|chunk| {
            let report = &report;
            async move {
                let urls: Vec<String> = chunk.iter().map(|(u, _, _)| u.clone()).collect();
                let answers = client.batch_get_raw(&urls).await?;
                let mut out = Vec::new();
                for (answer, (url, kind, group)) in answers.into_iter().zip(&chunk) {
                    match client.batch_list_as(&answer).await {
                        Ok((items, pages)) => {
                            out.push(Ok((items, pages, *kind, cloud.graph_url(url))));
                        }
                        Err(err) => match gap_reason(&err) {
                            Some(reason) => out.push(Err(gap(
                                GapArea::PimGroup,
                                Some((
                                    group,
                                    names.get(&group.to_ascii_lowercase()).map(String::as_str),
                                )),
                                reason,
                                &err,
                            ))),
                            None => return Err(err),
                        },
                    }
                }
                report.tick();
                Ok::<_, GraphError>(out)
            }
        })
        .buffered(FAN_OUT)
        .try_collect()
        .await?;
    let mut part = Part {
        roles: vec![
            RoleDefinition {
                surface: Surface::PimGroup,
                id: "member".into(),
                display_name: "Group member".into(),
                is_built_in: true,
                permissions: None,
            },
            RoleDefinition {
                surface: Surface::PimGroup,
                id: "owner".into(),
                display_name: "Group owner".into(),
                is_built_in: true,
                permissions: None,
            },
        ],
        notes: chosen.notes,
        gaps: chosen.gaps,
        ..Part::default()
    };
    for read in results.into_iter().flatten() {
        let (items, step_pages, kind, url) = match read {
            Ok(fetched) => fetched,
            Err(gap) => {
                push_gap(&mut part.gaps, gap);
                continue;
            }
        };
        for item in items {
            instance(&mut part, item, kind, &url)?;
        }
        pages.extend(step_pages);
    }
    part.pages = pages;
    Ok(part)
}

/// Maps one PIM for Groups instance into `part`: an assignment, or an activation (usage).
fn instance(
    part: &mut Part,
    item: GroupInstance,
    kind: AssignmentKind,
    url: &str,
) -> Result<(), GraphError> {
    let missing = |f: &str| malformed(url, format!("a PIM for Groups instance has no `{f}`"));
    let principal_id = filled(item.principal_id).ok_or_else(|| missing("principalId"))?;
    let group_id = filled(item.group_id).ok_or_else(|| missing("groupId"))?;
    let access = filled(item.access_id).ok_or_else(|| missing("accessId"))?.to_lowercase();
    let start = parse_time(item.start_date_time.as_deref());
    if equals(&item.assignment_type, "activated") {
        let activation = Activation {
            surface: Surface::PimGroup,
            role_id: access,
            scope: group_id,
            principal_id,
            at: start.unwrap_or_default(),
        };
        part.activated(item.id, activation);
        return Ok(());
    }
    let membership =
        if equals(&item.member_type, "group") { Membership::Group } else { Membership::Direct };
    part.assignments.push(Assignment {
        surface: Surface::PimGroup,
        source_id: filled(item.id).ok_or_else(|| missing("id"))?,
        role_id: access,
        scope: group_id,
        principal_kind: PrincipalKind::Unknown,
        principal_name: principal_id.clone(),
        principal_upn: None,
        principal_id,
        kind,
        membership,
        start,
        end: parse_time(item.end_date_time.as_deref()),
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(
        id: &str,
        assignable: Option<bool>,
        types: &[&str],
        synced: Option<bool>,
    ) -> ListedGroup {
        ListedGroup {
            id: Some(id.into()),
            display_name: Some(format!("Group {id}")),
            group_types: Some(types.iter().map(|t| t.to_string()).collect()),
            is_assignable_to_role: assignable,
            on_premises_sync_enabled: synced,
        }
    }

    #[test]
    fn asks_role_assignable_and_named_groups_and_reports_the_ungovernable_ones() {
        let listed = [
            group("b-assignable", Some(true), &[], None),
            group("a-plain", None, &[], None),
            group("C-Named", Some(false), &["Unified"], Some(false)),
            group("d-dynamic-named", None, &["DynamicMembership"], None),
            group("e-synced-named", None, &[], Some(true)),
            group("f-dynamic", None, &["Unified", "DynamicMembership"], None),
            group("g-synced", None, &[], Some(true)),
        ];
        let named = [
            "c-named".to_string(),
            "D-DYNAMIC-NAMED".into(),
            "e-synced-named".into(),
            "gone".into(),
        ];
        let chosen = choose(&listed, &named);
        assert_eq!(chosen.ids, vec!["C-Named".to_string(), "b-assignable".into()]);
        let ungovernable: Vec<(&str, GapReason)> = chosen
            .gaps
            .iter()
            .map(|g| (g.object_id.as_deref().unwrap_or_default(), g.reason))
            .collect();
        assert_eq!(
            ungovernable,
            vec![
                ("d-dynamic-named", GapReason::NotGovernable),
                ("e-synced-named", GapReason::NotGovernable)
            ]
        );
        assert!(chosen.gaps[0].detail.contains("dynamic membership"), "{:?}", chosen.gaps[0]);
        assert!(chosen.gaps[1].detail.contains("on-premises"), "{:?}", chosen.gaps[1]);
        assert!(chosen.gaps.iter().all(|g| g.area == GapArea::PimGroup));
        assert_eq!(chosen.notes.len(), 2, "{:?}", chosen.notes);
        assert!(chosen.notes[0].contains("gone"), "{:?}", chosen.notes);
        assert!(chosen.notes[1].contains("2 dynamic or on-premises"), "{:?}", chosen.notes);
    }

    #[test]
    fn a_tenant_without_role_assignable_or_named_groups_asks_none() {
        let listed = [group("a", None, &[], None), group("b", Some(false), &[], None)];
        assert_eq!(choose(&listed, &[]), Chosen::default());
    }
}
