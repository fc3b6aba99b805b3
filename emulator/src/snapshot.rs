//! What tests inspect after a run: the directory objects, the platform connections and
//! the request log — and never a secret.
//!
//! Password credentials appear without `secretText`. A connection parameter that holds
//! a secret (any `password` field, or any value equal to a secret or token the emulator
//! issued) shows `"[secret]"`, and `matchesCredential` names the current password
//! credential it equals, so a test can prove the connection holds the very secret Graph
//! issued without the secret ever being in a snapshot.

use serde::{Deserialize, Serialize};

use super::state::State;
use super::util::{iso_millis, iso_seconds};

/// The masked form of a secret value.
pub const SECRET_MASK: &str = "[secret]";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    pub tenant: TenantSnapshot,
    pub applications: Vec<ApplicationSnapshot>,
    pub service_principals: Vec<ServicePrincipalSnapshot>,
    pub oauth2_permission_grants: Vec<GrantSnapshot>,
    pub connections: Vec<ConnectionSnapshot>,
    pub requests: RequestLog,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantSnapshot {
    pub id: String,
    pub domain: String,
}

/// An application (including ones that have not replicated yet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSnapshot {
    pub id: String,
    pub app_id: String,
    pub display_name: String,
    pub sign_in_audience: String,
    pub tags: Vec<String>,
    pub web: WebSnapshot,
    pub required_resource_access: Vec<RequiredResourceAccessSnapshot>,
    pub password_credentials: Vec<PasswordCredentialSnapshot>,
    /// Directory object ids of the owners.
    pub owners: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebSnapshot {
    pub redirect_uris: Vec<String>,
    pub home_page_url: Option<String>,
    pub logout_url: Option<String>,
    pub enable_id_token_issuance: bool,
    pub enable_access_token_issuance: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequiredResourceAccessSnapshot {
    pub resource_app_id: String,
    pub resource_access: Vec<ResourceAccessSnapshot>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceAccessSnapshot {
    pub id: String,
    /// `Scope` or `Role`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// A password credential, never with its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordCredentialSnapshot {
    pub key_id: String,
    pub display_name: Option<String>,
    pub hint: String,
    pub start_date_time: String,
    pub end_date_time: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePrincipalSnapshot {
    pub id: String,
    pub app_id: String,
    pub display_name: String,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantSnapshot {
    pub id: String,
    pub client_id: String,
    pub consent_type: String,
    pub principal_id: Option<String>,
    pub resource_id: String,
    pub scope: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionSnapshot {
    pub id: String,
    pub integration_id: String,
    pub name: String,
    pub reference_name: String,
    pub team: String,
    pub created_at: String,
    pub params: Vec<ConnectionParamSnapshot>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionParamSnapshot {
    /// The field's name and reference name (as matched on creation).
    pub name: String,
    pub reference_name: String,
    /// The stored value, or `"[secret]"` for password fields and secret-looking values.
    pub value: String,
    /// Which current password credential the stored value equals, if any.
    pub matches_credential: Option<CredentialMatch>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialMatch {
    pub app_id: String,
    pub key_id: String,
}

/// Every request the services answered (control requests excluded), and counters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestLog {
    pub log: Vec<RequestRecordSnapshot>,
    /// Requests answered 429 by the throttle.
    pub throttled: u64,
    /// Lookups that missed a not-yet-replicated object.
    pub replication_misses: u64,
    /// Injected faults that fired.
    pub faults_injected: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRecordSnapshot {
    pub method: String,
    /// The path as sent (percent-encoded), without the query.
    pub path: String,
    /// Query parameter names only (values may carry secrets).
    pub query: Vec<String>,
    pub status: u16,
    /// When it arrived (microseconds since the Unix epoch).
    pub started_micros: u64,
    /// When its answer was ready, latency and faults included.
    pub finished_micros: u64,
}

pub(crate) fn build(st: &State) -> Snapshot {
    let credential_of = |value: &str| {
        st.apps.iter().find_map(|a| {
            a.password_credentials
                .iter()
                .find(|c| c.secret == value)
                .map(|c| CredentialMatch {
                    app_id: a.app_id.clone(),
                    key_id: c.key_id.clone(),
                })
        })
    };
    let is_secret = |value: &str| {
        st.issued_secrets.iter().any(|s| s == value)
            || st
                .apps
                .iter()
                .any(|a| a.password_credentials.iter().any(|c| c.secret == value))
            || st.credentials.admin_client_secret == value
            || st.credentials.reader_client_secret == value
            || st
                .platform
                .tokens
                .iter()
                .any(|t| t.serialized() == value || t.secret == value)
    };
    Snapshot {
        tenant: TenantSnapshot {
            id: st.tenant.id.clone(),
            domain: st.tenant.domain.clone(),
        },
        applications: st
            .apps
            .iter()
            .map(|a| ApplicationSnapshot {
                id: a.id.clone(),
                app_id: a.app_id.clone(),
                display_name: a.display_name.clone(),
                sign_in_audience: a.sign_in_audience.clone(),
                tags: a.tags.clone(),
                web: WebSnapshot {
                    redirect_uris: a.web.redirect_uris.clone(),
                    home_page_url: a.web.home_page_url.clone(),
                    logout_url: a.web.logout_url.clone(),
                    enable_id_token_issuance: a.web.enable_id_token_issuance,
                    enable_access_token_issuance: a.web.enable_access_token_issuance,
                },
                required_resource_access: a
                    .required_resource_access
                    .iter()
                    .map(|r| RequiredResourceAccessSnapshot {
                        resource_app_id: r.resource_app_id.clone(),
                        resource_access: r
                            .resource_access
                            .iter()
                            .map(|x| ResourceAccessSnapshot {
                                id: x.id.clone(),
                                kind: x.kind.clone(),
                            })
                            .collect(),
                    })
                    .collect(),
                password_credentials: a
                    .password_credentials
                    .iter()
                    .map(|c| PasswordCredentialSnapshot {
                        key_id: c.key_id.clone(),
                        display_name: c.display_name.clone(),
                        hint: c.hint.clone(),
                        start_date_time: iso_millis(c.start),
                        end_date_time: iso_millis(c.end),
                    })
                    .collect(),
                owners: a.owners.clone(),
            })
            .collect(),
        service_principals: st
            .sps
            .iter()
            .map(|s| ServicePrincipalSnapshot {
                id: s.id.clone(),
                app_id: s.app_id.clone(),
                display_name: s.display_name.clone(),
                tags: s.tags.clone(),
            })
            .collect(),
        oauth2_permission_grants: st
            .grants
            .iter()
            .map(|g| GrantSnapshot {
                id: g.id.clone(),
                client_id: g.client_id.clone(),
                consent_type: g.consent_type.clone(),
                principal_id: g.principal_id.clone(),
                resource_id: g.resource_id.clone(),
                scope: g.scope.clone(),
            })
            .collect(),
        connections: st
            .platform
            .connections
            .iter()
            .map(|c| ConnectionSnapshot {
                id: c.id.clone(),
                integration_id: c.integration_id.clone(),
                name: c.name.clone(),
                reference_name: c.reference_name.clone(),
                team: c.team.clone(),
                created_at: iso_seconds(c.created_at),
                params: c
                    .params
                    .iter()
                    .map(|p| {
                        let masked = p.is_password || is_secret(&p.value);
                        ConnectionParamSnapshot {
                            name: p.name.clone(),
                            reference_name: p.reference_name.clone(),
                            value: if masked {
                                SECRET_MASK.to_owned()
                            } else {
                                p.value.clone()
                            },
                            matches_credential: credential_of(&p.value),
                        }
                    })
                    .collect(),
            })
            .collect(),
        requests: RequestLog {
            log: st
                .log
                .iter()
                .map(|r| RequestRecordSnapshot {
                    method: r.method.clone(),
                    path: r.path.clone(),
                    query: r.query_keys.clone(),
                    status: r.status,
                    started_micros: r.started_micros,
                    finished_micros: r.finished_micros,
                })
                .collect(),
            throttled: st.counters.throttled,
            replication_misses: st.counters.replication_misses,
            faults_injected: st.counters.faults_injected,
        },
    }
}
