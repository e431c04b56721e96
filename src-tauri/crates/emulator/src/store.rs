//! The served tenant: the `Tenant` indexed for fast paging, with pre-serialised JSON per object.
//!
//! Instances are never deleted from their vector: a removal leaves a tombstone, so the positions that
//! skip tokens point at stay valid while a client is paging (Graph's tokens survive writes too).

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::tenant::{ArmData, Client, Tenant, str_field};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    User,
    Group,
    ServicePrincipal,
    /// Not a principal: named by role assignments scoped to it (`directoryScopeId`).
    AdministrativeUnit,
}

impl Kind {
    pub(crate) fn odata_type(self) -> &'static str {
        match self {
            Kind::User => "#microsoft.graph.user",
            Kind::Group => "#microsoft.graph.group",
            Kind::ServicePrincipal => "#microsoft.graph.servicePrincipal",
            Kind::AdministrativeUnit => "#microsoft.graph.administrativeUnit",
        }
    }
    pub(crate) fn short(self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::Group => "group",
            Kind::ServicePrincipal => "servicePrincipal",
            Kind::AdministrativeUnit => "administrativeUnit",
        }
    }
}

/// Properties `GET /users` returns without `$select`.
pub(crate) const USER_DEFAULT: &[&str] = &[
    "businessPhones",
    "displayName",
    "givenName",
    "id",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
];

#[derive(Debug)]
pub(crate) struct DirObject {
    pub kind: Kind,
    pub props: Map<String, Value>,
    /// The default representation with `@odata.type`, as embedded by `$expand=principal` and returned
    /// by directoryObject endpoints.
    pub default_json: String,
}

impl DirObject {
    fn new(kind: Kind, props: Map<String, Value>) -> DirObject {
        let mut m = Map::new();
        m.insert("@odata.type".into(), Value::String(kind.odata_type().into()));
        for (k, v) in &props {
            // signInActivity is only ever returned when selected explicitly.
            if k == "signInActivity" {
                continue;
            }
            if kind == Kind::User && !USER_DEFAULT.contains(&k.as_str()) {
                continue;
            }
            m.insert(k.clone(), v.clone());
        }
        let default_json = serde_json::to_string(&Value::Object(m)).unwrap_or_else(|_| "{}".into());
        DirObject { kind, props, default_json }
    }
    pub(crate) fn id(&self) -> &str {
        self.props.get("id").and_then(Value::as_str).unwrap_or_default()
    }
}

#[derive(Debug)]
pub(crate) struct Inst {
    pub props: Map<String, Value>,
    /// The serialised object without its closing brace, so expansions can be appended cheaply.
    pub json_open: String,
    pub removed: bool,
}

impl Inst {
    pub(crate) fn new(props: Map<String, Value>) -> Inst {
        let mut json =
            serde_json::to_string(&Value::Object(props.clone())).unwrap_or_else(|_| "{}".into());
        json.pop();
        Inst { props, json_open: json, removed: false }
    }
    pub(crate) fn get(&self, key: &str) -> &str {
        self.props.get(key).and_then(Value::as_str).unwrap_or_default()
    }

    /// Changes a property (under `properties` for ARM objects) and the cached serialisation.
    /// Only properties that no index is built on may change this way.
    pub(crate) fn set(&mut self, key: &str, value: Value) {
        match self.props.get_mut("properties").and_then(Value::as_object_mut) {
            Some(arm) => {
                arm.insert(key.into(), value);
            }
            None => {
                self.props.insert(key.into(), value);
            }
        }
        let mut json = serde_json::to_string(&Value::Object(self.props.clone()))
            .unwrap_or_else(|_| "{}".into());
        json.pop();
        self.json_open = json;
    }
}

/// One instance collection with its indexes (positions into `items`).
#[derive(Debug, Default)]
pub(crate) struct InstanceSet {
    pub items: Vec<Inst>,
    pub by_role: HashMap<String, Vec<u32>>,
    pub by_principal: HashMap<String, Vec<u32>>,
    pub by_group: HashMap<String, Vec<u32>>,
}

impl InstanceSet {
    /// Of the instances at `positions`, those an admin's request can act on: assigned directly
    /// (not through a group) and not a running activation. An eligibility is never activated.
    pub(crate) fn standing_direct(&self, positions: &[u32]) -> Vec<u32> {
        positions
            .iter()
            .copied()
            .filter(|p| {
                let i = &self.items[*p as usize];
                i.get("memberType").eq_ignore_ascii_case("Direct")
                    && !i.get("assignmentType").eq_ignore_ascii_case("Activated")
            })
            .collect()
    }

