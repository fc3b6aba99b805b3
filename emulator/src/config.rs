//! Emulator configuration: what the emulated tenant, Graph and platform look like, and
//! which failures (replication delay, throttling, injected faults, tenant policies) are
//! switched on.
//!
//! The default is a fast, well-behaved service (no delay, no throttling, no faults), so
//! unit tests run quickly; [`EmulatorConfig::demo`] switches the realistic nuisances on.
//! The same struct is loaded from JSON by `aad-setup emulator --config FILE` and patched
//! at run time through `PATCH /_emulator/config`, so every field has a serde default and
//! unknown fields are rejected (a typo in a config file must not be silently ignored).

use serde::{Deserialize, Serialize};

/// Everything the emulator can be told. Field names are the JSON keys (snake_case).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmulatorConfig {
    /// Loopback port to bind (`0` = an ephemeral port chosen by the OS).
    pub port: u16,
    /// Tenant id (GUID). `None` = a random GUID per start.
    pub tenant_id: Option<String>,
    /// The tenant's initial (and only) verified domain.
    pub tenant_domain: String,
    /// The organization's display name (`GET /organization`).
    pub tenant_display_name: String,
    /// Which Microsoft cloud the tenant lives in: the Graph resource its tokens are for,
    /// the hosts its discovery document names, and the federated credential's default
    /// audience (docs/sign-in.md §2, §7). The emulator is reached on loopback whatever
    /// the cloud; only what a client must get right per cloud changes.
    pub cloud: EmulatedCloud,
    /// appId of the app-only caller with Application.ReadWrite.All and
    /// DelegatedPermissionGrant.ReadWrite.All. `None` = random per start.
    pub admin_client_id: Option<String>,
    /// Client secret of that caller. `None` = random per start.
    pub admin_client_secret: Option<String>,
    /// appId of the app-only caller with Application.Read.All only. `None` = random.
    pub reader_client_id: Option<String>,
    /// Client secret of the reader. `None` = random per start.
    pub reader_client_secret: Option<String>,
    /// Lifetime of issued access tokens in seconds (Entra: 3599; docs/sign-in.md §6).
    /// Tests lower it (0 = issued already expired) to prove that an expired token gets
    /// 401 from Graph.
    pub access_token_lifetime_secs: u64,
    /// Replication delay of newly created directory objects (docs/graph.md §5).
    pub replication: ReplicationConfig,
    /// Graph throttling (docs/graph.md §4.3).
    pub throttle: ThrottleConfig,
    /// One-shot injected failures, matched in order.
    pub faults: Vec<Fault>,
    /// Graph's default page size when `$top` is absent (Graph: 100; docs/graph.md §1).
    pub graph_page_size: u32,
    /// Tenant app-management policy: maximum password-credential lifetime in days.
    /// `None` = no policy. Exceeding it → 400 `CredentialInvalidLifetimeAsPerAppPolicy`
    /// (docs/graph.md §4.2).
    pub max_secret_lifetime_days: Option<u32>,
    /// Tenant app-management policy: `false` forbids password credentials altogether
    /// → 400 `CredentialTypeNotAllowedAsPerAppPolicy` (docs/graph.md §4.2).
    pub password_credentials_allowed: bool,
    /// The directory objects a user who is not an administrator may create, deleted
    /// ones included (Entra's service limits: 250) → 400 `Directory_QuotaExceeded`.
    pub user_object_quota: usize,
    /// A cap on an application's password credentials → 400 `TooManyAppPasswords`
    /// ("You can only add a maximum of N passwords"; seen on apps made through Graph,
    /// when it applies is not documented: docs/graph.md §2.4). `None`: no cap.
    pub max_app_passwords: Option<usize>,
    /// Device code flow and federated credentials (docs/sign-in.md §4, §7).
    pub sign_in: SignInConfig,
    /// The workflow platform.
    pub platform: PlatformConfig,
    /// Added before every answer (all services): a network round trip, so that a
    /// benchmark can count how many requests a client makes one after another.
    pub latency_millis: u64,
    /// How far the emulated services' clock runs ahead of this machine's, in seconds
    /// (`POST /_emulator/clock` moves it): what expires, and Graph's `Date`, follow it.
    pub clock_offset_secs: i64,
    /// The tenant default policy's password restrictions above apply to apps created
    /// after this (`restrictForAppsCreatedAfterDateTime`, RFC 3339).
    pub secret_policy_applies_after: String,
    /// App management policies assigned to apps (`GET /policies/appManagementPolicies`,
    /// and each one's `appliesTo`): for the apps they name, they take
    /// the tenant default's place.
    pub app_management_policies: Vec<AppPolicyConfig>,
    /// Stale reads: `GET` of an application (by id, or listed) is answered by a
    /// replica this many milliseconds behind the writes (`PATCH`) — its properties,
    /// tags included, as they were then (password credentials keep their own
    /// replication, [`ReplicationConfig`]). 0 = off. Entra's replicas disagree for a
    /// while after a write, and Graph offers no ETag for applications
    /// (docs/graph.md §5).
    pub stale_read_millis: u64,
}

