//! Step 7: the platform connection (Admin > Integrations > Azure Active
//! Directory > Add this Connection), with Client ID, Client Secret, Resource
//! and Tenant.
//!
//! The platform has no update: a connection holding an old secret is
//! replaced by creating the new one first and deleting the old one after
//! (docs/platform.md §6). Whether the platform accepts two connections of
//! one name is unknown (§7 item 6), so the new one gets a name of its own
//! while the old one exists ([`replacement_name`]); connections are then
//! found by the id the tool recorded, or by either name. The create is
//! never retried blindly: after a lost answer the connection is looked for
//! by its name, which no other connection has.

use secrecy::{ExposeSecret as _, SecretString};

use crate::output::Printer;
use crate::platform::types::{Connection, ConnectionParam, NewConnection};
use crate::report::Action;
use crate::settings::ConnValue;

use super::ctx::is_ambiguous;
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

/// Is `name` the connection name `base`, or one a rotation gave it? (The
/// rule is [`crate::platform::naming`]'s; re-exported for the callers that
/// name it here.)
use crate::platform::naming::replacement_name;

/// Creates the connection `name` holding `values` (for `setup` and
/// `connect` alike); while another connection has that name, the new one
/// gets a [`replacement_name`].
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
    let name = &replacement_name(name, &target.integration.connections);
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
    let mut sent = 0;
    let connection = loop {
        sent += 1;
        match target.client.create_connection(&body).await {
            Ok(c) => break c,
            Err(err) if is_ambiguous(&err) || (sent > 1 && is_duplicate_name(&err)) => {
                // Look before trying again: the connection may exist.
                printer.warn(
                    "the platform's answer was lost; looking for the connection before anything else",
                );
                let now = target
                    .client
                    .get_integration(&target.integration.id)
                    .await?;
                if let Some(c) = now
                    .connections
                    .into_iter()
                    .find(|c| c.name == *name && !before.contains(&c.id))
                {
                    break c;
                }
                if sent >= 3 {
                    return Err(err);
                }
            }
            Err(err) => return Err(err),
        }
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

/// The platform's 400 for a name another connection has (after a lost
/// answer, the first attempt's own connection).
fn is_duplicate_name(err: &anyhow::Error) -> bool {
    crate::platform::platform_error(err).is_some_and(|p| {
        p.status == reqwest::StatusCode::BAD_REQUEST
            && p.detail
                .as_deref()
                .is_some_and(|d| d.contains("already exists"))
    })
}
