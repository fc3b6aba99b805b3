//! `aad-setup status`: the health of an existing setup, read-only. Each
//! check says what it found; the exit code is 6 (needs attention) when
//! something is wrong or the secret expires within `--warn-within`.

use crate::error::{Failure, Kind};
use crate::graph::graph_error;
use crate::graph::types::Application;
use crate::guide;
use crate::output::Printer;
use crate::report::{
    Check, CheckCode, CheckResult, ConsentState, Health, Links, RotationInfo, RotationState,
    StatusReport, days_left_at, portal_link, when_at,
};
use crate::settings::{self, StatusSettings};
use crate::steps::resolve_permission::ResolvedPermission;
use crate::steps::{
    create_secret, credential_policy, platform_preflight, register_app, renewal,
    resolve_permission, sign_in,
};

pub(super) async fn run(settings: &StatusSettings, printer: &Printer) -> anyhow::Result<()> {
    let StatusSettings { plan, warn_within } = settings;
    let warn_limit = warn_limit(warn_within, jiff::Timestamp::now())?;
    // The platform is read while signing in; then the directory's name, the
    // permission and the app (with its service principal, on a re-run) are
    // read together. Failures are reported in the documented order: a
    // token Graph refuses first, then the platform, the permission, the app.
    let http = crate::http::Http::new(&plan.http)?;
    let spec = plan.platform()?;
    let (signed_in, fetched) = tokio::join!(
        sign_in::begin(http.clone(), plan, printer, &[]),
        platform_preflight::fetch(&http, &plan.endpoints.platform, spec)
    );
    let (ctx, graph, mut session) = signed_in?;
    let mut checks = Vec::new();
    let recorded_app = ctx.record.app_object_id.as_deref();
    let (directory, perm, found, policy) = tokio::join!(
        sign_in::directory(&graph, &session),
        resolve_permission::look_up(&ctx, &graph),
        register_app::look(&ctx, &graph, register_app::Existing::Reconciled),
        credential_policy::read(&graph, recorded_app.is_some(), true)
    );
    session.directory = directory?;
    let recorded = ctx.record.connection_id.as_deref();
    let target = platform_preflight::settle(fetched?, printer, spec, recorded)?;
    let perm = perm?;
    resolve_permission::announce(printer, &perm);
    let mut links = Links {
        azure_portal: None,
        platform: Some(format!("https://{}", target.client.team())),
    };
    let (app, sp_read) = found?.into_parts();
    let Some((app, untagged)) = app else {
        checks.push(Check::new(
            CheckCode::AppRegistration,
            false,
            format!(
                "no app named \"{}\" made by aad-setup; run `aad-setup setup`",
                plan.app.name
            ),
        ));
        return finish(printer, &session, checks, links, None, None);
    };
    // The credential policy that applies to the app's secrets.
    let policy = credential_policy::settle(&graph, policy, Some(&app))
        .await
        .and_then(|known| known.policy());
    if let Some(p) = &policy {
        credential_policy::announce(printer, p);
    }
    links.azure_portal = Some(portal_link(&app.app_id));
    app_checks(&mut checks, &app, untagged, plan, &perm);
    checks.extend(principal_and_consent(&graph, &session, &app, sp_read, &perm).await?);
    // The secret the connection holds, when the record or the app's tag
    // names it for that connection; else the newest of the description.
    let named = target
        .existing
        .as_ref()
        .and_then(|c| create_secret::named_for(&app, &ctx.record, &c.id));
    let held = create_secret::current(&app, &plan.secret.description, named).map(|c| c.credential);
    let end = held.as_ref().map(|s| (s.end(), s.end_date_time.clone()));
    // On the directory's clock, now that Graph has answered.
    let now = graph.clock().now();
    let warn_limit = self::warn_limit(warn_within, now).unwrap_or(warn_limit);
    checks.push(secret_check(
        &plan.secret.description,
        end,
        warn_limit,
        warn_within,
        now,
    ));
    checks.extend(policy.as_ref().map(policy_check));
    let rotation = rotation_in_progress(&app, &target, held, now);
    if let Some((check, _)) = &rotation {
        checks.push(check.clone());
    }
    checks.push(Check::new(
        CheckCode::PlatformConnection,
        target.existing.is_some(),
        match &target.existing {
            Some(c) => format!("\"{}\" ({}) on team {}", c.name, c.id, target.client.team()),
            None => format!(
                "no connection \"{}\" on team {}; run `aad-setup setup`",
                plan.platform()?.connection_name,
                target.client.team()
            ),
        },
    ));
    finish(
        printer,
        &session,
        checks,
        links,
        rotation.map(|(_, r)| r),
        policy,
    )
}

