//! The platform API's JSON (docs/platform.md §4).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct Integration {
    pub id: String,
    pub reference_name: Option<String>,
    pub name: String,
    pub is_custom_integration: bool,
    pub connections: Vec<Connection>,
    pub connection_params: Vec<Field>,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct Field {
    pub id: Option<String>,
    pub name: String,
    pub reference_name: Option<String>,
    pub description: Option<String>,
    pub field_type: Option<String>,
    /// v2.0.0 calls it `display`, v1 `restrictions`.
    #[serde(alias = "restrictions")]
    pub display: Option<FieldDisplay>,
}

impl Field {
    pub(crate) fn required(&self) -> bool {
        self.display.as_ref().is_some_and(|d| d.value_required)
    }

    pub(crate) fn reference(&self) -> &str {
        self.reference_name.as_deref().unwrap_or(&self.name)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct FieldDisplay {
    pub value_required: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct Connection {
    pub id: String,
    pub name: String,
    pub reference_name: Option<String>,
    pub integration_id: Option<String>,
    pub created_at: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct IntegrationsPage {
    pub integrations: Vec<Integration>,
    pub next_page_token: Option<String>,
    pub count: Option<u64>,
}

/// One value of a new connection: copied from the matched field, as the
/// platform's node SDK does (docs/platform.md §7.5).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ConnectionParam<'a> {
    pub name: &'a str,
    pub reference_name: &'a str,
    pub value: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NewConnection<'a> {
    pub integration_id: &'a str,
    pub name: &'a str,
    pub connection_params: Vec<ConnectionParam<'a>>,
}
