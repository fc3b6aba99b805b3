//! Steps 3 to 7's questions, the same in both paths but for what being
//! signed in lets the wizard read: the app, the permission, the secret and
//! its renewal under the tenant's policy, admin consent, the connection.

use crate::auth::{self, GRANT_CONSENT, Session};
use crate::graph::Graph;
use crate::settings::Flag;
use crate::settings::{ApiRef, Inputs, Source};
use crate::steps::{create_secret, credential_policy};
use crate::validate;

use super::Wizard;

impl Wizard<'_> {
    /// Step 3.
    pub(super) async fn app_registration(&mut self) -> anyhow::Result<()> {
        self.heading(3, "Register the app");
        self.detail(
            "The platform signs in to your directory as an app registration of its own. \
             aad-setup registers it, with the service principal the portal makes alongside.",
        );
        self.place(
            "Azure portal",
            "Microsoft Entra ID > App registrations > New registration",
        );
        if let Some(app_id) = &self.inputs.app_id {
            crate::prompt::shown(
                self.printer,
                "Existing app",
                app_id,
                &source_or(&self.inputs, Flag::AppId),
            );
        }
        let (name, redirect_uri) = (
            self.inputs.app_name.clone(),
            self.inputs.redirect_uri.clone(),
        );
        self.inputs.app_name = self
            .value(Flag::AppName, "Name", &name, |v| {
                validate::name("the app name", v)
            })
            .await?;
        if self.explain {
            crate::prompt::shown(
                self.printer,
                "Supported account types",
                "this organizational directory only (single tenant)",
                "the guide",
            );
        }
        self.inputs.redirect_uri = self
            .value(
                Flag::RedirectUri,
                "Redirect URI (type Web)",
                &redirect_uri,
                validate::redirect_uri,
            )
            .await?;
        self.detail(
            "An app of this name that aad-setup made is reused and brought in line with the \
             guide; one it did not make is never changed without --adopt.",
        );
        Ok(())
    }

    /// Step 4: nothing to ask, only to explain.
    pub(super) fn api_permission(&self) {
        self.heading(4, "Add the API permission");
        self.detail(
            "The platform works on your directory through Microsoft Graph with a delegated \
             permission: it acts as the admin who selects Connect on the platform, and only \
             within what that admin may do.",
        );
        self.place(
            "Azure portal",
            "the app > API permissions > Add a permission > Microsoft Graph > Delegated permissions",
        );
        let app = &self.inputs;
        let (api, permission) = (source_or(app, Flag::Api), source_or(app, Flag::Permission));
        if self.explain {
            crate::prompt::shown(self.printer, "API", &app.api, &api);
            crate::prompt::shown(
                self.printer,
                "Permission",
                &format!("{} (delegated)", app.permission),
                &permission,
            );
        } else {
            // One line: the API and its permission.
            let sources = if api == permission {
                api
            } else {
                format!("API {api}; permission {permission}")
            };
            crate::prompt::shown(
                self.printer,
                "Permission",
                &format!("{} (delegated) of {}", app.permission, app.api),
                &sources,
            );
        }
        self.detail(
            "The guide says to pick \"Dynamics\": Dynamics CRM no longer offers \
             Directory.ReadWrite.All, which is a Microsoft Graph permission. --api and \
             --permission choose otherwise.",
        );
    }

    /// Step 5.
    pub(super) async fn client_secret(&mut self) -> anyhow::Result<()> {
        self.heading(5, "Create the client secret");
        self.detail(
            "The platform proves it is the app with a client secret. aad-setup creates it and \
             hands it straight to the platform: it is not shown or saved (unless you ask, with \
             --show-secret or --secret-file).",
        );
        self.place(
            "Azure portal",
            "the app > Certificates & secrets > Client secrets > New client secret",
        );
        let (description, expiry) = (
            self.inputs.secret_description.clone(),
            self.inputs.secret_expiry.clone(),
        );
        self.inputs.secret_description = self
            .value(Flag::SecretDescription, "Description", &description, |v| {
                validate::name("the description", v)
            })
            .await?;
        if self.inputs.given(Flag::SecretExpiry).is_none() {
            self.detail(
                "When it expires: the guide says Never, which the portal removed in 2021 (it \
                 meant 99 years), and tenant policies may refuse long lifetimes. 24 months is the \
                 portal's longest choice; a duration (18 months, 1y, 90d) or a date (2027-11-29) \
                 works too, and `never` is still accepted, as 99 years.",
            );
        }
        self.inputs.secret_expiry = self
            .value(Flag::SecretExpiry, "Expires", &expiry, check_expiry)
            .await?;
        Ok(())
    }

    /// Step 5, signed in: a secret of the app this tool made that expires
    /// soon is offered for renewal (a new secret and connection); the
    /// tenant's credential policy, when it may be read, is shown with its
    /// limit, and an expiry beyond it is asked again.
    pub(super) async fn renewal_and_policy(&mut self, graph: &Graph) -> anyhow::Result<()> {
        let (apps, policy) = tokio::join!(
            graph.find_applications_by_name(&self.inputs.app_name),
            graph.default_app_management_policy()
        );
        let now = graph.clock().now();
        let ours = apps
            .unwrap_or_default()
            .into_iter()
            .find(|a| a.tags.iter().any(|t| t == crate::guide::APP_TAG));
        let soon = ours.as_ref().and_then(|app| {
            let held = create_secret::current(app, &self.inputs.secret_description, None)?;
            let end = held.credential.end_date_time.clone()?;
            let days = crate::report::days_left_at(&end, now)?;
            (days <= RENEW_WITHIN_DAYS).then_some(end)
        });
        if let (Some(end), false) = (soon, self.inputs.rotate) {
            let question = format!(
                "The client secret \"{}\" expires {}. Make a new one now (and a new connection holding it)?",
                self.inputs.secret_description,
                crate::report::when_at(&end, now)
            );
            if self.prompts.confirm(&question, true).await? {
                self.inputs.rotate = true;
            }
        }
        let created = ours
            .as_ref()
            .and_then(|a| a.created_date_time.as_deref())
            .and_then(|c| c.parse().ok())
            .unwrap_or(now);
        let Some(policy) = policy
            .ok()
            .and_then(|p| credential_policy::effective(&p, &[], created))
        else {
            return Ok(());
        };
        crate::prompt::say(
            self.printer,
            &format!("{}.", upper_first(&credential_policy::describe(&policy))),
        );
        let Some(days) = policy.max_days.filter(|_| !policy.blocks_secrets) else {
            return Ok(());
        };
        let within = move |v: &str| {
            let now = jiff::Timestamp::now();
            let at = validate::expiry(v, now)?;
            // A minute's room: the expiry is rounded to the second.
            let latest = now + jiff::SignedDuration::from_hours(24 * days);
            if at.timestamp() > latest + jiff::SignedDuration::from_secs(60) {
                return Err(format!(
                    "the tenant's policy allows at most {days} days ({days}d)"
                ));
            }
            Ok(v.trim().to_owned())
        };
        let current = self.inputs.secret_expiry.clone();
        let beyond = within(&current).is_err();
        if beyond && self.inputs.given(Flag::SecretExpiry).is_none() {
            self.inputs.secret_expiry = self
                .prompts
                .text("Expires", Some(&format!("{days}d")), within)
                .await?;
            self.inputs.answer(Flag::SecretExpiry);
        }
        Ok(())
    }

    /// Step 6: offered when this sign-in may grant it.
    pub(super) async fn admin_consent(&mut self, session: &Session) -> anyhow::Result<()> {
        self.heading(6, "Admin consent");
        self.detail(&format!(
            "{} needs an administrator's consent before anyone can use it. Granting it now \
             consents for everyone in the directory (a tenant-wide delegated grant); otherwise an \
             admin consents when selecting Connect on the platform, or in the portal later.",
            self.inputs.permission
        ));
        self.place(
            "Azure portal",
            "the app > API permissions > Grant admin consent for your directory",
        );
        if let Some(source) = self
            .inputs
            .given(Flag::AdminConsent)
            .filter(|_| self.inputs.admin_consent)
        {
            crate::prompt::shown(
                self.printer,
                "Admin consent",
                "grant it",
                &format!("from {source}"),
            );
        } else if let Some(grant) = self.consent_first {
            crate::prompt::shown(
                self.printer,
                "Admin consent",
                if grant { "grant it" } else { "not now" },
                "as answered before signing in",
            );
        } else if auth::require(session, &[GRANT_CONSENT]).is_err() {
            crate::prompt::say(
                self.printer,
                "This sign-in may not grant consent (it lacks \
                 DelegatedPermissionGrant.ReadWrite.All), so the summary says where to grant it. \
                 (Signing in as yourself, run again with --admin-consent to ask for that \
                 right.)",
            );
        } else {
            self.inputs.admin_consent = self
                .prompts
                .confirm("Grant tenant-wide admin consent now?", false)
                .await?;
            self.inputs.answer(Flag::AdminConsent);
        }
        Ok(())
    }

    /// Step 7, the same in both paths. Signed in (`directory`), the Resource of
    /// an API other than Microsoft Graph is offered as the plan would derive
    /// it: the App ID URI among its service principal's names.
    pub(super) async fn connection(&mut self, directory: Option<&Graph>) -> anyhow::Result<()> {
        self.heading(7, "Create the platform connection");
        self.detail(
            "Last, your team's Azure Active Directory connection on the platform, with the app's \
             Client ID, Client Secret, Resource and Tenant: aad-setup fills in all four.",
        );
        self.place(
            "Platform",
            "Admin > Integrations > Azure Active Directory > Add this Connection",
        );
        let name = self.inputs.connection_name.clone();
        self.inputs.connection_name = self
            .value(Flag::ConnectionName, "Connection name", &name, |v| {
                validate::name("the connection name", v)
            })
            .await?;
        let graph = ApiRef::parse(&self.inputs.api).is_graph();
        match &self.inputs.resource {
            Some(resource) => crate::prompt::shown(
                self.printer,
                "Resource",
                resource,
                &source_or(&self.inputs, Flag::Resource),
            ),
            None if graph => {
                let host = self.endpoints.cloud.graph;
                crate::prompt::shown(self.printer, "Resource", host, "Microsoft Graph's address");
                self.detail(
                    "Resource is the address of the API the platform calls with the app (the \
                     guide gives no value): the one the permission belongs to. --resource \
                     changes it.",
                );
            }
            None => {
                // Another API: its App ID URI, read from the directory when
                // signed in (else, or if it cannot be read, asked blank: the
                // plan then says what is wrong with the API).
                let derived = match directory {
                    Some(directory) => api_uri(directory, &self.inputs.api).await,
                    None => None,
                };
                let offered = derived.clone();
                let resource = self
                    .prompts
                    .text(
                        &format!("Resource (the App ID URI of {})", self.inputs.api),
                        derived.as_deref(),
                        move |v| match &offered {
                            // What the plan derives (an appId, for an API
                            // whose principal names no URI, is one).
                            Some(d) if v.trim() == d => Ok(d.clone()),
                            _ => check_resource(v),
                        },
                    )
                    .await?;
                if derived.as_deref() != Some(resource.as_str()) {
                    self.inputs.resource = Some(resource);
                    self.inputs.answer(Flag::Resource);
                }
            }
        }
        Ok(())
    }
}

