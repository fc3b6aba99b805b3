//! The world the emulator starts with: a tenant holding the Microsoft Graph and Dynamics
//! CRM service principals (with their real, global permission ids), the app-only caller
//! identities admins really use ([`APP_IDENTITIES`]) with secrets, two users for
//! delegated tokens (a Global Administrator and an Application Developer), and a
//! platform team with an admin and a member token and a page-spanning list of
//! integrations.
//!
//! Tenant-specific object ids are generated per start, as they differ per real tenant
//! (docs/graph.md §2.8).

use std::time::Instant;

use super::config::{EmulatorConfig, IntegrationSeed};
use super::state::{
    App, AppRole, Counters, Field, Integration, PasswordCred, PermissionScope, Platform,
    PlatformToken, PlatformUser, Repl, RequiredResourceAccess, ResourceAccess, Sp, State, Tenant,
    TokenApproval, User, Web,
};
use super::util::{ALNUM, decode_platform_token, new_guid, now, random_from};
use super::{AppIdentity, Credentials, UserIdentity};

/// Microsoft Graph's appId (docs/graph.md §3).
pub(crate) const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
/// Dynamics CRM's appId (docs/graph.md §3).
pub(crate) const DYNAMICS_APP_ID: &str = "00000007-0000-0000-c000-000000000000";
/// The tenant that owns Microsoft's first-party apps.
const MICROSOFT_TENANT: &str = "f8cdef31-a31e-4b4a-93e4-5f571e91255a";

/// Microsoft Graph delegated scopes: (id, value, type) — docs/graph.md §3.
const GRAPH_SCOPES: &[(&str, &str, &str)] = &[
    (
        "c5366453-9fb0-48a5-a156-24f0c49a4b84",
        "Directory.ReadWrite.All",
        "Admin",
    ),
    (
        "06da0dbc-49e2-44d2-8312-53f166ab848a",
        "Directory.Read.All",
        "Admin",
    ),
    (
        "bdfbf15f-ee85-4955-8675-146e8e5296b5",
        "Application.ReadWrite.All",
        "Admin",
    ),
    (
        "c79f8feb-a9db-4090-85f9-90d820caa0eb",
        "Application.Read.All",
        "Admin",
    ),
    (
        "41ce6ca6-6826-4807-84f1-1c82854f7ee5",
        "DelegatedPermissionGrant.ReadWrite.All",
        "Admin",
    ),
    ("e1fe6dd8-ba31-4d61-89e7-88639da4683d", "User.Read", "User"),
];

/// Microsoft Graph application roles: (id, value) — docs/graph.md §3.
const GRAPH_ROLES: &[(&str, &str)] = &[
    (
        "19dbc75e-c2e2-444c-a770-ec69d8559fc7",
        "Directory.ReadWrite.All",
    ),
    (
        "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
        "Application.ReadWrite.All",
    ),
    (
        "18a4783c-866b-4cc7-a460-3d5e5662c884",
        "Application.ReadWrite.OwnedBy",
    ),
    (
        "8e8e4742-1d95-4f68-9d56-6ee75648c72a",
        "DelegatedPermissionGrant.ReadWrite.All",
    ),
    (
        "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
        "Application.Read.All",
    ),
    (
        "498476ce-e0fe-48b0-b801-37ba7e2685c6",
        "Organization.Read.All",
    ),
    ("7ab1d382-f21e-4acd-a863-ba3e13f7da61", "Directory.Read.All"),
    ("246dd0d5-5bd0-4def-940b-0421030a5b68", "Policy.Read.All"),
];

/// The app-only identities a tenant really runs the tool with: (name, display name,
/// Graph application permissions). `admin` holds everything the tool can use; the
/// others are the least-privilege cases the README's table covers
/// (docs/sign-in.md §1; docs/graph.md §2.7, §2.9).
pub(crate) const APP_IDENTITIES: &[(&str, &str, &[&str])] = &[
    (
        "admin",
        "aad-setup-emulator-admin",
        &[
            "Application.ReadWrite.All",
            "DelegatedPermissionGrant.ReadWrite.All",
            "Organization.Read.All",
            "Policy.Read.All",
        ],
    ),
    (
        "writer",
        "aad-setup-emulator-writer",
        &["Application.ReadWrite.All"],
    ),
    (
        "owned-by",
        "aad-setup-emulator-owned-by",
        &["Application.ReadWrite.OwnedBy"],
    ),
    (
        "reader",
        "aad-setup-emulator-reader",
        &["Application.Read.All"],
    ),
    (
        "directory-reader",
        "aad-setup-emulator-directory-reader",
        &["Directory.Read.All"],
    ),
];

