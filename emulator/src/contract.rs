//! Microsoft's own contract for Graph, as tables generated from Microsoft's files
//! (`emulator/contract/generate.py`; issue 19): which permission allows which path and
//! method (the permissions map Graph's reference pages are made from), and the v1.0
//! schema (CSDL) of each cloud. The emulator authorizes every Graph request from the
//! first and checks bodies and `$select` against the second; the e2e suite checks every
//! request it made against both (tests/e2e/support.rs).
//!
//! # Where Entra is not the map
//!
//! The map says which permission may call a path; Entra narrows it further. These are
//! the only places the emulator departs from the table, each with its source:
//!
//! - **`Application.ReadWrite.OwnedBy`** (and `AppRegistration.Create`): the map lets
//!   them call every application and service-principal path; Entra lets them change
//!   only objects the caller owns, and a service principal only for an app it owns
//!   (403 "…backing application … must in the local tenant") [doc: permissions
//!   reference, "Application.ReadWrite.OwnedBy"; docs/graph.md §2.7].
//! - **A user's role**: a delegated token acts within the signed-in user's role. An
//!   Application Developer changes only what they own and may not consent tenant-wide
//!   [doc: Graph permissions overview; docs/sign-in.md §1].
//! - **Owners**: an app-only caller, and a user whose role creates "as owner"
//!   (Application Developer, members), owns what it creates; an administrator does not
//!   [doc: Entra built-in roles, `applications/createAsOwner` vs `applications/create`].
//! - **The object quota**: a user who is not an administrator may create at most 250
//!   directory objects, deleted ones included (`Directory_QuotaExceeded`) [doc: Entra
//!   service limits, "A non-admin user can create no more than 250 Microsoft Entra
//!   resources. Both active resources and deleted resources … count"].
//! - **`Directory.AccessAsUser.All`** (what Azure CLI's tokens carry) is not in the
//!   extract: it lets a user do, through Graph, what their role allows on any path
//!   [doc: permissions reference, "Directory.AccessAsUser.All"].

use std::collections::BTreeSet;
use std::sync::OnceLock;

use serde_json::Value;

const PERMISSIONS_TSV: &str = include_str!("../contract/permissions.tsv");
const SCHEMA_TSV: &str = include_str!("../contract/schema.tsv");

/// Acts as the signed-in user on every delegated path (see the module's notes).
pub const AS_USER: &str = "Directory.AccessAsUser.All";

/// Permissions whose writes Entra limits to objects the caller owns.
pub const OWNED_ONLY: &[&str] = &["Application.ReadWrite.OwnedBy", "AppRegistration.Create"];

/// The quota of directory objects a non-administrator may create (deleted included).
pub const USER_OBJECT_QUOTA: usize = 250;

/// How the permission is held: a user's delegated scope or an app's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `DelegatedWork` in the map.
    Delegated,
    /// `Application` in the map.
    Application,
}

impl Scheme {
    fn name(self) -> &'static str {
        match self {
            Self::Delegated => "DelegatedWork",
            Self::Application => "Application",
        }
    }
}

/// One line of the permissions table.
#[derive(Debug, Clone)]
pub struct Rule {
    pub permission: &'static str,
    pub scheme: &'static str,
    /// Needs an administrator's consent.
    pub admin_consent: bool,
    pub method: &'static str,
    /// Lower case, `{id}` / `(appid={value})` placeholders.
    pub path: &'static str,
    /// The least privileged permission for this path and scheme.
    pub least: bool,
}

fn rules() -> &'static [Rule] {
    static RULES: OnceLock<Vec<Rule>> = OnceLock::new();
    RULES.get_or_init(|| {
        PERMISSIONS_TSV
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .filter_map(|l| {
                let f: Vec<&'static str> = l.split('\t').collect();
                (f.len() >= 6).then(|| Rule {
                    permission: f[0],
                    scheme: f[1],
                    admin_consent: f[2] == "admin",
                    method: f[3],
                    path: f[4],
                    least: f[5] == "least",
                })
            })
            .collect()
    })
}

