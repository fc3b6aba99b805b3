//! Step 2: the platform half, read-only: the token works, the integration
//! exists, and the four values map onto its connection fields. Any problem
//! here stops the run before anything exists in the tenant.

use anyhow::Context as _;

use url::Url;

use crate::error::{Failure, Kind};
use crate::http::Http;
use crate::output::Printer;
use crate::platform::Platform;
use crate::platform::types::{Connection, Field, Integration};
use crate::report::{Action, ConnectionInfo};
use crate::settings::{ConnValue, PlatformSpec};

pub(crate) struct PlatformTarget {
    pub client: Platform,
    pub integration: Integration,
    /// Which field receives which value.
    pub mapping: Vec<(ConnValue, Field)>,
    /// A connection of ours found on the platform (by record id, else by name).
    pub existing: Option<Connection>,
}

impl PlatformTarget {
    /// A connection of this integration as the summary and the JSON show it.
    pub(crate) fn connection_info(&self, c: &Connection, action: Action) -> ConnectionInfo {
        ConnectionInfo {
            id: c.id.clone(),
            name: c.name.clone(),
            integration_id: self.integration.id.clone(),
            integration_name: self.integration.name.clone(),
            team: self.client.team().to_owned(),
            action,
            previous_id: None,
        }
    }
}

/// The step itself, for `setup` and `connect` alike: `recorded` is the
/// connection id the local record remembers, if any.
pub(crate) async fn check(
    http: &Http,
    printer: &Printer,
    base: &Url,
    spec: &PlatformSpec,
    recorded: Option<&str>,
) -> anyhow::Result<PlatformTarget> {
    let found = fetch(http, base, spec).await?;
    settle(found, printer, spec, recorded)
}

/// What the platform said, before anything is decided from it: the
/// integration with its fields and the connections the token may view.
pub(crate) struct Fetched {
    client: Platform,
    integration: Integration,
}

/// The step's requests, which need nothing from Microsoft's sign-in (so
/// `setup` makes them while it signs in): the integrations listed 100 at a
/// time. Each listed item is a whole `Integration` (docs/platform.md §4: its
/// `connectionParams` and its `connections`), so the integration is read
/// again by id only when the listing left its fields out.
pub(crate) async fn fetch(http: &Http, base: &Url, spec: &PlatformSpec) -> anyhow::Result<Fetched> {
    let client = Platform::new(http.clone(), base, spec.token.clone());
    let listed = find_integration(&client, &spec.integration)
        .await
        .context("checking the platform before changing anything in Azure")?;
    let integration = if listed.connection_params.is_empty() {
        client.get_integration(&listed.id).await?
    } else {
        listed
    };
    Ok(Fetched {
        client,
        integration,
    })
}

/// The rest of the step, without a request: the four values mapped onto
/// the integration's fields, and the connection of ours it has, if any.
pub(crate) fn settle(
    found: Fetched,
    printer: &Printer,
    spec: &PlatformSpec,
    recorded: Option<&str>,
) -> anyhow::Result<PlatformTarget> {
    let target = decide(found, spec, recorded)?;
    announce(printer, &target);
    Ok(target)
}

/// Says what the platform step found.
pub(crate) fn announce(printer: &Printer, target: &PlatformTarget) {
    printer.step(
        "Checked the platform",
        &format!(
            "team {}, integration \"{}\" [{}], {} fields mapped",
            target.client.team(),
            target.integration.name,
            target.integration.id,
            target.mapping.len()
        ),
    );
}

/// [`settle`] without a word (the caller says it, [`announce`], once the
/// steps before it have been said).
pub(crate) fn decide(
    found: Fetched,
    spec: &PlatformSpec,
    recorded: Option<&str>,
) -> anyhow::Result<PlatformTarget> {
    let Fetched {
        client,
        integration,
    } = found;
    let mapping = map_fields(&integration.connection_params, &spec.fields)?;
    let existing = recorded
        .and_then(|id| integration.connections.iter().find(|c| c.id == id))
        .or_else(|| {
            // Its name, or the name a rotation gave it; the newest if several.
            integration
                .connections
                .iter()
                .filter(|c| crate::platform::naming::is_ours(&c.name, &spec.connection_name))
                .max_by(|a, b| a.created_at.cmp(&b.created_at))
        })
        .cloned();
    Ok(PlatformTarget {
        client,
        integration,
        mapping,
        existing,
    })
}

