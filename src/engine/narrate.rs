//! What a look found, said as what a real run would change and keep; and
//! the next steps a finished run leaves to people (the platform admin's
//! Connect, admin consent, the rotation before the secret expires).

use crate::report::{Action, Code, Item, Op, Report, Status};
use crate::settings::Plan;
use crate::steps::Ctx;
use crate::steps::create_secret;
use crate::steps::platform_preflight::PlatformTarget;
use crate::steps::register_app::AppState;
use crate::steps::resolve_permission::ResolvedPermission;

/// What a look found, said as what a real run would change and keep.
pub(super) fn narrate(
    ctx: &Ctx<'_>,
    target: &PlatformTarget,
    perm: &ResolvedPermission,
    app: &AppState,
    secret: &create_secret::SecretState,
    report: &mut Report,
) {
    let plan = ctx.plan;
    narrate_consent(perm, report);
    if secret.action == Action::WouldCreate {
        new_secret(plan, target, secret, report);
    } else if let Some(c) = &target.existing {
        report.connection = Some(target.connection_info(c, Action::Reused));
        report.keep(
            Code::SecretKeep,
            format!(
                "the client secret \"{}\" (expires {}), which the platform connection \"{}\" ({}) holds",
                plan.secret.description,
                secret.end.as_deref().map_or("unknown".into(), crate::report::when),
                c.name,
                c.id
            ),
        );
        if secret.known && create_secret::tagged(&app.app, &c.id) != Some(secret.key_id.as_str()) {
            report.change(
                Op::Change,
                Code::AppTagHeldSecret,
                format!(
                    "tag the app with the key id of the secret the connection holds ({})",
                    crate::custody::held_tag(&c.id, &secret.key_id)
                ),
            );
        }
    }
    if app.action == Action::Reused {
        report.unchanged.insert(
            0,
            Item::new(
                Code::AppKeep,
                format!(
                    "the app registration \"{}\" (client id {}){}",
                    plan.app.name,
                    app.app.app_id,
                    if app.sp_action == Action::Reused {
                        " and its service principal"
                    } else {
                        ""
                    }
                ),
            ),
        );
    }
    if report
        .consent
        .as_ref()
        .is_some_and(|c| c.action == Action::Reused)
    {
        report.keep(
            Code::ConsentKeep,
            format!("tenant-wide admin consent for {}", perm.value),
        );
    }
    report.status = Status::DryRun;
}

/// A look's lines for a new secret: the secret, and the connection that
/// would hold it (a new one, or one replacing the existing connection).
fn new_secret(
    plan: &Plan,
    target: &PlatformTarget,
    secret: &create_secret::SecretState,
    report: &mut Report,
) {
    report.change(
        Op::Create,
        Code::SecretCreate,
        format!(
            "add a client secret \"{}\" expiring {}",
            plan.secret.description,
            secret
                .end
                .as_deref()
                .map_or("?".into(), crate::report::when)
        ),
    );
    match &target.existing {
        Some(c) => {
            report.connection = Some(target.connection_info(c, Action::WouldReplace));
            report.change(
                Op::Change,
                Code::ConnectionReplace,
                if plan.secret.keep_previous {
                    format!(
                        "make a new platform connection holding the new secret beside \"{}\" ({}), and keep that one and its secret working until the rotation is finished (`rotate --finish`)",
                        c.name, c.id
                    )
                } else {
                    format!(
                        "replace the platform connection \"{}\" ({}) with one holding the new secret (and tag the app with its key id), then delete the old one and remove the secret it held",
                        c.name, c.id
                    )
                },
            );
        }
        None => report.change(
            Op::Create,
            Code::ConnectionCreate,
            format!(
                "create the platform connection \"{}\" on \"{}\" for team {} (Client ID, Client Secret, Resource {}, Tenant), and tag the app with the key id of the secret it holds",
                plan.platform.as_ref().map_or("", |p| p.connection_name.as_str()),
                target.integration.name,
                target.client.team(),
                report.resource
            ),
        ),
    }
}

/// A look's line for admin consent, when it would be granted.
pub(crate) fn narrate_consent(perm: &ResolvedPermission, report: &mut Report) {
    if report
        .consent
        .as_ref()
        .is_some_and(|c| c.action != Action::Reused)
    {
        let change = format!("grant tenant-wide admin consent for {}", perm.value);
        // Said before the secret, as the run does it.
        report.change(Op::Create, Code::ConsentGrant, change);
    }
}

pub(super) fn finish(
    report: &mut Report,
    plan: &Plan,
    connection_name: &str,
    perm: &ResolvedPermission,
) {
    report.status = Status::Done;
    report.next(
        Code::PlatformFinishConnection,
        platform_next_step(connection_name),
    );
    let consented = report
        .consent
        .as_ref()
        .is_some_and(|c| c.action != Action::WouldCreate);
    if perm.admin_consent_required && !consented {
        report.next(
            Code::ConsentGrant,
            format!(
                "Grant admin consent for {} (Azure portal: App registrations > {} > API permissions > Grant admin consent), or run again with --admin-consent.",
                perm.value, plan.app.name
            ),
        );
    }
    if let Some(end) = report.secret.as_ref().and_then(|s| s.expires.clone()) {
        report.next(
            Code::SecretRotate,
            format!(
                "The client secret expires {}: run `aad-setup rotate` before then.",
                crate::report::when(&end)
            ),
        );
    }
}

/// What a replacement means for the platform admin; `connect --replace`
/// says the same.
pub(crate) fn replaced_note(previous: &str, name: &str) -> String {
    format!(
        "the connection is a new object, \"{name}\", replacing {previous} (the platform cannot update a connection): the platform admin repeats Connect and sets its permissions again"
    )
}

/// What to do in the platform once the connection exists; `connect` says
/// the same.
pub(crate) fn platform_next_step(connection: &str) -> String {
    format!(
        "In the platform, open Admin > Integrations > Azure Active Directory and select the connection \"{connection}\": set who may use it (connection permissions are set only there), then select Connect and sign in to Microsoft as an Azure admin."
    )
}

/// A run's result in the directory `session` signed in to (its id, and its
/// name and default domain when they were read).
pub(super) fn report_for(session: &crate::auth::Session) -> Report {
    Report::new(session.tenant_id.clone()).in_directory(
        session.directory.as_ref().map(|d| d.display_name.clone()),
        session
            .directory
            .as_ref()
            .and_then(|d| d.default_domain.clone()),
    )
}