/// Every literal segment of the map's paths (what is not an id).
fn literals() -> &'static BTreeSet<&'static str> {
    static LITERALS: OnceLock<BTreeSet<&'static str>> = OnceLock::new();
    LITERALS.get_or_init(|| {
        rules()
            .iter()
            .flat_map(|r| r.path.split('/'))
            .filter(|s| !s.is_empty() && !s.starts_with('{') && !s.contains('('))
            .collect()
    })
}

/// A request's path (after `/v1.0`, query removed) in the map's form:
/// `/applications/3f…/addPassword` → `/applications/{id}/addpassword`,
/// `/servicePrincipals(appId='…')` → `/serviceprincipals(appid={value})`.
pub fn template(path: &str) -> String {
    let path = path.split('?').next().unwrap_or_default();
    let mut out = String::new();
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        let lower = seg.to_ascii_lowercase();
        if let Some((entity, key)) = lower.split_once('(') {
            let key = key.split('=').next().unwrap_or_default();
            out.push_str(&format!("{entity}({key}={{value}})"));
        } else if literals().contains(lower.as_str()) {
            out.push_str(&lower);
        } else {
            out.push_str("{id}");
        }
    }
    out
}

/// Whether any permission of the map allows this method on this path.
pub fn in_map(method: &str, template: &str) -> bool {
    rules()
        .iter()
        .any(|r| r.method.eq_ignore_ascii_case(method) && r.path == template)
}

/// Whether the map knows the path for some method.
pub fn path_in_map(template: &str) -> bool {
    rules().iter().any(|r| r.path == template)
}

/// The held permissions that allow `method` on `template` (map form), as the map says;
/// `Directory.AccessAsUser.All` allows every delegated path the map knows.
pub fn allowing<'a>(
    held: &'a [String],
    scheme: Scheme,
    method: &str,
    template: &str,
) -> Vec<&'a str> {
    held.iter()
        .map(String::as_str)
        .filter(|h| {
            (scheme == Scheme::Delegated
                && h.eq_ignore_ascii_case(AS_USER)
                && path_in_map(template))
                || rules().iter().any(|r| {
                    r.permission.eq_ignore_ascii_case(h)
                        && r.scheme == scheme.name()
                        && r.method.eq_ignore_ascii_case(method)
                        && r.path == template
                })
        })
        .collect()
}

/// The least privileged permissions the map names for a method and path.
pub fn least(scheme: Scheme, method: &str, template: &str) -> Vec<&'static str> {
    rules()
        .iter()
        .filter(|r| {
            r.least
                && r.scheme == scheme.name()
                && r.method.eq_ignore_ascii_case(method)
                && r.path == template
        })
        .map(|r| r.permission)
        .collect()
}

/// Whether a permission exists in the map for this scheme.
pub fn known(permission: &str, scheme: Scheme) -> bool {
    rules()
        .iter()
        .any(|r| r.permission.eq_ignore_ascii_case(permission) && r.scheme == scheme.name())
}

/// Whether a delegated permission needs an administrator's consent (the map's
/// `adminConsent`); unknown permissions are taken to need it.
pub fn needs_admin_consent(permission: &str) -> bool {
    rules()
        .iter()
        .find(|r| r.permission.eq_ignore_ascii_case(permission) && r.scheme == "DelegatedWork")
        .is_none_or(|r| r.admin_consent)
}

/// Delegated permissions a user may consent to alone (`adminConsent: false`).
pub fn user_consentable() -> impl Iterator<Item = &'static str> {
    let mut seen = BTreeSet::new();
    rules()
        .iter()
        .filter(|r| r.scheme == "DelegatedWork" && !r.admin_consent)
        .map(|r| r.permission)
        .filter(move |p| seen.insert(*p))
}

// --- The schema (CSDL) -------------------------------------------------------------

/// Graph's v1.0 schema as published for each cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    Prod,
    /// US Government (GCC High and DoD).
    Fairfax,
    /// China (21Vianet).
    Mooncake,
}

impl Schema {
    pub const ALL: [Schema; 3] = [Schema::Prod, Schema::Fairfax, Schema::Mooncake];