/// An app management policy assigned to apps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AppPolicyConfig {
    /// Its id (GUID); `None` = one derived from its place in the list.
    pub id: Option<String>,
    pub display_name: String,
    pub description: Option<String>,
    pub is_enabled: bool,
    /// The apps it is assigned to: appId, object id or display name.
    pub applies_to: Vec<String>,
    /// `passwordLifetime`: the longest a new client secret may live.
    pub max_secret_lifetime_days: Option<u32>,
    /// `false`: `passwordAddition` restricted (no new client secrets).
    pub password_credentials_allowed: bool,
}

impl Default for AppPolicyConfig {
    fn default() -> Self {
        Self {
            id: None,
            display_name: "App management policy".to_owned(),
            description: None,
            is_enabled: true,
            applies_to: Vec::new(),
            max_secret_lifetime_days: None,
            password_credentials_allowed: true,
        }
    }
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            port: 0,
            tenant_id: None,
            tenant_domain: "contoso.onmicrosoft.com".to_owned(),
            tenant_display_name: "Contoso".to_owned(),
            cloud: EmulatedCloud::Public,
            admin_client_id: None,
            admin_client_secret: None,
            reader_client_id: None,
            reader_client_secret: None,
            access_token_lifetime_secs: 3599,
            replication: ReplicationConfig::default(),
            throttle: ThrottleConfig::default(),
            faults: Vec::new(),
            graph_page_size: 100,
            max_secret_lifetime_days: None,
            password_credentials_allowed: true,
            user_object_quota: 250,
            max_app_passwords: None,
            sign_in: SignInConfig::default(),
            platform: PlatformConfig::default(),
            latency_millis: 0,
            clock_offset_secs: 0,
            secret_policy_applies_after: "2019-01-01T00:00:00Z".to_owned(),
            app_management_policies: Vec::new(),
            stale_read_millis: 0,
        }
    }
}

impl EmulatorConfig {
    /// The configuration of `aad-setup demo`: replication delay and a light throttle
    /// switched on, so the demo shows the client coping with both.
    pub fn demo() -> Self {
        Self {
            replication: ReplicationConfig {
                requests: 2,
                millis: 300,
            },
            throttle: ThrottleConfig {
                every: 7,
                retry_after_secs: Some(1),
                omit_retry_after_every_other: true,
            },
            ..Self::default()
        }
    }