/// Delegated scopes an administrator consented to tenant-wide for the interactive
/// clients (`sign_in.public_client_admin_consent`), so that a user who may not consent
/// to admin scopes can still obtain them.
const CONSENTED_FOR_USERS: &[&str] = &[
    "Application.ReadWrite.All",
    "Application.Read.All",
    "User.Read",
];

/// Dynamics CRM's only delegated scope (docs/graph.md §3, §6).
const DYNAMICS_SCOPE: (&str, &str) = ("78ce3f0f-a1ce-49c2-8cde-64b5c0896db4", "user_impersonation");

/// Unrelated integrations listed before the Azure AD one: (name, id).
const FILLERS: &[(&str, &str)] = &[
    ("Adobe Sign", "adobe-sign/oauth2/v1"),
    ("Airtable", "airtable/non-oauth/v1"),
    ("Asana", "asana/oauth2/v1"),
    ("AWS S3", "aws-s3/non-oauth/v1"),
    ("Box", "box/oauth2/v1"),
    ("DocuSign", "docusign/oauth2/v1"),
    ("Dropbox", "dropbox/oauth2/v1"),
    ("GitHub", "github/oauth2/v1"),
    ("Gmail", "gmail/oauth2/v1"),
    ("Google Drive", "google-drive/oauth2/v1"),
    ("Google Sheets", "google-sheets/oauth2/v1"),
    ("HubSpot", "hubspot/oauth2/v1"),
    ("Intercom", "intercom/oauth2/v1"),
    ("Jira", "jira/oauth2/v1"),
    ("Mailchimp", "mailchimp/oauth2/v1"),
    ("Marketo", "marketo/non-oauth/v1"),
    ("Microsoft Teams", "microsoft-teams/oauth2/v1"),
    ("NetSuite", "netsuite/non-oauth/v1"),
    ("Okta", "okta/non-oauth/v1"),
    ("OneDrive", "onedrive/oauth2/v1"),
    ("Outlook", "outlook/oauth2/v1"),
    ("QuickBooks Online", "quickbooks-online/oauth2/v1"),
    ("Salesforce", "salesforce/oauth2/v1"),
    ("ServiceNow", "servicenow/non-oauth/v1"),
    ("SFTP", "sftp/non-oauth/v1"),
    ("SharePoint", "sharepoint/oauth2/v1"),
    ("Slack", "slack/oauth2/v1"),
    ("Smartsheet", "smartsheet/oauth2/v1"),
    ("Trello", "trello/oauth2/v1"),
    ("Twilio", "twilio/non-oauth/v1"),
    ("Workday", "workday/non-oauth/v1"),
    ("Xero", "xero/oauth2/v1"),
    ("Zendesk", "zendesk/oauth2/v1"),
    ("Zoom", "zoom/oauth2/v1"),
];

/// A client secret shaped like Entra's: 40 characters, the fourth to sixth being a
/// digit and `Q~`, drawn from letters, digits and `~._-` (docs/graph.md §2.4: the
/// value is 16–64 characters; `hint` is its first three).
pub(crate) fn new_client_secret() -> String {
    const TAIL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789~._-";
    format!(
        "{}{}Q~{}",
        random_from(ALNUM, 3),
        random_from(b"0123456789", 1),
        random_from(TAIL, 34)
    )
}