/// The credential policy that applies to the app's secrets: worth
/// knowing, and a problem only when it blocks secrets.
fn policy_check(policy: &crate::report::PolicyInfo) -> Check {
    let mut check = Check::new(
        CheckCode::CredentialPolicy,
        !policy.blocks_secrets,
        format!("{}: {}", credential_policy::describe(policy), policy.id),
    );
    if !policy.blocks_secrets {
        check.result = CheckResult::Info;
    }
    check
}

/// The app's service principal, and admin consent on it. Reading grants
/// needs Directory.Read.All (or a grant permission), which
/// Application.ReadWrite.All alone lacks (docs/graph.md §2.9): then
/// consent is unknown, and the check says which permission would read it.
async fn principal_and_consent(
    graph: &crate::graph::Graph,
    session: &crate::auth::Session,
    app: &Application,
    sp_read: Option<register_app::SpRead>,
    perm: &ResolvedPermission,
) -> anyhow::Result<[Check; 2]> {
    let sp = match sp_read {
        Some(sp) => sp?,
        None => {
            graph
                .find_service_principal(&app.app_id, "id,appId,tags")
                .await?
        }
    };
    let principal = service_principal_check(sp.as_ref());
    let grants = match &sp {
        Some(sp) => match graph.list_grants(&sp.id).await {
            Ok(grants) => Some(Ok(grants)),
            Err(err) if graph_error(&err).is_some_and(|e| e.is_denied()) => Some(Err(err)),
            Err(err) => return Err(err),
        },
        None => None,
    };
    let consent = match grants {
        Some(Ok(grants)) => consent_check(Some(grants.iter().any(|g| {
            g.resource_id == perm.api_sp_id
                && g.consent_type == "AllPrincipals"
                && g.scope
                    .split_whitespace()
                    .any(|s| s.eq_ignore_ascii_case(&perm.value))
        }))),
        Some(Err(_)) => unreadable_consent_check(&session.identity),
        None => consent_check(None),
    };
    Ok([principal, consent])
}

/// The app's service principal: present, and listed under Enterprise
/// applications (its `WindowsAzureActiveDirectoryIntegratedApp` tag).
fn service_principal_check(sp: Option<&crate::graph::types::ServicePrincipal>) -> Check {
    let listed = sp.is_some_and(crate::steps::enterprise_tag::has);
    Check::new(
CheckCode::ServicePrincipal, listed,
        sp.map_or(
            "missing: the app cannot sign in (AADSTS7000229); run `aad-setup setup`".into(),
            |s| {
                if listed {
                    s.id.clone()
                } else {
                    format!(
                        "{}: not listed under Enterprise applications (no {} tag); run `aad-setup setup` as an identity that may change it",
                        s.id,
                        crate::steps::enterprise_tag::TAG
                    )
                }
            },
        ),
    )
}

/// A rotation made with `rotate --keep-previous` and not finished: a check
/// that needs attention (the platform admin has something to do), and both
/// sides for the report.
fn rotation_in_progress(
    app: &Application,
    target: &platform_preflight::PlatformTarget,
    held: Option<&crate::graph::types::PasswordCredential>,
    now: jiff::Timestamp,
) -> Option<(Check, RotationInfo)> {
    let previous = renewal::in_progress(app, &target.integration.connections)
        .into_iter()
        .next()?;
    let current = target
        .existing
        .as_ref()
        .filter(|c| c.id != previous.connection_id)
        .map(|c| {
            (
                c.id.as_str(),
                c.name.as_str(),
                held.map(|h| h.key_id.as_str()),
                held.and_then(|h| h.end_date_time.as_deref()),
            )
        });
    let team = target.client.team();
    let info = renewal::info(&previous, current, RotationState::InProgress, team, now);
    let name = previous
        .connection
        .as_ref()
        .map_or(previous.connection_id.as_str(), |c| c.name.as_str());
    let ends = previous
        .expires
        .as_deref()
        .map_or("unknown".into(), |e| when_at(e, now));
    let detail = if previous.connection.is_none() {
        format!(
            "in progress: the previous connection {} is gone from the platform; the next `aad-setup rotate` removes its secret",
            previous.connection_id
        )
    } else if previous.expired(now) {
        format!(
            "in progress: the previous connection \"{name}\" holds a secret that expired {ends}; the next `aad-setup rotate` deletes it"
        )
    } else {
        format!(
            "in progress: the previous connection \"{name}\" and its secret (expires {ends}) still work beside the new one; once the platform admin has connected the new one, run `aad-setup rotate --finish`"
        )
    };
    let mut check = Check::new(CheckCode::Rotation, false, detail);
    check.expires_at = previous.expires.clone();
    check.days_left = previous
        .expires
        .as_deref()
        .and_then(|e| days_left_at(e, now));
    Some((check, info))
}