    pub fn name(self) -> &'static str {
        match self {
            Self::Prod => "Prod",
            Self::Fairfax => "Fairfax",
            Self::Mooncake => "Mooncake",
        }
    }

    /// The schema of an emulated cloud.
    pub fn of(cloud: super::EmulatedCloud) -> Self {
        match cloud {
            super::EmulatedCloud::Public => Self::Prod,
            super::EmulatedCloud::Usgov | super::EmulatedCloud::UsgovDod => Self::Fairfax,
            super::EmulatedCloud::China => Self::Mooncake,
        }
    }
}

struct Row {
    kind: &'static str,
    cloud: &'static str,
    owner: &'static str,
    name: &'static str,
    ty: &'static str,
    extra: &'static str,
}

fn schema_rows() -> &'static [Row] {
    static ROWS: OnceLock<Vec<Row>> = OnceLock::new();
    ROWS.get_or_init(|| {
        SCHEMA_TSV
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .map(|l| {
                let f: Vec<&'static str> = l.split('\t').collect();
                let at = |i: usize| f.get(i).copied().unwrap_or("-");
                Row {
                    kind: at(0),
                    cloud: at(1),
                    owner: at(2),
                    name: at(3),
                    ty: at(4),
                    extra: at(5),
                }
            })
            .collect()
    })
}

/// The declared type of `property` on `type_name` (its base types included):
/// `Edm.String`, `Collection(webApplication)`, `nav:…`; `None` when the cloud's type
/// has no such property. `id` comes from `entity`, which the extract leaves out.
pub fn property_type(schema: Schema, type_name: &str, property: &str) -> Option<&'static str> {
    let mut ty = type_name;
    for _ in 0..8 {
        if let Some(r) = schema_rows().iter().find(|r| {
            r.kind == "P" && r.cloud == schema.name() && r.owner == ty && r.name == property
        }) {
            return Some(r.ty);
        }
        let base = schema_rows()
            .iter()
            .find(|r| r.kind == "T" && r.cloud == schema.name() && r.owner == ty)
            .map(|r| r.name)?;
        if base == "entity" {
            return (property == "id").then_some("Edm.String");
        }
        ty = base;
    }
    None
}

fn is_type(schema: Schema, type_name: &str) -> bool {
    schema_rows()
        .iter()
        .any(|r| r.kind == "T" && r.cloud == schema.name() && r.owner == type_name)
}

fn enum_members(schema: Schema, name: &str) -> Vec<&'static str> {
    schema_rows()
        .iter()
        .filter(|r| r.kind == "E" && r.cloud == schema.name() && r.owner == name)
        .map(|r| r.name)
        .collect()
}

/// Parameters of a bound action (`addPassword` on `application`).
pub fn action_parameter(
    schema: Schema,
    action: &str,
    binding: &str,
    parameter: &str,
) -> Option<&'static str> {
    schema_rows()
        .iter()
        .find(|r| {
            r.kind == "A"
                && r.cloud == schema.name()
                && r.owner.eq_ignore_ascii_case(action)
                && r.name == binding
                && r.ty == parameter
        })
        .map(|r| r.extra)
}

/// Whether the cloud's schema has this bound action.
pub fn has_action(schema: Schema, action: &str, binding: &str) -> bool {
    schema_rows().iter().any(|r| {
        r.kind == "A"
            && r.cloud == schema.name()
            && r.owner.eq_ignore_ascii_case(action)
            && r.name == binding
    })
}

/// What is wrong with a body or `$select`, in Graph's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError {
    /// Graph's message.
    pub message: String,
    /// The property (dotted path) at fault.
    pub target: String,
}

impl std::fmt::Display for SchemaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.target)
    }
}

