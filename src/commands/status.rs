//! `aad-setup status`: the health of an existing setup, read-only. Each
//! check says what it found; the exit code is 1 when something is wrong or
//! the secret expires within `--warn-within`.

use crate::cli::StatusArgs;
use crate::error::{Failure, Kind};
use crate::guide;
use crate::output::Interaction;
use crate::output::Printer;
use crate::report::{Check, StatusReport};
use crate::settings;
use crate::steps::{create_secret, platform_preflight, register_app, resolve_permission, sign_in};

pub(crate) async fn run(
    args: &StatusArgs,
    interaction: &Interaction,
    printer: &Printer,
) -> anyhow::Result<()> {
    let plan = settings::plan(&args.as_setup(), interaction)?;
    let warn_limit = warn_limit(&args.warn_within)?;
    let (ctx, graph, session) = sign_in::begin(&plan, printer, &[]).await?;
    let mut checks = Vec::new();
    let mut check = |name, ok, detail: String| checks.push(Check { name, ok, detail });

    let target = platform_preflight::run(&ctx).await?;
    let perm = resolve_permission::run(&ctx, &graph).await?;
    let Some((app, untagged)) =
        register_app::locate(&ctx, &graph, register_app::Existing::Reconciled).await?
    else {
        check(
            "app registration",
            false,
            format!(
                "no app named \"{}\" made by aad-setup; run `aad-setup setup`",
                plan.app.name
            ),
        );
        return finish(printer, &session.tenant_id, checks);
    };
    check(
        "app registration",
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
    );
    check(
        "single tenant",
        app.sign_in_audience.as_deref() == Some(guide::SIGN_IN_AUDIENCE),
        format!(
            "sign-in audience {}",
            app.sign_in_audience.as_deref().unwrap_or("unset")
        ),
    );
    check(
        "redirect URI",
        app.redirect_uris().contains(&plan.app.redirect_uri),
        format!("Web redirect URIs: {}", app.redirect_uris().join(", ")),
    );
    let has_permission = app.required_resource_access.iter().any(|r| {
        r.resource_app_id.eq_ignore_ascii_case(&perm.api_app_id)
            && r.resource_access
                .iter()
                .any(|a| a.id.eq_ignore_ascii_case(&perm.permission_id))
    });
    check(
        "permission",
        has_permission,
        format!("{} / {} (delegated)", perm.api_name, perm.value),
    );
    let sp = graph
        .find_service_principal(&app.app_id, "id,appId")
        .await?;
    check(
        "service principal",
        sp.is_some(),
        sp.as_ref().map_or(
            "missing: the app cannot sign in (AADSTS7000229); run `aad-setup setup`".into(),
            |s| s.id.clone(),
        ),
    );
    if let Some(sp) = &sp {
        let grants = graph.list_grants(&sp.id).await?;
        let consented = grants.iter().any(|g| {
            g.resource_id == perm.api_sp_id
                && g.consent_type == "AllPrincipals"
                && g.scope
                    .split_whitespace()
                    .any(|s| s.eq_ignore_ascii_case(&perm.value))
        });
        // Consent is optional (the admin may grant it on the platform's Connect).
        check(
            "admin consent",
            true,
            if consented {
                "granted for all users".into()
            } else {
                "not granted (optional: --admin-consent or the portal)".into()
            },
        );
    }
    // The secret the connection holds, when the record or the app's tag
    // names it for that connection; else the newest of the description.
    let named = target
        .existing
        .as_ref()
        .and_then(|c| create_secret::named_for(&app, &ctx.record, &c.id));
    match create_secret::current(&app, &plan.secret.description, named).map(|c| c.credential) {
        Some(secret) => {
            let end = secret.end();
            let soon = end.is_some_and(|end| end <= warn_limit);
            check(
                "client secret",
                !soon,
                format!(
                    "\"{}\" expires {}{}",
                    plan.secret.description,
                    secret.end_date_time.as_deref().unwrap_or("never"),
                    if soon {
                        format!(" — within {}: run `aad-setup rotate`", args.warn_within)
                    } else {
                        String::new()
                    }
                ),
            );
        }
        None => check(
            "client secret",
            false,
            format!(
                "no unexpired secret \"{}\"; run `aad-setup rotate`",
                plan.secret.description
            ),
        ),
    }
    check(
        "platform connection",
        target.existing.is_some(),
        match &target.existing {
            Some(c) => format!("\"{}\" ({}) on team {}", c.name, c.id, target.client.team()),
            None => format!(
                "no connection \"{}\" on team {}; run `aad-setup setup`",
                plan.platform()?.connection_name,
                target.client.team()
            ),
        },
    );
    finish(printer, &session.tenant_id, checks)
}

/// Now plus `--warn-within`.
fn warn_limit(value: &str) -> anyhow::Result<jiff::Timestamp> {
    let span: jiff::Span = value.parse().map_err(|_| {
        crate::error::usage(format!(
            "--warn-within '{value}' is not a duration (e.g. 30d, 2 weeks)"
        ))
    })?;
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .checked_add(span)
        .map(|z| z.timestamp())
        .map_err(|e| crate::error::usage(format!("--warn-within: {e}")))
}

fn finish(printer: &Printer, tenant_id: &str, checks: Vec<Check>) -> anyhow::Result<()> {
    let healthy = checks.iter().all(|c| c.ok);
    let report = StatusReport {
        healthy,
        tenant_id: tenant_id.to_owned(),
        checks,
    };
    printer.result(&report);
    if healthy {
        Ok(())
    } else {
        let failed: Vec<&str> = report
            .checks
            .iter()
            .filter(|c| !c.ok)
            .map(|c| c.name)
            .collect();
        Err(Failure::new(
            Kind::Failed,
            format!("the setup needs attention: {}", failed.join(", ")),
        )
        .into())
    }
}