    /// Checks values a config file could get wrong. Called by `Emulator::start` and for
    /// every run-time patch.
    pub fn validate(&self) -> Result<(), String> {
        if self
            .secret_policy_applies_after
            .parse::<jiff::Timestamp>()
            .is_err()
        {
            return Err(format!(
                "secret_policy_applies_after must be an RFC 3339 time, got '{}'",
                self.secret_policy_applies_after
            ));
        }
        for p in &self.app_management_policies {
            if let Some(id) = &p.id {
                if uuid::Uuid::parse_str(id).is_err() {
                    return Err(format!(
                        "app_management_policies: id must be a GUID, got '{id}'"
                    ));
                }
            }
        }
        if self.latency_millis > 10_000 {
            return Err(format!(
                "latency_millis is at most 10000, got {}",
                self.latency_millis
            ));
        }
        for (name, value) in [
            ("tenant_id", &self.tenant_id),
            ("admin_client_id", &self.admin_client_id),
            ("reader_client_id", &self.reader_client_id),
        ] {
            if let Some(v) = value {
                if uuid::Uuid::parse_str(v).is_err() {
                    return Err(format!("{name} must be a GUID, got '{v}'"));
                }
            }
        }
        if let (Some(a), Some(r)) = (&self.admin_client_id, &self.reader_client_id) {
            if a.eq_ignore_ascii_case(r) {
                return Err("admin_client_id and reader_client_id must differ".to_owned());
            }
        }
        for (name, value) in [
            ("admin_client_secret", &self.admin_client_secret),
            ("reader_client_secret", &self.reader_client_secret),
        ] {
            if let Some(v) = value {
                if v.len() < 16 {
                    return Err(format!("{name} must be at least 16 characters"));
                }
            }
        }
        if !is_domain(&self.tenant_domain) {
            return Err(format!(
                "tenant_domain must be a DNS name like contoso.onmicrosoft.com, got '{}'",
                self.tenant_domain
            ));
        }
        if self.tenant_display_name.trim().is_empty() {
            return Err("tenant_display_name must not be empty".to_owned());
        }
        if !(1..=999).contains(&self.graph_page_size) {
            return Err("graph_page_size must be between 1 and 999".to_owned());
        }
        if self.max_secret_lifetime_days == Some(0) {
            return Err("max_secret_lifetime_days must be at least 1 (or null)".to_owned());
        }
        for (i, f) in self.faults.iter().enumerate() {
            if f.kind == FaultKind::Status && !(400..=599).contains(&f.status) {
                return Err(format!("faults[{i}].status must be 400..=599"));
            }
        }
        self.sign_in.validate()?;
        self.platform.validate()
    }
}

/// A Microsoft cloud (docs/sign-in.md §2): `public`, `usgov` (GCC High), `usgov-dod`
/// (DoD) or `china`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EmulatedCloud {
    #[default]
    Public,
    Usgov,
    UsgovDod,
    China,
}

impl EmulatedCloud {
    /// Microsoft Graph's resource URI (and host) in this cloud.
    pub fn graph_resource(self) -> &'static str {
        match self {
            Self::Public => "https://graph.microsoft.com",
            Self::Usgov => "https://graph.microsoft.us",
            Self::UsgovDod => "https://dod-graph.microsoft.us",
            Self::China => "https://microsoftgraph.chinacloudapi.cn",
        }
    }

    /// The authority host.
    pub fn login_host(self) -> &'static str {
        match self {
            Self::Public => "https://login.microsoftonline.com",
            Self::Usgov | Self::UsgovDod => "https://login.microsoftonline.us",
            Self::China => "https://login.chinacloudapi.cn",
        }
    }

    /// The discovery document's `cloud_instance_name`.
    pub fn instance_name(self) -> &'static str {
        match self {
            Self::Public => "microsoftonline.com",
            Self::Usgov | Self::UsgovDod => "microsoftonline.us",
            Self::China => "chinacloudapi.cn",
        }
    }

    /// The default audience of a federated identity credential (docs/sign-in.md §7).
    pub fn token_exchange_audience(self) -> &'static str {
        match self {
            Self::Public => "api://AzureADTokenExchange",
            Self::Usgov | Self::UsgovDod => "api://AzureADTokenExchangeUSGov",
            Self::China => "api://AzureADTokenExchangeChina",
        }
    }
}

