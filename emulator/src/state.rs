//! The emulator's in-memory world: the tenant's directory objects, issued tokens, the
//! platform's integrations and connections, the request log and counters.
//!
//! Everything lives in one [`State`] behind one mutex; handlers lock it, do their work
//! synchronously and unlock. Secrets (client secrets, tokens) are held here in clear
//! because the emulator must compare them; they leave only through the token endpoint,
//! `addPassword`'s one-time answer and `Emulator::issued_secrets`, never through a
//! snapshot.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::Credentials;
use super::config::{EmulatorConfig, ReplicationConfig};

/// Replication state of one directory object (docs/graph.md §5).
#[derive(Debug, Clone)]
pub(crate) struct Repl {
    created: Instant,
    misses: u32,
    done: bool,
}

impl Repl {
    /// An object that existed before the emulator started: always visible.
    pub fn seeded() -> Self {
        Self {
            created: Instant::now(),
            misses: 0,
            done: true,
        }
    }

    /// A just-created object: invisible until replicated.
    pub fn fresh() -> Self {
        Self {
            created: Instant::now(),
            misses: 0,
            done: false,
        }
    }

    /// Whether the replica serving this lookup sees the object. A lookup that does not
    /// see it counts as a miss; after `requests` misses and `millis` of age the object
    /// is visible for good.
    pub fn visible(&mut self, cfg: &ReplicationConfig, misses: &mut u64) -> bool {
        if self.done {
            return true;
        }
        if self.misses >= cfg.requests
            && self.created.elapsed() >= Duration::from_millis(cfg.millis)
        {
            self.done = true;
            return true;
        }
        self.misses = self.misses.saturating_add(1);
        *misses += 1;
        false
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Tenant {
    pub id: String,
    pub domain: String,
    pub display_name: String,
    /// Id of the tenant's app-management policy, named in policy errors.
    pub policy_id: String,
    pub created: jiff::Timestamp,
}

/// A user who signs in interactively (device code, browser). With delegated tokens the
/// effective rights are the token's scopes intersected with the user's directory role
/// (docs/sign-in.md §1).
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub id: String,
    pub user_principal_name: String,
    pub display_name: String,
    /// The directory role, as the portal names it.
    pub role: String,
    /// Delegated Graph scopes this user can obtain for an interactive client: consent
    /// given tenant-wide, or consent the user may give. `None` = any (an administrator
    /// who may consent to everything).
    pub consentable: Option<Vec<String>>,
    /// The role lets the user change only applications and service principals they
    /// own (Application Developer), whatever the token's scopes say.
    pub owner_only: bool,
    /// Directory objects this user created as owner, deleted ones included (what
    /// Entra's quota counts).
    pub created_objects: usize,
}

impl User {
    /// The first requested scope this user cannot obtain.
    pub fn missing_consent<'a>(&self, scopes: &'a [String]) -> Option<&'a String> {
        let allowed = self.consentable.as_ref()?;
        scopes
            .iter()
            .find(|s| !allowed.iter().any(|a| a.eq_ignore_ascii_case(s)))
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Web {
    pub redirect_uris: Vec<String>,
    pub home_page_url: Option<String>,
    pub logout_url: Option<String>,
    pub enable_id_token_issuance: bool,
    pub enable_access_token_issuance: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResourceAccess {
    pub id: String,
    /// `Scope` or `Role`.
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequiredResourceAccess {
    pub resource_app_id: String,
    pub resource_access: Vec<ResourceAccess>,
}

#[derive(Debug, Clone)]
pub(crate) struct PasswordCred {
    pub key_id: String,
    pub display_name: Option<String>,
    pub custom_key_identifier: Option<String>,
    pub hint: String,
    pub secret: String,
    pub start: jiff::Timestamp,
    pub end: jiff::Timestamp,
    pub repl: Repl,
}

#[derive(Debug, Clone)]
pub(crate) struct App {
    pub id: String,
    pub app_id: String,
    pub display_name: String,
    pub sign_in_audience: String,
    pub tags: Vec<String>,
    pub web: Web,
    pub required_resource_access: Vec<RequiredResourceAccess>,
    pub description: Option<String>,
    pub notes: Option<String>,
    pub is_fallback_public_client: Option<bool>,
    /// `publicClient.redirectUris` (the portal's "Mobile and desktop
    /// applications"): where `/authorize` may send a user back.
    pub public_client_redirect_uris: Vec<String>,
    pub password_credentials: Vec<PasswordCred>,
    /// Directory object ids of the owners (service principals or users).
    pub owners: Vec<String>,
    pub created: jiff::Timestamp,
    pub repl: Repl,
}

#[derive(Debug, Clone)]
pub(crate) struct PermissionScope {
    pub id: String,
    pub value: String,
    /// `Admin` or `User`.
    pub kind: String,
    pub admin_consent_display_name: String,
    pub user_consent_display_name: String,
}

#[derive(Debug, Clone)]
pub(crate) struct AppRole {
    pub id: String,
    pub value: String,
    pub display_name: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Sp {
    pub id: String,
    pub app_id: String,
    pub display_name: String,
    pub app_display_name: Option<String>,
    pub tags: Vec<String>,
    pub account_enabled: bool,
    pub service_principal_names: Vec<String>,
    pub scopes: Vec<PermissionScope>,
    pub app_roles: Vec<AppRole>,
    pub app_owner_organization_id: String,
    pub sign_in_audience: String,
    pub description: Option<String>,
    pub notes: Option<String>,
    pub app_role_assignment_required: bool,
    pub owners: Vec<String>,
    /// Values of Microsoft Graph app roles assigned to this principal: what a
    /// client-credentials token of its app carries in `roles`.
    pub graph_roles: Vec<String>,
    pub repl: Repl,
}

#[derive(Debug, Clone)]
pub(crate) struct Grant {
    pub id: String,
    pub client_id: String,
    pub consent_type: String,
    pub principal_id: Option<String>,
    pub resource_id: String,
    pub scope: String,
    pub repl: Repl,
}

/// An access token the emulated Entra issued (or a test minted). Graph accepts only these.
#[derive(Debug, Clone)]
pub(crate) struct TokenInfo {
    /// Object id of the caller: a service principal (app-only) or a user (delegated).
    pub oid: String,
    pub app_id: String,
    pub delegated: bool,
    pub roles: Vec<String>,
    pub scp: Vec<String>,
    pub exp: i64,
    /// A delegated token of a user whose role limits writes to objects they own.
    pub owner_only: bool,
}

impl TokenInfo {
    /// Whether the token carries one of `perms` (app roles for app-only tokens,
    /// delegated scopes otherwise).
    #[allow(dead_code)] // authorization now comes from crate::contract
    pub fn has_any(&self, perms: &[&str]) -> bool {
        let held = if self.delegated {
            &self.scp
        } else {
            &self.roles
        };
        held.iter()
            .any(|h| perms.iter().any(|p| p.eq_ignore_ascii_case(h)))
    }
}

/// A refresh token issued with a delegated token (device code flow).
#[derive(Debug, Clone)]
pub(crate) struct RefreshInfo {
    pub client_id: String,
    pub scp: Vec<String>,
    /// Index of the signed-in user in `State::users`.
    pub user: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DeviceStatus {
    Pending,
    /// Approved by the user at this index of `State::users`, with these scopes.
    Approved(usize, Vec<String>),
    /// The user cannot consent to this scope (AADSTS65001 at the next poll).
    ConsentMissing(String),
    Declined,
    Redeemed,
}

/// A device code issued by `/devicecode` (docs/sign-in.md §4).
#[derive(Debug, Clone)]
pub(crate) struct DeviceCode {
    pub device_code: String,
    pub user_code: String,
    pub client_id: String,
    /// Graph scope values asked for (without the resource prefix).
    pub scopes: Vec<String>,
    pub offline_access: bool,
    pub expires_at: Instant,
    pub interval: Duration,
    pub last_poll: Option<Instant>,
    pub polls: u32,
    pub status: DeviceStatus,
}

/// An authorization code issued by `/authorize` (docs/sign-in.md §5).
#[derive(Debug, Clone)]
pub(crate) struct AuthCode {
    pub code: String,
    pub client_id: String,
    pub redirect_uri: String,
    /// `code_challenge` and its method, when PKCE was used.
    pub challenge: Option<(String, String)>,
    /// Issued to a public client redirect; else to a `web` one, whose code is
    /// redeemed only with the client's secret.
    pub public: bool,
    pub scopes: Vec<String>,
    pub offline_access: bool,
    pub expires_at: Instant,
    pub redeemed: bool,
    /// Index of the signed-in user in `State::users`.
    pub user: usize,
}

#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub id: String,
    pub name: String,
    pub reference_name: String,
    pub field_type: String,
    pub required: bool,
    pub description: String,
    pub position: usize,
}

#[derive(Debug, Clone)]
pub(crate) struct Integration {
    pub id: String,
    pub name: String,
    pub reference_name: String,
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone)]
pub(crate) struct PlatformUser {
    pub id: String,
    pub email: String,
    pub admin: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokenApproval {
    Pending,
    Approved,
    Cancelled,
}

/// A platform access token (docs/platform.md §2.1, §2.4).
#[derive(Debug, Clone)]
pub(crate) struct PlatformToken {
    pub id: String,
    pub secret: String,
    pub domain: String,
    pub environment: String,
    pub name: String,
    pub user: PlatformUser,
    pub approval: TokenApproval,
    pub created: Instant,
}

impl PlatformToken {
    pub fn serialized(&self) -> String {
        super::util::encode_platform_token(&self.id, &self.secret, &self.domain, &self.environment)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct ConnectionParam {
    pub name: String,
    pub reference_name: String,
    pub value: String,
    pub is_password: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Connection {
    pub id: String,
    pub integration_id: String,
    pub name: String,
    pub reference_name: String,
    pub team: String,
    pub created_at: jiff::Timestamp,
    /// Platform user id of the creator: members may view only their own connections.
    pub created_by: String,
    pub params: Vec<ConnectionParam>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Platform {
    pub integrations: Vec<Integration>,
    pub tokens: Vec<PlatformToken>,
    pub connections: Vec<Connection>,
}

#[derive(Debug, Clone)]
pub(crate) struct RequestRecord {
    pub method: String,
    pub path: String,
    pub query_keys: Vec<String>,
    pub status: u16,
    /// When it arrived and when its answer was ready (microseconds since
    /// the Unix epoch): which requests overlapped.
    pub started_micros: u64,
    pub finished_micros: u64,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Counters {
    pub throttled: u64,
    pub replication_misses: u64,
    pub faults_injected: u64,
}

#[derive(Clone)]
pub(crate) struct State {
    pub config: EmulatorConfig,
    pub base_url: String,
    pub tenant: Tenant,
    /// Interactive users; the first is the all-powerful administrator.
    pub users: Vec<User>,
    pub apps: Vec<App>,
    pub sps: Vec<Sp>,
    pub grants: Vec<Grant>,
    pub tokens: HashMap<String, TokenInfo>,
    pub refresh_tokens: HashMap<String, RefreshInfo>,
    pub device_codes: Vec<DeviceCode>,
    pub auth_codes: Vec<AuthCode>,
    pub issued_secrets: Vec<String>,
    pub platform: Platform,
    pub log: Vec<RequestRecord>,
    /// Every Graph request as Microsoft's contract sees it (`crate::contract`).
    pub contract_log: Vec<super::contract::Entry>,
    pub counters: Counters,
    /// Graph requests seen (for `throttle.every`).
    pub graph_requests: u64,
    pub credentials: Credentials,
    /// The caller app whose federated credential is configured (the admin app).
    pub admin_app_id: String,
    /// Each application as it was before each `PATCH`, and when that write
    /// landed: what a replica behind serves (`stale_read_millis`).
    pub app_versions: Vec<(std::time::Instant, App)>,
}

impl State {
    /// The seeded Global Administrator.
    pub fn admin_user(&self) -> &User {
        &self.users[0]
    }

    /// The user a local part (`developer`) or a full UPN names.
    pub fn user_index(&self, name: &str) -> Option<usize> {
        self.users.iter().position(|u| {
            u.user_principal_name.eq_ignore_ascii_case(name)
                || u.user_principal_name
                    .split('@')
                    .next()
                    .is_some_and(|local| local.eq_ignore_ascii_case(name))
        })
    }

    /// Microsoft Graph's resource URI in the emulated cloud.
    pub fn graph_resource(&self) -> &'static str {
        self.config.cloud.graph_resource()
    }

    pub fn login_url(&self) -> String {
        format!("{}/login", self.base_url)
    }

    pub fn graph_url(&self) -> String {
        format!("{}/graph", self.base_url)
    }

    pub fn repl_cfg(&self) -> ReplicationConfig {
        self.config.replication
    }

    /// Resolves the `{tenant}` path segment: the tenant id or a verified domain.
    pub fn tenant_matches(&self, segment: &str) -> bool {
        segment.eq_ignore_ascii_case(&self.tenant.id)
            || segment.eq_ignore_ascii_case(&self.tenant.domain)
    }

    /// Index of the app with this object id, visible or not.
    pub fn app_index(&self, id: &str) -> Option<usize> {
        self.apps.iter().position(|a| a.id.eq_ignore_ascii_case(id))
    }

    pub fn app_index_by_app_id(&self, app_id: &str) -> Option<usize> {
        self.apps
            .iter()
            .position(|a| a.app_id.eq_ignore_ascii_case(app_id))
    }

    /// Whether the app at `i` is visible to this request (counts a miss if not).
    pub fn app_visible(&mut self, i: usize) -> bool {
        let cfg = self.repl_cfg();
        self.apps[i]
            .repl
            .visible(&cfg, &mut self.counters.replication_misses)
    }

    pub fn sp_index(&self, id: &str) -> Option<usize> {
        self.sps.iter().position(|s| s.id.eq_ignore_ascii_case(id))
    }

    pub fn sp_index_by_app_id(&self, app_id: &str) -> Option<usize> {
        self.sps
            .iter()
            .position(|s| s.app_id.eq_ignore_ascii_case(app_id))
    }

    pub fn sp_visible(&mut self, i: usize) -> bool {
        let cfg = self.repl_cfg();
        self.sps[i]
            .repl
            .visible(&cfg, &mut self.counters.replication_misses)
    }

    pub fn grant_visible(&mut self, i: usize) -> bool {
        let cfg = self.repl_cfg();
        self.grants[i]
            .repl
            .visible(&cfg, &mut self.counters.replication_misses)
    }

    /// Password credentials of app `i` that this request sees (unreplicated ones are
    /// left out and count a miss).
    pub fn visible_creds(&mut self, i: usize) -> Vec<usize> {
        let cfg = self.repl_cfg();
        let misses = &mut self.counters.replication_misses;
        self.apps[i]
            .password_credentials
            .iter_mut()
            .enumerate()
            .filter_map(|(k, c)| c.repl.visible(&cfg, misses).then_some(k))
            .collect()
    }

    /// Removes a service principal and every grant it takes part in.
    pub fn remove_sp(&mut self, i: usize) {
        let sp = self.sps.remove(i);
        self.grants.retain(|g| {
            !g.client_id.eq_ignore_ascii_case(&sp.id) && !g.resource_id.eq_ignore_ascii_case(&sp.id)
        });
    }
}