/// Checks a JSON object against a type of the cloud's schema: every property declared
/// (no navigation properties in a body), every value of its declared type.
pub fn check_object(
    schema: Schema,
    type_name: &str,
    value: &Value,
    at: &str,
) -> Result<(), SchemaError> {
    let Value::Object(map) = value else {
        return Err(SchemaError {
            message: format!(
                "Cannot convert the literal to the expected type 'microsoft.graph.{type_name}'."
            ),
            target: at.to_owned(),
        });
    };
    for (key, v) in map {
        if key.starts_with('@') {
            continue;
        }
        let target = if at.is_empty() {
            key.clone()
        } else {
            format!("{at}.{key}")
        };
        let Some(ty) = property_type(schema, type_name, key) else {
            return Err(SchemaError {
                message: format!(
                    "The property '{key}' does not exist on type 'microsoft.graph.{type_name}'. Make sure to only use property names that are defined by the type or mark the type as open type."
                ),
                target,
            });
        };
        check_value(schema, ty, v, &target)?;
    }
    Ok(())
}

/// Checks one value against an Edm or schema type.
pub fn check_value(schema: Schema, ty: &str, v: &Value, at: &str) -> Result<(), SchemaError> {
    if v.is_null() {
        return Ok(());
    }
    let wrong = |expected: &str| SchemaError {
        message: format!(
            "Cannot convert a primitive value to the expected type '{expected}'. See the inner exception for more details."
        ),
        target: at.to_owned(),
    };
    if let Some(inner) = ty
        .strip_prefix("Collection(")
        .and_then(|t| t.strip_suffix(')'))
    {
        let Value::Array(items) = v else {
            return Err(SchemaError {
                message: format!(
                    "A node of type '{}' was read from the JSON reader when trying to read the contents of the property '{at}'; however, a 'StartArray' node was expected.",
                    if v.is_object() {
                        "StartObject"
                    } else {
                        "PrimitiveValue"
                    }
                ),
                target: at.to_owned(),
            });
        };
        for item in items {
            check_value(schema, inner, item, at)?;
        }
        return Ok(());
    }
    if ty.starts_with("nav:") {
        return Err(SchemaError {
            message: format!("Navigation property '{at}' cannot be set in a request body."),
            target: at.to_owned(),
        });
    }
    match ty {
        "Edm.String" | "Edm.Binary" => v.is_string().then_some(()).ok_or_else(|| wrong(ty)),
        "Edm.Boolean" => v.is_boolean().then_some(()).ok_or_else(|| wrong(ty)),
        "Edm.Int32" | "Edm.Int64" => v.is_i64().then_some(()).ok_or_else(|| wrong(ty)),
        "Edm.Guid" => v
            .as_str()
            .filter(|s| uuid::Uuid::parse_str(s).is_ok())
            .map(|_| ())
            .ok_or_else(|| wrong(ty)),
        "Edm.DateTimeOffset" => v
            .as_str()
            .filter(|s| s.parse::<jiff::Timestamp>().is_ok())
            .map(|_| ())
            .ok_or_else(|| wrong(ty)),
        t if t.starts_with("Edm.") => Ok(()),
        t if is_type(schema, t) => check_object(schema, t, v, at),
        t => {
            let members = enum_members(schema, t);
            if members.is_empty() {
                return Ok(());
            }
            let s = v.as_str().ok_or_else(|| wrong(t))?;
            // Flag enums take a comma-separated list.
            if s.split(',').all(|m| members.contains(&m.trim())) {
                Ok(())
            } else {
                Err(SchemaError {
                    message: format!(
                        "The value '{s}' is not valid for enum type 'microsoft.graph.{t}'."
                    ),
                    target: at.to_owned(),
                })
            }
        }
    }
}

/// Checks a `$select` list against an entity type of the cloud's schema.
pub fn check_select(schema: Schema, type_name: &str, select: &str) -> Result<(), SchemaError> {
    for prop in select.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if property_type(schema, type_name, prop).is_none() {
            return Err(SchemaError {
                message: format!(
                    "Could not find a property named '{prop}' on type 'microsoft.graph.{type_name}'."
                ),
                target: "$select".to_owned(),
            });
        }
    }
    Ok(())
}