/// A newly created application, service principal, password credential or delegated
/// permission grant is invisible to reads and to writes that reference it until it has
/// been missed `requests` times AND `millis` have elapsed since its creation
/// (docs/graph.md §5: "new object invisible to reads and to referencing writes for N
/// requests or T seconds"). Both zero = visible at once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReplicationConfig {
    /// How many lookups must miss the object before it becomes visible.
    pub requests: u32,
    /// Minimum age in milliseconds before the object becomes visible.
    pub millis: u64,
}

/// Graph throttling: every `every`-th Graph request is answered 429 before it is
/// processed (docs/graph.md §4.3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThrottleConfig {
    /// Throttle every N-th Graph request; 0 = never.
    pub every: u32,
    /// `Retry-After` seconds to send; `None` = never send the header.
    pub retry_after_secs: Option<u64>,
    /// Send `Retry-After` only on every other throttled response (the first one has it),
    /// because "Retry-After may be absent" (docs/graph.md §4.3).
    pub omit_retry_after_every_other: bool,
}

/// An injected failure. The first fault whose `method` and path match a request (after
/// `skip` matching requests have gone through, and while `times` is not used up) fires.
///
/// The kinds are the ways a real service or the network between fails
/// (docs/graph.md §4.3, §2.2, §2.4): an error status (429 with or without
/// `Retry-After`, 5xx), a dropped connection, a 200 that is not JSON (a proxy's page), a
/// truncated JSON 200, a slow answer, and a request held until the test releases it (so
/// a test can kill the client while it waits). `after_processing` makes the failure
/// happen after the service did the work: a lost answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Fault {
    /// HTTP method to match (case-insensitive); empty or `*` = any.
    pub method: String,
    /// Substring of the request path (as sent, percent-encoded; query excluded); empty = any.
    /// Ignored when `path_pattern` is set.
    pub path_contains: String,
    /// The whole path (as sent), where a `*` segment matches any one segment
    /// (`/graph/v1.0/applications/*/addPassword`). Empty = use `path_contains`.
    pub path_pattern: String,
    /// Matching requests to let through before the fault fires.
    pub skip: u32,
    /// What goes wrong.
    pub kind: FaultKind,
    /// Status to answer for [`FaultKind::Status`], with the error body of the service hit
    /// (Graph, Entra, platform).
    pub status: u16,
    /// `Retry-After` seconds sent with a [`FaultKind::Status`] answer; `None` = no header.
    pub retry_after_secs: Option<u64>,
    /// Delay of a [`FaultKind::Slow`] answer.
    pub millis: u64,
    /// How many matching requests fail; each firing decrements it.
    pub times: u32,
    /// `true`: do the work, then fail: a lost response. Used to prove that the client
    /// never retries `POST /applications` or `addPassword` blindly (docs/graph.md
    /// §2.2, §2.4). A truncated answer is always after the work; a slow or held one does
    /// the work when it goes on.
    pub after_processing: bool,
}

/// How an injected fault fails.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer `status` with the service's error body.
    #[default]
    Status,
    /// Close the connection without a complete answer.
    Drop,
    /// 200 with an HTML page (a proxy or gateway answering for the service).
    NonJson,
    /// The service's answer, cut off halfway (status 200 when it had no body).
    Truncated,
    /// The service's answer, after `millis`.
    Slow,
    /// Wait until the test releases it (`Emulator::release_held`, `POST
    /// /_emulator/holds/release`), then do the work and answer, or drop it unprocessed.
    Hold,
}

impl Default for Fault {
    fn default() -> Self {
        Self {
            method: String::new(),
            path_contains: String::new(),
            path_pattern: String::new(),
            skip: 0,
            kind: FaultKind::Status,
            status: 503,
            retry_after_secs: None,
            millis: 0,
            times: 1,
            after_processing: false,
        }
    }
}