fn graph_sp(resource: &str) -> Sp {
    Sp {
        id: new_guid(),
        app_id: GRAPH_APP_ID.to_owned(),
        display_name: "Microsoft Graph".to_owned(),
        app_display_name: Some("Microsoft Graph".to_owned()),
        tags: Vec::new(),
        account_enabled: true,
        service_principal_names: vec![
            GRAPH_APP_ID.to_owned(),
            resource.to_owned(),
            format!("{resource}/"),
        ],
        scopes: GRAPH_SCOPES
            .iter()
            .map(|(id, value, kind)| PermissionScope {
                id: (*id).to_owned(),
                value: (*value).to_owned(),
                kind: (*kind).to_owned(),
                admin_consent_display_name: display_of(value),
                user_consent_display_name: display_of(value),
            })
            .collect(),
        app_roles: GRAPH_ROLES
            .iter()
            .map(|(id, value)| AppRole {
                id: (*id).to_owned(),
                value: (*value).to_owned(),
                display_name: display_of(value),
            })
            .collect(),
        app_owner_organization_id: MICROSOFT_TENANT.to_owned(),
        sign_in_audience: "AzureADMultipleOrgs".to_owned(),
        description: None,
        notes: None,
        app_role_assignment_required: false,
        owners: Vec::new(),
        graph_roles: Vec::new(),
        repl: Repl::seeded(),
    }
}

fn dynamics_sp() -> Sp {
    Sp {
        id: new_guid(),
        app_id: DYNAMICS_APP_ID.to_owned(),
        display_name: "Dynamics CRM".to_owned(),
        app_display_name: Some("Dynamics CRM".to_owned()),
        tags: Vec::new(),
        account_enabled: true,
        service_principal_names: vec![DYNAMICS_APP_ID.to_owned()],
        scopes: vec![PermissionScope {
            id: DYNAMICS_SCOPE.0.to_owned(),
            value: DYNAMICS_SCOPE.1.to_owned(),
            kind: "User".to_owned(),
            admin_consent_display_name: "Access Common Data Service as organization users"
                .to_owned(),
            user_consent_display_name: "Access Common Data Service as organization users"
                .to_owned(),
        }],
        app_roles: Vec::new(),
        app_owner_organization_id: MICROSOFT_TENANT.to_owned(),
        sign_in_audience: "AzureADMultipleOrgs".to_owned(),
        description: None,
        notes: None,
        app_role_assignment_required: false,
        owners: Vec::new(),
        graph_roles: Vec::new(),
        repl: Repl::seeded(),
    }
}

fn display_of(value: &str) -> String {
    format!("{value} (emulated Microsoft Graph permission)")
}

/// A caller app with a secret, its service principal, and Graph app roles assigned.
fn caller(
    name: &str,
    app_id: String,
    secret: String,
    roles: &[&str],
    tenant_created: jiff::Timestamp,
    tenant_id: &str,
) -> (App, Sp) {
    let start = now() - jiff::SignedDuration::from_hours(24);
    let end = now() + jiff::SignedDuration::from_hours(24 * 365);
    let app = App {
        id: new_guid(),
        app_id: app_id.clone(),
        display_name: name.to_owned(),
        sign_in_audience: "AzureADMyOrg".to_owned(),
        tags: Vec::new(),
        web: Web::default(),
        required_resource_access: vec![RequiredResourceAccess {
            resource_app_id: GRAPH_APP_ID.to_owned(),
            resource_access: roles
                .iter()
                .filter_map(|r| GRAPH_ROLES.iter().find(|(_, v)| v == r))
                .map(|(id, _)| ResourceAccess {
                    id: (*id).to_owned(),
                    kind: "Role".to_owned(),
                })
                .collect(),
        }],
        description: None,
        notes: None,
        is_fallback_public_client: None,
        public_client_redirect_uris: Vec::new(),
        password_credentials: vec![PasswordCred {
            key_id: new_guid(),
            display_name: Some("emulator".to_owned()),
            custom_key_identifier: None,
            hint: secret.chars().take(3).collect(),
            secret,
            start,
            end,
            repl: Repl::seeded(),
        }],
        owners: Vec::new(),
        created: tenant_created,
        repl: Repl::seeded(),
    };
    let sp = Sp {
        id: new_guid(),
        app_id,
        display_name: name.to_owned(),
        app_display_name: Some(name.to_owned()),
        tags: vec!["WindowsAzureActiveDirectoryIntegratedApp".to_owned()],
        account_enabled: true,
        service_principal_names: vec![app.app_id.clone()],
        scopes: Vec::new(),
        app_roles: Vec::new(),
        app_owner_organization_id: tenant_id.to_owned(),
        sign_in_audience: "AzureADMyOrg".to_owned(),
        description: None,
        notes: None,
        app_role_assignment_required: false,
        owners: Vec::new(),
        graph_roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        repl: Repl::seeded(),
    };
    (app, sp)
}