/// What the app registration itself should be.
fn app_checks(
    checks: &mut Vec<Check>,
    app: &Application,
    untagged: bool,
    plan: &settings::Plan,
    perm: &ResolvedPermission,
) {
    checks.push(Check::new(
        CheckCode::AppRegistration,
        !untagged,
        format!(
            "{} (client id {}){}",
            app.display_name,
            app.app_id,
            if untagged {
                ", not tagged as made by aad-setup"
            } else {
                ""
            }
        ),
    ));
    checks.push(Check::new(
        CheckCode::SingleTenant,
        app.sign_in_audience.as_deref() == Some(guide::SIGN_IN_AUDIENCE),
        format!(
            "sign-in audience {}",
            app.sign_in_audience.as_deref().unwrap_or("unset")
        ),
    ));
    checks.push(Check::new(
        CheckCode::RedirectUri,
        app.redirect_uris().contains(&plan.app.redirect_uri),
        format!("Web redirect URIs: {}", app.redirect_uris().join(", ")),
    ));
    let has_permission = app.required_resource_access.iter().any(|r| {
        r.resource_app_id.eq_ignore_ascii_case(&perm.api_app_id)
            && r.resource_access
                .iter()
                .any(|a| a.id.eq_ignore_ascii_case(&perm.permission_id))
    });
    checks.push(Check::new(
        CheckCode::Permission,
        has_permission,
        format!("{} / {} (delegated)", perm.api_name, perm.value),
    ));
}

/// Consent is optional (the admin may grant it on the platform's Connect):
/// not granted is worth knowing, not a problem.
fn consent_check(consented: Option<bool>) -> Check {
    let (state, detail) = match consented {
        Some(true) => (ConsentState::Granted, "granted for all users"),
        Some(false) => (
            ConsentState::NotGranted,
            "not granted (optional: --admin-consent or the portal)",
        ),
        None => (
            ConsentState::Unknown,
            "unknown: the app has no service principal",
        ),
    };
    let mut check = Check::new(CheckCode::AdminConsent, true, detail);
    if state != ConsentState::Granted {
        check.result = CheckResult::Info;
    }
    check.consent = Some(state);
    check
}

/// Consent the identity may not read: unknown, naming the permission that
/// would read it; never a failure.
fn unreadable_consent_check(identity: &str) -> Check {
    let mut check = Check::new(
        CheckCode::AdminConsent,
        true,
        format!(
            "unknown: reading delegated permission grants needs Directory.Read.All (or DelegatedPermissionGrant.ReadWrite.All), which {identity} lacks"
        ),
    );
    check.result = CheckResult::Info;
    check.consent = Some(ConsentState::Unknown);
    check
}

/// The secret the connection holds: `end` is when it expires (parsed, and
/// as Graph wrote it), `None` when there is no unexpired one.
fn secret_check(
    description: &str,
    end: Option<(Option<jiff::Timestamp>, Option<String>)>,
    warn_limit: jiff::Timestamp,
    warn_within: &str,
    now: jiff::Timestamp,
) -> Check {
    let Some((end, iso)) = end else {
        return Check::new(
            CheckCode::ClientSecret,
            false,
            format!("no unexpired secret \"{description}\"; run `aad-setup rotate`"),
        );
    };
    let soon = end.is_some_and(|end| end <= warn_limit);
    let mut check = Check::new(
        CheckCode::ClientSecret,
        !soon,
        format!(
            "\"{description}\" expires {}{}",
            iso.as_deref().map_or("never".into(), |e| when_at(e, now)),
            if soon {
                format!(" — within {warn_within}: run `aad-setup rotate`")
            } else {
                String::new()
            }
        ),
    );
    check.expires_at = end.map(|t| t.to_string());
    check.days_left = check
        .expires_at
        .as_deref()
        .and_then(|e| days_left_at(e, now));
    check
}