impl Fault {
    /// Does this fault's method and path match a request?
    pub(crate) fn matches(&self, method: &str, path: &str) -> bool {
        let method_ok = self.method.is_empty()
            || self.method == "*"
            || self.method.eq_ignore_ascii_case(method);
        if !method_ok {
            return false;
        }
        if self.path_pattern.is_empty() {
            return path.contains(&self.path_contains);
        }
        let want: Vec<&str> = self.path_pattern.split('/').collect();
        let got: Vec<&str> = path.split('/').collect();
        want.len() == got.len() && want.iter().zip(&got).all(|(w, g)| *w == "*" || w == g)
    }
}

/// Interactive and federated sign-in (docs/sign-in.md §4, §7, §13).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SignInConfig {
    /// Device code lifetime (`expires_in`; Entra default 900 s).
    pub device_code_expires_in_secs: u64,
    /// Polling interval the device code response asks for (`interval`).
    pub device_code_interval_secs: u64,
    /// Answer `slow_down` when a device code is polled faster than `interval`
    /// (RFC 8628; whether Entra sends it is [unk], hence switchable).
    pub device_code_slow_down: bool,
    /// Answer `slow_down` to the first N polls of every device code whatever their
    /// timing, as a loaded server may (RFC 8628 §3.5): proves a client backs off.
    pub device_code_slow_down_polls: u32,
    /// Approve a pending device code automatically after this many polls, with the
    /// scopes it asked for. `None` = only `POST /_emulator/device/approve` approves.
    pub device_auto_approve_after_polls: Option<u32>,
    /// Who signs in when the emulator approves on its own (device code auto-approval,
    /// the browser sign-in page) or when an approval names no user: `admin` (Global
    /// Administrator, may consent to anything) or `developer` (Application Developer:
    /// manages only apps they own, cannot obtain DelegatedPermissionGrant.ReadWrite.All).
    pub user: String,
    /// What the admin does on the browser sign-in page (`/authorize`):
    /// `approve` (the default), or `decline` (the browser comes back with
    /// `access_denied`, AADSTS65004).
    pub browser_decision: BrowserDecision,
    /// A federated identity credential on the admin caller app: a `client_assertion`
    /// with this issuer, subject and audience signs the admin app in
    /// (docs/sign-in.md §7). `None` = no federated credential.
    pub federated_credential: Option<FederatedCredential>,
    /// The value of `ACTIONS_ID_TOKEN_REQUEST_TOKEN` that `GET /_emulator/github-oidc`
    /// accepts as bearer. `None` = random per start (see `Credentials`).
    pub github_oidc_request_token: Option<String>,
    /// An administrator has consented tenant-wide, for the public clients users sign in
    /// through, to the delegated scopes the tool asks for (`Application.ReadWrite.All`,
    /// `Application.Read.All`, `User.Read`). Off: a user who may not consent to a scope
    /// that needs admin consent (the Application Developer) gets AADSTS65001 at the
    /// device code's poll, AADSTS90094 in the browser (docs/sign-in.md §11).
    pub public_client_admin_consent: bool,
}

impl Default for SignInConfig {
    fn default() -> Self {
        Self {
            device_code_expires_in_secs: 900,
            device_code_interval_secs: 5,
            device_code_slow_down: true,
            device_code_slow_down_polls: 0,
            device_auto_approve_after_polls: None,
            user: "admin".to_owned(),
            browser_decision: BrowserDecision::Approve,
            federated_credential: Some(FederatedCredential::default()),
            github_oidc_request_token: None,
            public_client_admin_consent: true,
        }
    }
}

impl SignInConfig {
    fn validate(&self) -> Result<(), String> {
        if self.device_code_expires_in_secs == 0 {
            return Err("sign_in.device_code_expires_in_secs must be at least 1".to_owned());
        }
        let local = self.user.split('@').next().unwrap_or_default();
        if !local.eq_ignore_ascii_case("admin") && !local.eq_ignore_ascii_case("developer") {
            return Err(format!(
                "sign_in.user must be admin or developer, got '{}'",
                self.user
            ));
        }
        if let Some(f) = &self.federated_credential {
            if f.issuer.is_empty() || f.subject.is_empty() || f.audience.is_empty() {
                return Err(
                    "sign_in.federated_credential needs issuer, subject and audience".to_owned(),
                );
            }
        }
        Ok(())
    }
}

