//! Step 7: the platform connection (Admin > Integrations > Azure Active
//! Directory > Add this Connection), with Client ID, Client Secret, Resource
//! and Tenant.
//!
//! The platform has no update: a connection holding an old secret is
//! replaced by creating the new one first and deleting the old one after
//! (platform-api.md §6). The create is never retried blindly.

use secrecy::{ExposeSecret as _, SecretString};

use crate::output::Printer;
use crate::platform::types::{Connection, ConnectionParam, NewConnection};
use crate::report::Action;
use crate::settings::ConnValue;

use super::is_ambiguous;
use super::platform_preflight::PlatformTarget;

/// The four values.
pub(crate) struct Values<'a> {
    pub client_id: &'a str,
    pub client_secret: &'a SecretString,
    pub resource: &'a str,
    pub tenant: &'a str,
}

pub(crate) struct ConnectionState {
    pub connection: Connection,
    pub action: Action,
    /// A connection this one replaces, to delete once the new one is verified.
    pub replaced: Option<Connection>,
}

/// Creates the connection `name` holding `values` (for `setup` and
/// `connect` alike).
pub(crate) async fn create(
    printer: &Printer,
    target: &PlatformTarget,
    name: &str,
    values: &Values<'_>,
) -> anyhow::Result<ConnectionState> {
    let params: Vec<ConnectionParam<'_>> = target
        .mapping
        .iter()
        .map(|(value, field)| ConnectionParam {
            name: &field.name,
            reference_name: field.reference(),
            value: match value {
                ConnValue::ClientId => values.client_id,
                ConnValue::ClientSecret => values.client_secret.expose_secret(),
                ConnValue::Resource => values.resource,
                ConnValue::Tenant => values.tenant,
            },
        })
        .collect();
    let body = NewConnection {
        integration_id: &target.integration.id,
        name,
        connection_params: params,
    };
    let before: Vec<String> = target
        .integration
        .connections
        .iter()
        .map(|c| c.id.clone())
        .collect();
    let connection = match target.client.create_connection(&body).await {
        Ok(c) => c,
        Err(err) if is_ambiguous(&err) => {
            // Look before trying again: the connection may exist.
            printer.warn(
                "the platform's answer was lost; looking for the connection before anything else",
            );
            let now = target
                .client
                .get_integration(&target.integration.id)
                .await?;
            match now
                .connections
                .into_iter()
                .find(|c| c.name == name && !before.contains(&c.id))
            {
                Some(c) => c,
                None => return Err(err),
            }
        }
        Err(err) => return Err(err),
    };
    let action = if target.existing.is_some() {
        Action::Replaced
    } else {
        Action::Created
    };
    printer.step(
        "Platform connection",
        &format!(
            "\"{}\" {} (id {})",
            connection.name,
            if action == Action::Replaced {
                "replaced"
            } else {
                "created"
            },
            connection.id
        ),
    );
    Ok(ConnectionState {
        connection,
        action,
        replaced: target.existing.clone(),
    })
}