/// Removes from a response what the cloud's schema does not have on `type_name` (a
/// property Prod has and Fairfax or Mooncake lacks is absent from those clouds'
/// answers); returns the names removed. Annotations (`@odata.*`) stay.
pub fn prune(schema: Schema, type_name: &str, value: &mut Value) -> Vec<String> {
    let mut removed = Vec::new();
    if let Value::Object(map) = value {
        map.retain(|k, _| {
            let keep = k.contains('@') || property_type(schema, type_name, k).is_some();
            if !keep {
                removed.push(k.clone());
            }
            keep
        });
    }
    removed
}

/// The entity type a collection segment holds (map form).
pub fn entity_of(collection: &str) -> Option<&'static str> {
    Some(match collection {
        "applications" => "application",
        "serviceprincipals" => "servicePrincipal",
        "oauth2permissiongrants" => "oAuth2PermissionGrant",
        "organization" => "organization",
        _ => return None,
    })
}

/// What a request sends, checked against a cloud's schema: the body of a create or an
/// update against the entity type, an action's body against its parameters, and
/// `$select` against the type read. `path` is the request's path after `/v1.0`.
pub fn check_request(
    schema: Schema,
    method: &str,
    path: &str,
    select: Option<&str>,
    body: Option<&Value>,
) -> Result<(), SchemaError> {
    let t = template(path);
    let segs: Vec<&str> = t.split('/').filter(|s| !s.is_empty()).collect();
    let Some(first) = segs.first() else {
        return Ok(());
    };
    let collection = first.split('(').next().unwrap_or_default();
    let Some(entity) = entity_of(collection) else {
        return Ok(());
    };
    let keyed = first.contains('(');
    let action = match (keyed, segs.len()) {
        (true, 2) => Some(segs[1]),
        (false, 3) => Some(segs[2]),
        _ => None,
    };
    if let Some(select) = select {
        check_select(schema, entity, select)?;
    }
    let Some(body) = body else {
        return Ok(());
    };
    match action {
        Some(action) if method.eq_ignore_ascii_case("POST") => {
            let Value::Object(map) = body else {
                return Ok(());
            };
            for (key, v) in map {
                let Some(ty) = action_parameter(schema, action, entity, key) else {
                    return Err(SchemaError {
                        message: format!(
                            "The parameter '{key}' in the request payload is not a valid parameter for the operation '{action}'."
                        ),
                        target: key.clone(),
                    });
                };
                check_value(schema, ty, v, key)?;
            }
            Ok(())
        }
        None if matches!(method, "POST" | "PATCH") => check_object(schema, entity, body, ""),
        _ => Ok(()),
    }
}

// --- The contract test's record ------------------------------------------------------

/// One Graph request as the contract sees it ([`crate::Emulator::contract_log`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Entry {
    pub method: String,
    /// The path in the map's form (`/applications/{id}/addpassword`).
    pub path: String,
    /// A user's token (scopes) rather than an app's (roles).
    pub delegated: bool,
    /// The token's client (`appid`).
    pub client_id: String,
    /// The signed-in user's UPN, for a delegated token of a seeded user.
    pub user: Option<String>,
    /// The token's scopes or roles.
    pub held: Vec<String>,
    pub status: u16,
    /// What each cloud's schema says is wrong with the body or `$select`
    /// (`"Fairfax: …"`); empty when all three accept it.
    pub schema_errors: Vec<String>,
}