/// The admin's answer on the emulated browser sign-in page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BrowserDecision {
    #[default]
    Approve,
    Decline,
}

/// A federated identity credential (`issuer`, `subject`, one audience), as created by
/// `POST /applications/{id}/federatedIdentityCredentials` (docs/sign-in.md §7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FederatedCredential {
    /// Must equal the assertion's `iss`.
    pub issuer: String,
    /// Must equal the assertion's `sub` exactly.
    pub subject: String,
    /// Must be among the assertion's `aud`.
    pub audience: String,
}

impl Default for FederatedCredential {
    fn default() -> Self {
        Self {
            issuer: "https://token.actions.githubusercontent.com".to_owned(),
            subject: "repo:acme/pipelines:ref:refs/heads/main".to_owned(),
            audience: "api://AzureADTokenExchange".to_owned(),
        }
    }
}

/// The workflow platform (docs/platform.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlatformConfig {
    /// The team's domain, as carried in access tokens (docs/platform.md §2.1, §2.3).
    pub team: String,
    /// The `environment` part of seeded tokens (fixtures use `v1`; meaning [unk]).
    pub environment: String,
    /// A fixed serialized admin token; `None` = random per start. Must decode to
    /// `id:secret:<team>:<environment>`.
    pub admin_token: Option<String>,
    /// A fixed serialized member token; `None` = random per start.
    pub member_token: Option<String>,
    /// Unrelated integrations listed before the Azure AD one. 30 puts the Azure AD
    /// integration on the second page of the default page size 25.
    pub filler_integrations: usize,
    /// The Azure Active Directory integration; `None` = the platform has none.
    pub azure_ad: Option<IntegrationSeed>,
    /// Emit ProblemDetails with Pascal-cased keys (`Title`, `Detail`, ...), as the
    /// platform sometimes does (docs/platform.md §5).
    pub pascal_case_errors: bool,
    /// Approve pending access tokens (`POST /api/auth`) automatically after this many
    /// milliseconds. `None` = only `POST /_emulator/platform/approve` approves.
    pub auto_approve_tokens_after_millis: Option<u64>,
    /// Accept a second connection of the same name on one integration for one team.
    /// Whether the platform does is [unk]; the spec lists only 400 for create, so by
    /// default a duplicate name is refused with 400 (docs/platform.md §7 item 6).
    pub allow_duplicate_connection_names: bool,
}

impl Default for PlatformConfig {
    fn default() -> Self {
        Self {
            team: "acme.pushbot.com".to_owned(),
            environment: "v1".to_owned(),
            admin_token: None,
            member_token: None,
            filler_integrations: 30,
            azure_ad: Some(IntegrationSeed::default()),
            pascal_case_errors: false,
            auto_approve_tokens_after_millis: None,
            allow_duplicate_connection_names: false,
        }
    }
}

impl PlatformConfig {
    fn validate(&self) -> Result<(), String> {
        if !is_domain(&self.team) {
            return Err(format!(
                "platform.team must be a team domain like acme.pushbot.com, got '{}'",
                self.team
            ));
        }
        if self.environment.is_empty() || self.environment.contains(':') {
            return Err("platform.environment must be non-empty and contain no ':'".to_owned());
        }
        for (name, token) in [
            ("platform.admin_token", &self.admin_token),
            ("platform.member_token", &self.member_token),
        ] {
            if let Some(t) = token {
                let parts = super::util::decode_platform_token(t)
                    .ok_or_else(|| format!("{name} is not base64 of id:secret:domain:env"))?;
                if parts[2] != self.team || parts[3] != self.environment {
                    return Err(format!(
                        "{name} must carry domain '{}' and environment '{}'",
                        self.team, self.environment
                    ));
                }
            }
        }
        if let (Some(a), Some(m)) = (&self.admin_token, &self.member_token) {
            if a == m {
                return Err("platform.admin_token and member_token must differ".to_owned());
            }
        }
        if let Some(seed) = &self.azure_ad {
            seed.validate()?;
        }
        Ok(())
    }
}