    fn from(list: &[Value]) -> InstanceSet {
        let mut set = InstanceSet::default();
        for v in list {
            if let Value::Object(m) = v {
                set.push(m.clone());
            }
        }
        set
    }

    pub(crate) fn push(&mut self, props: Map<String, Value>) -> u32 {
        let pos = self.items.len() as u32;
        let inst = Inst::new(props);
        for (key, index) in [
            ("roleDefinitionId", &mut self.by_role),
            ("principalId", &mut self.by_principal),
            ("groupId", &mut self.by_group),
        ] {
            let v = inst.get(key);
            if !v.is_empty() {
                index.entry(v.to_ascii_lowercase()).or_default().push(pos);
            }
        }
        self.items.push(inst);
        pos
    }
}

#[derive(Debug)]
pub(crate) struct Store {
    pub tenant_id: String,
    pub display_name: String,
    pub domain: String,
    pub objects: HashMap<String, DirObject>,
    /// Object ids by kind, in fixture order (the order lists are served in).
    pub users: Vec<String>,
    pub groups: Vec<String>,
    pub service_principals: Vec<String>,
    pub administrative_units: Vec<String>,
    pub upn_index: HashMap<String, String>,
    pub roles: Vec<Map<String, Value>>,
    pub role_json: HashMap<String, String>,
    pub eligibility: InstanceSet,
    pub assignments: InstanceSet,
    pub eligibility_requests: Vec<Value>,
    pub assignment_requests: Vec<Value>,
    pub group_eligibility: InstanceSet,
    pub group_assignments: InstanceSet,
    pub group_eligibility_requests: Vec<Value>,
    pub group_assignment_requests: Vec<Value>,
    pub audits: Vec<Value>,
    /// `audits` positions oldest first (stable), cached with the length it was computed for:
    /// audits are only ever appended, and sorting 60,000 events for every page made paging the
    /// log quadratic.
    audit_order: std::sync::Mutex<(usize, std::sync::Arc<Vec<u32>>)>,
    pub managers: HashMap<String, String>,
    pub members: HashMap<String, Vec<String>>,
    pub owners: HashMap<String, Vec<String>>,
    pub clients: Vec<Client>,
    pub arm: ArmData,
    pub arm_eligibility: InstanceSet,
    pub arm_assignments: InstanceSet,
}