fn integration_from_seed(seed: &IntegrationSeed) -> Integration {
    Integration {
        id: seed.id.clone(),
        name: seed.name.clone(),
        reference_name: seed.reference_name.clone(),
        fields: seed
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| Field {
                id: new_guid(),
                name: f.name.clone(),
                reference_name: f.reference_name.clone(),
                field_type: f.field_type.clone(),
                required: f.required,
                description: f.description.clone(),
                position: i + 1,
            })
            .collect(),
    }
}

fn filler(i: usize) -> Integration {
    let (name, id) = FILLERS.get(i).map_or_else(
        || {
            (
                format!("Custom Connector {}", i + 1),
                format!("custom-connector-{}/non-oauth/v1", i + 1),
            )
        },
        |(n, id)| ((*n).to_owned(), (*id).to_owned()),
    );
    // OAuth integrations get their credentials from the browser "Connect" step; the
    // others take an API key.
    let fields = if id.contains("/non-oauth/") {
        vec![Field {
            id: new_guid(),
            name: "API Key".to_owned(),
            reference_name: "api-key".to_owned(),
            field_type: "password".to_owned(),
            required: true,
            description: format!("API key for {name}"),
            position: 1,
        }]
    } else {
        Vec::new()
    };
    Integration {
        reference_name: id.clone(),
        id,
        name,
        fields,
    }
}

fn platform_token(
    configured: Option<&String>,
    team: &str,
    env: &str,
    name: &str,
    admin: bool,
) -> PlatformToken {
    let (id, secret) = configured
        .and_then(|t| decode_platform_token(t))
        .map_or_else(
            || (new_guid(), new_guid()),
            |p| (p[0].clone(), p[1].clone()),
        );
    let role = if admin { "admin" } else { "member" };
    PlatformToken {
        id,
        secret,
        domain: team.to_owned(),
        environment: env.to_owned(),
        name: name.to_owned(),
        user: PlatformUser {
            id: new_guid(),
            email: format!("{role}@{team}"),
            admin,
        },
        approval: TokenApproval::Approved,
        created: Instant::now(),
    }
}