fn norm(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase()
}

/// The integration by id, or by name (paging through all of them: v2.0.0
/// has no name filter, docs/platform.md §3.2).
async fn find_integration(client: &Platform, wanted: &str) -> anyhow::Result<Integration> {
    let all = client.all_integrations().await?;
    let key = norm(wanted);
    let aliases: &[&str] = if key == "azureactivedirectory" || key == "azuread" {
        &[
            "azureactivedirectory",
            "azuread",
            "microsoftentraid",
            "entraid",
        ]
    } else {
        &[]
    };
    let matches: Vec<&Integration> = all
        .iter()
        .filter(|i| {
            i.id.eq_ignore_ascii_case(wanted)
                || i.reference_name
                    .as_deref()
                    .is_some_and(|r| r.eq_ignore_ascii_case(wanted))
                || norm(&i.name) == key
                || aliases.contains(&norm(&i.name).as_str())
        })
        .collect();
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => {
            let names: Vec<&str> = all.iter().map(|i| i.name.as_str()).collect();
            Err(Failure::new(
                Kind::Failed,
                format!(
                    "the platform has no integration named \"{wanted}\" (it lists {} integrations{})",
                    all.len(),
                    if names.is_empty() { String::new() } else { format!(": {}", names.join(", ")) }
                ),
            )
            .with_hint("ask the platform to enable the Azure Active Directory integration for your team, or name it with --integration")
            .into())
        }
        several => Err(Failure::new(
            Kind::Usage,
            format!(
                "several integrations match \"{wanted}\": {}",
                several
                    .iter()
                    .map(|i| format!("{} [{}]", i.name, i.id))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
        .with_hint("name one by id with --integration")
        .into()),
    }
}

/// The names each value is known by (docs/platform.md §7.3), normalised.
fn aliases(value: ConnValue) -> &'static [&'static str] {
    match value {
        ConnValue::ClientId => &["clientid", "applicationid", "appid", "applicationclientid"],
        ConnValue::ClientSecret => &["clientsecret", "secret", "clientsecretvalue"],
        ConnValue::Resource => &["resource", "resourceuri", "resourceurl", "resourceid"],
        ConnValue::Tenant => &[
            "tenant",
            "tenantid",
            "directoryid",
            "domain",
            "directorytenantid",
        ],
    }
}

fn describe(fields: &[Field]) -> String {
    fields
        .iter()
        .map(|f| {
            format!(
                "\n    - \"{}\" (referenceName {}, {}{}){}",
                f.name,
                f.reference(),
                f.field_type.as_deref().unwrap_or("text"),
                if f.required() { ", required" } else { "" },
                f.description
                    .as_deref()
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default()
            )
        })
        .collect()
}