/// An integration whose connection fields tests can vary (docs/platform.md §7: the real
/// Azure AD integration's id and fields are [unk]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IntegrationSeed {
    /// `<name>/<action>/<version>` (docs/platform.md §3.1).
    pub id: String,
    /// Display name, e.g. "Azure Active Directory".
    pub name: String,
    /// Reference name (SDK fixtures use the id).
    pub reference_name: String,
    /// The fields a new connection needs (`connectionParams`).
    pub fields: Vec<FieldSeed>,
}

impl Default for IntegrationSeed {
    fn default() -> Self {
        let field =
            |name: &str, reference_name: &str, field_type: &str, description: &str| FieldSeed {
                name: name.to_owned(),
                reference_name: reference_name.to_owned(),
                field_type: field_type.to_owned(),
                required: true,
                description: description.to_owned(),
            };
        Self {
            id: "azure-active-directory/oauth2/v1".to_owned(),
            name: "Azure Active Directory".to_owned(),
            reference_name: "azure-active-directory/oauth2/v1".to_owned(),
            fields: vec![
                field(
                    "Client ID",
                    "client-id",
                    "text",
                    "Application (client) ID of the app registration",
                ),
                field(
                    "Client Secret",
                    "client-secret",
                    "password",
                    "Client secret value of the app registration",
                ),
                field(
                    "Resource",
                    "resource",
                    "text",
                    "Resource the integration signs in to",
                ),
                field("Tenant", "tenant", "text", "Directory (tenant) ID"),
            ],
        }
    }
}

impl IntegrationSeed {
    fn validate(&self) -> Result<(), String> {
        if self.id.trim().is_empty() || self.name.trim().is_empty() {
            return Err("platform.azure_ad needs an id and a name".to_owned());
        }
        if self.id == "-" {
            return Err("platform.azure_ad.id '-' is the wildcard id".to_owned());
        }
        let mut seen = std::collections::HashSet::new();
        for f in &self.fields {
            if f.name.trim().is_empty() || f.reference_name.trim().is_empty() {
                return Err("every platform.azure_ad field needs a name and reference_name".into());
            }
            if !FIELD_TYPES.contains(&f.field_type.as_str()) {
                return Err(format!(
                    "field '{}' has unknown field_type '{}' (one of {})",
                    f.name,
                    f.field_type,
                    FIELD_TYPES.join(", ")
                ));
            }
            if !seen.insert(f.reference_name.to_ascii_lowercase()) {
                return Err(format!(
                    "duplicate field reference_name '{}'",
                    f.reference_name
                ));
            }
        }
        Ok(())
    }
}

/// `FieldType` values of the v2.0.0 API (docs/platform.md §4).
pub(crate) const FIELD_TYPES: &[&str] = &[
    "undefined",
    "text",
    "integer",
    "decimal",
    "date",
    "dateTime",
    "json",
    "bool",
    "singleChoice",
    "multipleChoice",
    "instructions",
    "file",
    "files",
    "table",
    "workflow",
    "instance",
    "user",
    "password",
];

/// One connection field of an integration (`Field`, docs/platform.md §4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FieldSeed {
    /// Display name, e.g. "Client ID".
    pub name: String,
    /// Reference name, e.g. "client-id".
    pub reference_name: String,
    /// A `FieldType` value; `password` fields are masked in snapshots.
    pub field_type: String,
    /// `display.valueRequired`.
    pub required: bool,
    /// Shown to users.
    pub description: String,
}