/// Now plus `--warn-within`.
fn warn_limit(value: &str, now: jiff::Timestamp) -> anyhow::Result<jiff::Timestamp> {
    let span: jiff::Span = value.parse().map_err(|_| {
        crate::error::usage(format!(
            "--warn-within '{value}' is not a duration (e.g. 30d, 2 weeks)"
        ))
    })?;
    now.to_zoned(jiff::tz::TimeZone::UTC)
        .checked_add(span)
        .map(|z| z.timestamp())
        .map_err(|e| crate::error::usage(format!("--warn-within: {e}")))
}

fn finish(
    printer: &Printer,
    session: &crate::auth::Session,
    checks: Vec<Check>,
    links: Links,
    rotation: Option<RotationInfo>,
    policy: Option<crate::report::PolicyInfo>,
) -> anyhow::Result<()> {
    let healthy = checks.iter().all(|c| c.ok);
    let report = StatusReport {
        status: if healthy {
            Health::Healthy
        } else {
            Health::NeedsAttention
        },
        healthy,
        tenant_id: session.tenant_id.clone(),
        tenant_name: session.directory.as_ref().map(|d| d.display_name.clone()),
        tenant_default_domain: session
            .directory
            .as_ref()
            .and_then(|d| d.default_domain.clone()),
        checks,
        links: Some(links),
        rotation,
        policy,
    };
    printer.result(&report);
    if healthy {
        return Ok(());
    }
    let failed: Vec<&str> = report
        .checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| c.name)
        .collect();
    Err(Failure::new(
        Kind::NeedsAttention,
        format!("The setup needs attention: {}.", failed.join(", ")),
    )
    .into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consent_the_identity_cannot_read_is_unknown_and_names_the_permission() {
        let check = unreadable_consent_check("app 1234");
        assert!(check.ok);
        assert_eq!(check.result, CheckResult::Info);
        assert_eq!(check.consent, Some(ConsentState::Unknown));
        assert!(
            check.detail.contains("Directory.Read.All"),
            "{}",
            check.detail
        );
        assert!(check.detail.contains("app 1234"), "{}", check.detail);
    }

    #[test]
    fn consent_is_three_states_and_never_a_failure() {
        let granted = consent_check(Some(true));
        assert_eq!(granted.consent, Some(ConsentState::Granted));
        assert_eq!(granted.result, CheckResult::Ok);
        let not = consent_check(Some(false));
        assert_eq!(not.consent, Some(ConsentState::NotGranted));
        assert_eq!(not.result, CheckResult::Info, "no tick for not granted");
        assert!(not.ok);
        let unknown = consent_check(None);
        assert_eq!(unknown.consent, Some(ConsentState::Unknown));
        assert_eq!(unknown.result, CheckResult::Info);
    }

    #[test]
    fn the_secret_check_has_its_expiry_and_days_left() {
        let now = jiff::Timestamp::now();
        let end = now + jiff::SignedDuration::from_hours(24 * 10 + 1);
        let limit = now + jiff::SignedDuration::from_hours(24 * 30);
        let soon = secret_check(
            "d",
            Some((Some(end), Some(end.to_string()))),
            limit,
            "30d",
            now,
        );
        assert_eq!(soon.result, CheckResult::Attention);
        assert_eq!(soon.expires_at, Some(end.to_string()));
        assert_eq!(soon.days_left, Some(10));
        assert!(soon.detail.contains("within 30d"), "{}", soon.detail);
        let later = secret_check(
            "d",
            Some((Some(end), Some(end.to_string()))),
            now,
            "0d",
            now,
        );
        assert_eq!(later.result, CheckResult::Ok);
        let none = secret_check("d", None, limit, "30d", now);
        assert_eq!(none.result, CheckResult::Attention);
        assert_eq!(none.days_left, None);
    }
}