impl Store {
    pub(crate) fn new(t: &Tenant) -> Store {
        let mut objects = HashMap::new();
        let mut ids = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut upn_index = HashMap::new();
        for (kind, list) in [
            (Kind::User, &t.users),
            (Kind::Group, &t.groups),
            (Kind::ServicePrincipal, &t.service_principals),
            (Kind::AdministrativeUnit, &t.administrative_units),
        ] {
            for v in list {
                let Value::Object(m) = v else { continue };
                let id = str_field(v, "id").unwrap_or_default().to_ascii_lowercase();
                match kind {
                    Kind::User => {
                        if let Some(upn) = str_field(v, "userPrincipalName") {
                            upn_index.insert(upn.to_ascii_lowercase(), id.clone());
                        }
                        ids.0.push(id.clone())
                    }
                    Kind::Group => ids.1.push(id.clone()),
                    Kind::ServicePrincipal => ids.2.push(id.clone()),
                    Kind::AdministrativeUnit => ids.3.push(id.clone()),
                }
                objects.insert(id, DirObject::new(kind, m.clone()));
            }
        }
        // Served as rbacapplication-list-roledefinitions.md shows them: with the contained
        // `inheritsPermissionsFrom` (ids), without `resourceScopes` (declared, deprecated, absent
        // from the documented answer).
        let roles: Vec<Map<String, Value>> = t
            .role_definitions
            .iter()
            .filter_map(|v| v.as_object().cloned())
            .map(|mut r| {
                r.remove("resourceScopes");
                r.entry("inheritsPermissionsFrom").or_insert_with(|| Value::Array(Vec::new()));
                r
            })
            .collect();
        let role_json = roles
            .iter()
            .map(|r| {
                (
                    r.get("id").and_then(Value::as_str).unwrap_or_default().to_ascii_lowercase(),
                    serde_json::to_string(r).unwrap_or_else(|_| "{}".into()),
                )
            })
            .collect();
        let lower = |m: &std::collections::BTreeMap<String, Vec<String>>| {
            m.iter()
                .map(|(k, v)| {
                    (k.to_ascii_lowercase(), v.iter().map(|x| x.to_ascii_lowercase()).collect())
                })
                .collect()
        };
        let store = Store {
            tenant_id: t.id.clone(),
            display_name: t.display_name.clone(),
            domain: t.default_domain.clone(),
            objects,
            users: ids.0,
            groups: ids.1,
            service_principals: ids.2,
            administrative_units: ids.3,
            upn_index,
            roles,
            role_json,
            eligibility: InstanceSet::from(&t.eligibility_instances),
            assignments: InstanceSet::from(&t.assignment_instances),
            eligibility_requests: t.eligibility_requests.clone(),
            assignment_requests: t.assignment_requests.clone(),
            group_eligibility: InstanceSet::from(&t.group_eligibility_instances),
            group_assignments: InstanceSet::from(&t.group_assignment_instances),
            group_eligibility_requests: Vec::new(),
            group_assignment_requests: Vec::new(),
            audits: t.directory_audits.clone(),
            audit_order: std::sync::Mutex::default(),
            managers: t
                .managers
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.to_ascii_lowercase()))
                .collect(),
            members: lower(&t.group_members),
            owners: lower(&t.group_owners),
            clients: t.clients.clone(),
            arm: t.arm.clone(),
            arm_eligibility: InstanceSet::from(&t.arm.role_eligibility_schedule_instances),
            arm_assignments: InstanceSet::from(&t.arm.role_assignment_schedule_instances),
        };
        // Sorted now, while the emulator starts, rather than by the first request for the log.
        store.audits_by_date();
        store
    }

    /// The tenant as served now: removed instances left out, requests and audit events made
    /// since start-up kept. (PIM for Groups requests are not part of a `Tenant`.)
    pub(crate) fn to_tenant(&self) -> Tenant {
        let objects = |ids: &[String]| -> Vec<Value> {
            ids.iter()
                .filter_map(|id| self.objects.get(id))
                .map(|o| Value::Object(o.props.clone()))
                .collect()
        };
        let live = |set: &InstanceSet| -> Vec<Value> {
            set.items
                .iter()
                .filter(|i| !i.removed)
                .map(|i| Value::Object(i.props.clone()))
                .collect()
        };
        let ordered = |m: &HashMap<String, Vec<String>>| {
            m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
        };
        let mut arm = self.arm.clone();
        arm.role_eligibility_schedule_instances = live(&self.arm_eligibility);
        arm.role_assignment_schedule_instances = live(&self.arm_assignments);
        Tenant {
            id: self.tenant_id.clone(),
            display_name: self.display_name.clone(),
            default_domain: self.domain.clone(),
            users: objects(&self.users),
            groups: objects(&self.groups),
            service_principals: objects(&self.service_principals),
            administrative_units: objects(&self.administrative_units),
            role_definitions: self.roles.iter().cloned().map(Value::Object).collect(),
            eligibility_instances: live(&self.eligibility),
            assignment_instances: live(&self.assignments),
            eligibility_requests: self.eligibility_requests.clone(),
            assignment_requests: self.assignment_requests.clone(),
            group_eligibility_instances: live(&self.group_eligibility),
            group_assignment_instances: live(&self.group_assignments),
            directory_audits: self.audits.clone(),
            managers: self.managers.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            group_members: ordered(&self.members),
            group_owners: ordered(&self.owners),
            clients: self.clients.clone(),
            arm,
        }
    }

    /// A directory object by id or (for users) by user principal name.
    pub(crate) fn object(&self, id_or_upn: &str) -> Option<&DirObject> {
        let key = id_or_upn.to_ascii_lowercase();
        self.objects
            .get(&key)
            .or_else(|| self.upn_index.get(&key).and_then(|id| self.objects.get(id)))
    }

    /// Positions in `audits`, oldest first; events at the same instant keep their insertion order.
    pub(crate) fn audits_by_date(&self) -> std::sync::Arc<Vec<u32>> {
        let mut cache = self.audit_order.lock().unwrap_or_else(|p| p.into_inner());
        if cache.0 != self.audits.len() || cache.1.len() != self.audits.len() {
            let mut order: Vec<u32> = (0..self.audits.len() as u32).collect();
            order.sort_by_key(|i| {
                self.audits[*i as usize].get("activityDateTime").and_then(Value::as_str)
            });
            *cache = (self.audits.len(), std::sync::Arc::new(order));
        }
        cache.1.clone()
    }

    pub(crate) fn user(&self, id_or_upn: &str) -> Option<&DirObject> {
        self.object(id_or_upn).filter(|o| o.kind == Kind::User)
    }
}