/// "from --api", "from AAD_SETUP_API", or "the guide" for a default.
fn source_or(inputs: &Inputs, flag: Flag) -> String {
    match inputs.source(flag) {
        Some(Source::Default) | None => "the guide".to_owned(),
        Some(source) => format!("from {source}"),
    }
}

/// The App ID URI of `api` (a name or an appId) in the signed-in
/// directory, as setup derives the connection's Resource; `None` when its
/// service principal cannot be read or named uniquely.
async fn api_uri(graph: &Graph, api: &str) -> Option<String> {
    const SELECT: &str = "id,appId,servicePrincipalNames";
    let sp = match ApiRef::parse(api) {
        ApiRef::AppId(id) => graph.find_service_principal(&id, SELECT).await.ok()?,
        ApiRef::Name(name) => {
            let mut found = graph
                .find_service_principals_by_name(&name, SELECT)
                .await
                .ok()?;
            if found.len() == 1 { found.pop() } else { None }
        }
    }?;
    Some(crate::steps::resolve_permission::app_id_uri(&sp))
}

/// A secret that expires within this many days is offered for renewal.
const RENEW_WITHIN_DAYS: i64 = 30;

fn upper_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().collect::<String>() + chars.as_str()
    })
}

fn check_expiry(value: &str) -> Result<String, String> {
    validate::expiry(value, jiff::Timestamp::now()).map(|_| value.trim().to_owned())
}

fn check_resource(value: &str) -> Result<String, String> {
    // What --resource takes: an answer the plan would refuse is asked again.
    validate::resource(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_answers_are_checked_and_kept_as_typed() {
        assert_eq!(check_expiry(" 18mo ").unwrap(), "18mo");
        assert!(check_expiry("soon").unwrap_err().contains("not understood"));
    }
}