/// What is wrong with these requests by Microsoft's contract: a path and method the map
/// does not have; a body or `$select` one of the three clouds' schemas refuses; a
/// request that succeeded although the permissions `claimed` for its caller (by the
/// README's least-privilege table; `None`: the token's own) do not allow it by the map.
pub fn violations(
    entries: &[Entry],
    claimed: &dyn Fn(&Entry) -> Option<Vec<String>>,
) -> Vec<String> {
    let mut out = Vec::new();
    for e in entries {
        let what = format!("{} {} ({})", e.method, e.path, e.status);
        if e.status == 401 {
            // No valid token: nothing was authorized or read.
            continue;
        }
        if !in_map(&e.method, &e.path) {
            out.push(format!(
                "{what}: not a path and method in Microsoft's permissions map"
            ));
            continue;
        }
        for err in &e.schema_errors {
            out.push(format!("{what}: {err}"));
        }
        if (200..300).contains(&e.status) {
            let perms = claimed(e).unwrap_or_else(|| e.held.clone());
            let scheme = if e.delegated {
                Scheme::Delegated
            } else {
                Scheme::Application
            };
            if allowing(&perms, scheme, &e.method, &e.path).is_empty() {
                out.push(format!(
                    "{what}: succeeded, but the map allows it to none of {perms:?} ({}); least privileged: {:?}",
                    scheme.name(),
                    least(scheme, &e.method, &e.path)
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_committed_tables_are_what_the_script_makes_from_microsofts_files() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("contract");
        let tmp = std::env::temp_dir().join(format!("aad-setup-contract-{}", std::process::id()));
        std::fs::create_dir_all(&tmp).expect("temp dir");
        let out = std::process::Command::new("python3")
            .arg(dir.join("generate.py"))
            .env("AAD_SETUP_CONTRACT_OUT", &tmp)
            .output()
            .expect("python3 runs emulator/contract/generate.py");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        for name in ["permissions.tsv", "schema.tsv"] {
            let made = std::fs::read_to_string(tmp.join(name)).expect("made");
            let committed = std::fs::read_to_string(dir.join(name)).expect("committed");
            assert!(
                made == committed,
                "{name} is stale: run python3 emulator/contract/generate.py"
            );
        }
    }

    #[test]
    fn answers_lose_what_the_cloud_lacks() {
        let mut v = json!({"@odata.context": "x", "id": "1", "verifiedPublisher": {}, "nope": 1});
        assert_eq!(
            prune(Schema::Mooncake, "application", &mut v),
            ["nope", "verifiedPublisher"]
        );
        assert_eq!(v, json!({"@odata.context": "x", "id": "1"}));
        let mut v = json!({"id": "1", "verifiedPublisher": {}});
        assert!(prune(Schema::Prod, "application", &mut v).is_empty());
    }

    #[test]
    fn paths_take_the_maps_form() {
        assert_eq!(
            template("/applications/3f2504e0-4f89-11d3-9a0c-0305e82c3301/addPassword"),
            "/applications/{id}/addpassword"
        );
        assert_eq!(
            template("/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')"),
            "/serviceprincipals(appid={value})"
        );
        assert_eq!(
            template("/oauth2PermissionGrants/AbC_x-1"),
            "/oauth2permissiongrants/{id}"
        );
        assert_eq!(template("/organization?$select=id"), "/organization");
    }

    #[test]
    fn the_map_decides() {
        let held = |p: &[&str]| p.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let owned_by = held(&["Application.ReadWrite.OwnedBy"]);
        assert!(!allowing(&owned_by, Scheme::Application, "POST", "/applications").is_empty());
        assert!(
            !allowing(
                &owned_by,
                Scheme::Application,
                "POST",
                "/applications/{id}/addpassword"
            )
            .is_empty()
        );
        // Not delegated: OwnedBy is an application permission only.
        assert!(allowing(&owned_by, Scheme::Delegated, "POST", "/applications").is_empty());
        // Reading grants needs Directory.Read.All or a grant permission; the map has no
        // DelegatedPermissionGrant.Read.All for these paths.
        let grant_reader = held(&["DelegatedPermissionGrant.Read.All"]);
        assert!(
            allowing(
                &grant_reader,
                Scheme::Application,
                "GET",
                "/oauth2permissiongrants"
            )
            .is_empty()
        );
        let rw = held(&["Application.ReadWrite.All"]);
        assert!(allowing(&rw, Scheme::Application, "GET", "/oauth2permissiongrants").is_empty());
        let create = held(&["AppRegistration.Create"]);
        assert!(!allowing(&create, Scheme::Application, "POST", "/applications").is_empty());
        assert!(allowing(&create, Scheme::Application, "PATCH", "/applications/{id}").is_empty());
        assert!(
            least(Scheme::Application, "POST", "/applications").contains(&"AppRegistration.Create")
        );
        assert!(user_consentable().any(|p| p == "User.Read"));
        assert!(!user_consentable().any(|p| p == "Application.ReadWrite.All"));
        assert!(needs_admin_consent("Application.ReadWrite.All"));
    }

    #[test]
    fn the_contract_check_flags_what_the_map_does_not_allow() {
        let entry = |method: &str, path: &str, held: &[&str], status: u16| Entry {
            method: method.into(),
            path: template(path),
            delegated: false,
            client_id: "c".into(),
            user: None,
            held: held.iter().map(|s| (*s).to_owned()).collect(),
            status,
            schema_errors: Vec::new(),
        };
        let own = |_: &Entry| None;
        let fine = [
            entry(
                "POST",
                "/applications",
                &["Application.ReadWrite.OwnedBy"],
                201,
            ),
            entry(
                "GET",
                "/oauth2PermissionGrants",
                &["Application.ReadWrite.All"],
                403,
            ),
        ];
        assert!(
            violations(&fine, &own).is_empty(),
            "{:?}",
            violations(&fine, &own)
        );
        // The same request, changed to one the map does not allow for the claim.
        let changed = [entry(
            "GET",
            "/oauth2PermissionGrants",
            &["Application.ReadWrite.All"],
            200,
        )];
        let v = violations(&changed, &own);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].contains("Directory.Read.All"), "{v:?}");
        // A path the map does not have at all.
        let v = violations(
            &[entry(
                "GET",
                "/applications/x/owners/$ref",
                &["Directory.Read.All"],
                404,
            )],
            &own,
        );
        assert!(v[0].contains("not a path and method"), "{v:?}");
        // What the README claims wins over what the token held.
        let claim = |_: &Entry| Some(vec!["Application.Read.All".to_owned()]);
        let v = violations(
            &[entry(
                "POST",
                "/applications",
                &["Application.ReadWrite.All"],
                201,
            )],
            &claim,
        );
        assert_eq!(v.len(), 1, "{v:?}");
    }

    #[test]
    fn bodies_and_select_are_checked_per_cloud() {
        let body =
            json!({"displayName": "x", "web": {"redirectUris": ["https://a"]}, "tags": ["t"]});
        for s in Schema::ALL {
            check_request(s, "POST", "/applications", None, Some(&body)).expect("valid");
        }
        let wrong = json!({"displayName": 5});
        let e =
            check_request(Schema::Prod, "POST", "/applications", None, Some(&wrong)).unwrap_err();
        assert_eq!(e.target, "displayName");
        let unknown = json!({"displayNam": "x"});
        let e =
            check_request(Schema::Prod, "POST", "/applications", None, Some(&unknown)).unwrap_err();
        assert!(
            e.message
                .starts_with("The property 'displayNam' does not exist"),
            "{e}"
        );
        // A property Prod has and the US Government and China clouds lack.
        let native = json!({"nativeAuthenticationApisEnabled": "none"});
        check_request(
            Schema::Prod,
            "PATCH",
            "/applications/x",
            None,
            Some(&native),
        )
        .expect("Prod");
        check_request(
            Schema::Fairfax,
            "PATCH",
            "/applications/x",
            None,
            Some(&native),
        )
        .unwrap_err();
        check_request(
            Schema::Mooncake,
            "PATCH",
            "/applications/x",
            None,
            Some(&native),
        )
        .unwrap_err();
        check_request(
            Schema::Prod,
            "GET",
            "/applications",
            Some("id,verifiedPublisher"),
            None,
        )
        .expect("Prod");
        check_request(
            Schema::Mooncake,
            "GET",
            "/applications",
            Some("id,verifiedPublisher"),
            None,
        )
        .unwrap_err();
        let pw = json!({"passwordCredential": {"displayName": "d", "endDateTime": "2027-01-01T00:00:00Z"}});
        check_request(
            Schema::Fairfax,
            "POST",
            "/applications/x/addPassword",
            None,
            Some(&pw),
        )
        .expect("action");
        let bad = json!({"keyId": "not-a-guid"});
        check_request(
            Schema::Prod,
            "POST",
            "/applications/x/removePassword",
            None,
            Some(&bad),
        )
        .unwrap_err();
    }
}