/// Maps clientId, clientSecret, resource and tenant onto the integration's
/// fields: `--field` first, then by alphanumeric, case-insensitive alias.
/// Unmatched, ambiguous, doubly-used or unfillable required fields are errors.
pub(crate) fn map_fields(
    fields: &[Field],
    overrides: &[(ConnValue, String)],
) -> anyhow::Result<Vec<(ConnValue, Field)>> {
    let mut mapping: Vec<(ConnValue, Field)> = Vec::new();
    for value in ConnValue::ALL {
        let chosen: Vec<&Field> = match overrides.iter().rev().find(|(v, _)| *v == value) {
            Some((_, wanted)) => fields
                .iter()
                .filter(|f| {
                    f.reference().eq_ignore_ascii_case(wanted)
                        || f.name.eq_ignore_ascii_case(wanted)
                })
                .collect(),
            None => fields
                .iter()
                .filter(|f| {
                    aliases(value).contains(&norm(f.reference()).as_str())
                        || aliases(value).contains(&norm(&f.name).as_str())
                })
                .collect(),
        };
        match chosen.as_slice() {
            [one] => mapping.push((value, (*one).clone())),
            [] => {
                return Err(Failure::new(
                    Kind::Usage,
                    format!(
                        "the integration has no field for {}; its fields are:{}",
                        value.key(),
                        describe(fields)
                    ),
                )
                .with_hint(format!(
                    "map it with --field {}=<referenceName>",
                    value.key()
                ))
                .into());
            }
            several => {
                return Err(Failure::new(
                    Kind::Usage,
                    format!(
                        "several fields of the integration could take {}:{}",
                        value.key(),
                        describe(&several.iter().map(|f| (*f).clone()).collect::<Vec<_>>())
                    ),
                )
                .with_hint(format!(
                    "choose one with --field {}=<referenceName>",
                    value.key()
                ))
                .into());
            }
        }
    }
    for (i, (a, fa)) in mapping.iter().enumerate() {
        if let Some((b, _)) = mapping[i + 1..]
            .iter()
            .find(|(_, fb)| fb.reference() == fa.reference())
        {
            return Err(Failure::new(
                Kind::Usage,
                format!(
                    "{} and {} both map to the field \"{}\"",
                    a.key(),
                    b.key(),
                    fa.name
                ),
            )
            .with_hint("separate them with --field")
            .into());
        }
    }
    let unfilled: Vec<Field> = fields
        .iter()
        .filter(|f| f.required() && !mapping.iter().any(|(_, m)| m.reference() == f.reference()))
        .cloned()
        .collect();
    if !unfilled.is_empty() {
        return Err(Failure::new(
            Kind::Failed,
            format!(
                "the integration requires fields this tool cannot fill (it knows Client ID, Client Secret, Resource and Tenant):{}",
                describe(&unfilled)
            ),
        )
        .with_hint("create the connection in the platform's Admin > Integrations instead, or report the new field to the aad-setup maintainers")
        .into());
    }
    Ok(mapping)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::types::FieldDisplay;

    fn field(name: &str, reference: &str, required: bool) -> Field {
        Field {
            name: name.into(),
            reference_name: Some(reference.into()),
            display: Some(FieldDisplay {
                value_required: required,
            }),
            ..Field::default()
        }
    }

    fn standard() -> Vec<Field> {
        vec![
            field("Client ID", "client-id", true),
            field("Client Secret", "client-secret", true),
            field("Resource", "resource", true),
            field("Tenant", "tenant", true),
        ]
    }

    #[test]
    fn the_four_values_map_by_alias() {
        let mapping = map_fields(&standard(), &[]).unwrap();
        let refs: Vec<_> = mapping
            .iter()
            .map(|(v, f)| (v.key(), f.reference().to_owned()))
            .collect();
        assert_eq!(
            refs,
            [
                ("clientId", "client-id".to_owned()),
                ("clientSecret", "client-secret".into()),
                ("resource", "resource".into()),
                ("tenant", "tenant".into())
            ]
        );
    }

    #[test]
    fn other_names_map_and_overrides_win() {
        let fields = vec![
            field("Application (client) ID", "appId", true),
            field("Secret", "secretValue", true),
            field("Resource URI", "res", false),
            field("Directory", "dir", true),
        ];
        let err = map_fields(&fields, &[]).unwrap_err();
        assert!(err.to_string().contains("no field for tenant"), "{err}");
        let mapping = map_fields(
            &fields,
            &[
                (ConnValue::Tenant, "dir".into()),
                (ConnValue::ClientId, "appId".into()),
            ],
        )
        .unwrap();
        assert_eq!(mapping.len(), 4);
    }

    #[test]
    fn an_extra_required_field_is_refused() {
        let mut fields = standard();
        fields.push(field("Subscription", "subscription-id", true));
        let err = map_fields(&fields, &[]).unwrap_err();
        assert!(err.to_string().contains("Subscription"), "{err}");
        // An optional extra is fine.
        let mut fields = standard();
        fields.push(field("Notes", "notes", false));
        assert!(map_fields(&fields, &[]).is_ok());
    }
}