/// Builds the starting state. `config` must have been validated.
pub(crate) fn build(mut config: EmulatorConfig, base_url: String) -> State {
    // Outside the public cloud the federated credential's default audience is that
    // cloud's (docs/sign-in.md §7), unless one was configured.
    if let Some(fed) = &mut config.sign_in.federated_credential {
        if fed.audience == super::config::EmulatedCloud::Public.token_exchange_audience() {
            fed.audience = config.cloud.token_exchange_audience().to_owned();
        }
    }
    let created = now() - jiff::SignedDuration::from_hours(24 * 400);
    let tenant = Tenant {
        id: config
            .tenant_id
            .clone()
            .map_or_else(new_guid, |t| t.to_ascii_lowercase()),
        domain: config.tenant_domain.to_ascii_lowercase(),
        display_name: config.tenant_display_name.clone(),
        policy_id: new_guid(),
        created,
    };
    let users = vec![
        User {
            id: new_guid(),
            user_principal_name: format!("admin@{}", tenant.domain),
            display_name: "Emulator Admin".to_owned(),
            role: "Global Administrator".to_owned(),
            consentable: None,
            owner_only: false,
            created_objects: 0,
        },
        // Registers apps and manages the ones they own; may not consent to admin scopes
        // (so never holds DelegatedPermissionGrant.ReadWrite.All) nor manage others'
        // apps (docs/sign-in.md §1; docs/graph.md §2.7).
        User {
            id: new_guid(),
            user_principal_name: format!("developer@{}", tenant.domain),
            display_name: "Emulator Developer".to_owned(),
            role: "Application Developer".to_owned(),
            consentable: Some({
                // What a user may consent to alone (the map's `adminConsent: false`),
                // plus the administrator's tenant-wide consent when there is one.
                let mut scopes: Vec<String> = super::contract::user_consentable()
                    .map(str::to_owned)
                    .collect();
                if config.sign_in.public_client_admin_consent {
                    for s in CONSENTED_FOR_USERS {
                        if !scopes.iter().any(|x| x == s) {
                            scopes.push((*s).to_owned());
                        }
                    }
                }
                scopes
            }),
            owner_only: true,
            created_objects: 0,
        },
    ];

    let mut apps = Vec::new();
    let mut caller_sps = Vec::new();
    let mut identities = Vec::new();
    for (name, display_name, roles) in APP_IDENTITIES {
        let (id, secret) = match *name {
            "admin" => (&config.admin_client_id, &config.admin_client_secret),
            "reader" => (&config.reader_client_id, &config.reader_client_secret),
            _ => (&None, &None),
        };
        let app_id = id.clone().map_or_else(new_guid, |s| s.to_ascii_lowercase());
        let secret = secret.clone().unwrap_or_else(new_client_secret);
        let (app, sp) = caller(
            display_name,
            app_id.clone(),
            secret.clone(),
            roles,
            created,
            &tenant.id,
        );
        apps.push(app);
        caller_sps.push(sp);
        identities.push(AppIdentity {
            name: (*name).to_owned(),
            display_name: (*display_name).to_owned(),
            client_id: app_id,
            client_secret: secret,
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        });
    }
    let find = |name: &str| {
        identities
            .iter()
            .find(|i| i.name == name)
            .cloned()
            .expect("seeded identity")
    };
    let (admin, reader) = (find("admin"), find("reader"));

    let team = config.platform.team.to_ascii_lowercase();
    let env = config.platform.environment.clone();
    let admin_token = platform_token(
        config.platform.admin_token.as_ref(),
        &team,
        &env,
        "aad-setup emulator (admin)",
        true,
    );
    let member_token = platform_token(
        config.platform.member_token.as_ref(),
        &team,
        &env,
        "aad-setup emulator (member)",
        false,
    );
    let mut integrations: Vec<Integration> = (0..config.platform.filler_integrations)
        .map(filler)
        .collect();
    if let Some(seed) = &config.platform.azure_ad {
        integrations.push(integration_from_seed(seed));
    }

    let github_token = config
        .sign_in
        .github_oidc_request_token
        .clone()
        .unwrap_or_else(|| random_from(ALNUM, 40));

    let credentials = Credentials {
        tenant_id: tenant.id.clone(),
        tenant_domain: tenant.domain.clone(),
        admin_client_id: admin.client_id.clone(),
        admin_client_secret: admin.client_secret,
        reader_client_id: reader.client_id,
        reader_client_secret: reader.client_secret,
        platform_admin_token: admin_token.serialized(),
        platform_member_token: member_token.serialized(),
        platform_team: team,
        github_oidc_request_url: format!("{base_url}/_emulator/github-oidc?api-version=2.0"),
        github_oidc_request_token: github_token,
        identities,
        users: users
            .iter()
            .map(|u| UserIdentity {
                user_principal_name: u.user_principal_name.clone(),
                display_name: u.display_name.clone(),
                role: u.role.clone(),
                consentable_scopes: u.consentable.clone(),
            })
            .collect(),
        device_approval_url: format!("{base_url}/_emulator/device"),
        platform_approval_url: format!("{base_url}/_emulator/platform"),
    };
    let mut sps = vec![graph_sp(config.cloud.graph_resource()), dynamics_sp()];
    sps.extend(caller_sps);

    State {
        admin_app_id: admin.client_id,
        config,
        base_url,
        tenant,
        users,
        apps,
        sps,
        grants: Vec::new(),
        tokens: Default::default(),
        refresh_tokens: Default::default(),
        device_codes: Vec::new(),
        auth_codes: Vec::new(),
        issued_secrets: Vec::new(),
        platform: Platform {
            integrations,
            tokens: vec![admin_token, member_token],
            connections: Vec::new(),
        },
        log: Vec::new(),
        contract_log: Vec::new(),
        counters: Counters::default(),
        graph_requests: 0,
        credentials,
        app_versions: Vec::new(),
    }
}
