//! Microsoft Graph's resources, as far as the tool reads and writes them.
//!
//! Readers tolerate unknown and missing properties (Graph adds properties
//! over time); writers send exactly what they mean.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct Application {
    pub id: String,
    pub app_id: String,
    pub display_name: String,
    pub sign_in_audience: Option<String>,
    pub tags: Vec<String>,
    pub web: Option<Web>,
    pub required_resource_access: Vec<RequiredResourceAccess>,
    pub password_credentials: Vec<PasswordCredential>,
    /// When it was made: of two apps that two runs at once made, the older
    /// one is kept.
    pub created_date_time: Option<String>,
}

impl Application {
    pub(crate) fn redirect_uris(&self) -> &[String] {
        self.web
            .as_ref()
            .map_or(&[], |w| w.redirect_uris.as_slice())
    }
}

/// An app's `web` settings. Graph replaces a complex value sent in a PATCH
/// whole, so everything read (home page, logout URL, implicit-grant
/// settings, and whatever Graph adds) is kept in `other` and sent back.
#[derive(Debug, Clone, Deserialize, Serialize, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct Web {
    pub redirect_uris: Vec<String>,
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct RequiredResourceAccess {
    pub resource_app_id: String,
    pub resource_access: Vec<ResourceAccess>,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default, PartialEq)]
#[serde(default)]
pub(crate) struct ResourceAccess {
    pub id: String,
    /// `Scope` (delegated) or `Role` (application).
    #[serde(rename = "type")]
    pub kind: String,
}

/// A secret's metadata as Graph shows it on reads (`secretText` is always
/// null there, so it is not even modelled).
#[derive(Debug, Clone, Deserialize, Serialize, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct PasswordCredential {
    pub key_id: String,
    pub display_name: Option<String>,
    pub hint: Option<String>,
    pub start_date_time: Option<String>,
    pub end_date_time: Option<String>,
}

impl PasswordCredential {
    /// When it expires, if Graph said (and said it readably).
    pub(crate) fn end(&self) -> Option<jiff::Timestamp> {
        self.end_date_time.as_deref().and_then(|e| e.parse().ok())
    }

    /// Not expired at `now` (one without an end never expires).
    pub(crate) fn unexpired_at(&self, now: jiff::Timestamp) -> bool {
        self.end().is_none_or(|end| end > now)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct ServicePrincipal {
    pub id: String,
    pub app_id: String,
    pub display_name: Option<String>,
    pub tags: Vec<String>,
    pub oauth2_permission_scopes: Vec<PermissionScope>,
    pub app_roles: Vec<AppRole>,
    pub service_principal_names: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct PermissionScope {
    pub id: String,
    pub value: Option<String>,
    /// `Admin` (needs admin consent) or `User`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub is_enabled: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct AppRole {
    pub id: String,
    pub value: Option<String>,
    pub allowed_member_types: Vec<String>,
    pub is_enabled: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct PermissionGrant {
    pub id: String,
    pub client_id: String,
    pub consent_type: String,
    pub principal_id: Option<String>,
    pub resource_id: String,
    pub scope: String,
}

/// The directory (`GET /organization`; docs/graph.md §2.10).
#[derive(Debug, Clone, Deserialize, Serialize, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct Organization {
    pub id: String,
    pub display_name: Option<String>,
    pub verified_domains: Vec<VerifiedDomain>,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct VerifiedDomain {
    pub name: String,
    pub is_default: bool,
}

/// A collection page.
#[derive(Debug, Deserialize)]
pub(crate) struct Page<T> {
    #[serde(default = "Vec::new")]
    pub value: Vec<T>,
    #[serde(rename = "@odata.nextLink")]
    pub next_link: Option<String>,
}

/// The answer to `addPassword`: the only time `secretText` is readable.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AddedPassword {
    pub key_id: String,
    pub end_date_time: Option<String>,
    pub hint: Option<String>,
    pub secret_text: secrecy::SecretString,
}

impl std::fmt::Debug for AddedPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AddedPassword")
            .field("key_id", &self.key_id)
            .field("end_date_time", &self.end_date_time)
            .finish_non_exhaustive()
    }
}

/// The body of `POST /applications`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NewApplication {
    pub display_name: String,
    pub sign_in_audience: String,
    pub tags: Vec<String>,
    pub web: Web,
    pub required_resource_access: Vec<RequiredResourceAccess>,
}

/// Graph's error body: `{"error": {"code", "message", "details", "innerError"}}`.
#[derive(Debug, Deserialize, Default)]
pub(crate) struct ErrorBody {
    #[serde(default)]
    pub error: ErrorDetail,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub(crate) struct ErrorDetail {
    pub code: String,
    pub message: String,
    pub details: Vec<ErrorDetailEntry>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub(crate) struct ErrorDetailEntry {
    pub code: String,
    pub message: String,
    pub target: Option<String>,
}