impl Default for FieldSeed {
    fn default() -> Self {
        Self {
            name: String::new(),
            reference_name: String::new(),
            field_type: "text".to_owned(),
            required: true,
            description: String::new(),
        }
    }
}

fn is_domain(s: &str) -> bool {
    let labels: Vec<&str> = s.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// Applies a partial config (JSON object) on top of `current`: objects merge key by key,
/// anything else (including arrays and `null`) replaces. Fields that shape the seeded
/// tenant (port, ids, secrets, domains, the platform's team and integrations) can only be
/// set at start; changing them is an error.
pub(crate) fn patched(
    current: &EmulatorConfig,
    patch: &serde_json::Value,
) -> Result<EmulatorConfig, String> {
    if !patch.is_object() {
        return Err("the config patch must be a JSON object".to_owned());
    }
    let mut value = serde_json::to_value(current).map_err(|e| e.to_string())?;
    merge(&mut value, patch);
    let next: EmulatorConfig = serde_json::from_value(value).map_err(|e| e.to_string())?;
    next.validate()?;
    let frozen = |c: &EmulatorConfig| {
        (
            c.port,
            c.tenant_id.clone(),
            c.tenant_domain.clone(),
            c.tenant_display_name.clone(),
            c.cloud,
            c.admin_client_id.clone(),
            c.admin_client_secret.clone(),
            c.reader_client_id.clone(),
            c.reader_client_secret.clone(),
            c.sign_in.github_oidc_request_token.clone(),
        )
    };
    let frozen_platform = |p: &PlatformConfig| {
        (
            p.team.clone(),
            p.environment.clone(),
            p.admin_token.clone(),
            p.member_token.clone(),
            p.filler_integrations,
            p.azure_ad.clone(),
        )
    };
    if frozen(current) != frozen(&next)
        || frozen_platform(&current.platform) != frozen_platform(&next.platform)
    {
        return Err(
            "only replication, throttle, faults, graph_page_size, access_token_lifetime_secs, \
                    max_secret_lifetime_days, password_credentials_allowed, sign_in (except \
                    github_oidc_request_token) and platform.pascal_case_errors / \
                    auto_approve_tokens_after_millis / allow_duplicate_connection_names can \
                    change while running"
                .to_owned(),
        );
    }
    Ok(next)
}

/// Restores the start-only fields of `base` into `next` (used by `Emulator::update`,
/// whose closure may touch anything).
pub(crate) fn keep_frozen(base: &EmulatorConfig, next: &mut EmulatorConfig) {
    next.port = base.port;
    next.tenant_id.clone_from(&base.tenant_id);
    next.tenant_domain.clone_from(&base.tenant_domain);
    next.tenant_display_name
        .clone_from(&base.tenant_display_name);
    next.cloud = base.cloud;
    next.admin_client_id.clone_from(&base.admin_client_id);
    next.admin_client_secret
        .clone_from(&base.admin_client_secret);
    next.reader_client_id.clone_from(&base.reader_client_id);
    next.reader_client_secret
        .clone_from(&base.reader_client_secret);
    next.sign_in
        .github_oidc_request_token
        .clone_from(&base.sign_in.github_oidc_request_token);
    next.platform.team.clone_from(&base.platform.team);
    next.platform
        .environment
        .clone_from(&base.platform.environment);
    next.platform
        .admin_token
        .clone_from(&base.platform.admin_token);
    next.platform
        .member_token
        .clone_from(&base.platform.member_token);
    next.platform.filler_integrations = base.platform.filler_integrations;
    next.platform.azure_ad.clone_from(&base.platform.azure_ad);
}

fn merge(target: &mut serde_json::Value, patch: &serde_json::Value) {
    match (target, patch) {
        (serde_json::Value::Object(t), serde_json::Value::Object(p)) => {
            for (k, v) in p {
                match t.get_mut(k) {
                    Some(existing) if existing.is_object() && v.is_object() => merge(existing, v),
                    _ => {
                        t.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}
