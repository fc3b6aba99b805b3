//! The tenant's credential policy, read before a client secret is asked
//! for (`setup`, `register`, `rotate`): the tenant's default app management
//! policy (`GET /policies/defaultAppManagementPolicy`) and the tenant's other
//! app management policies (`GET /policies/appManagementPolicies`), both
//! Policy.Read.All; one assigned to the app takes the default's place for it
//! (that is how an admin exempts an app).
//!
//! Which policy is assigned to the app is read from the policy's side (`GET
//! /policies/appManagementPolicies/{id}/appliesTo`): Microsoft's permissions
//! map has no `GET /applications/{id}/appManagementPolicies`. It is asked only
//! of enabled policies that could change the answer (one that restricts
//! client secrets, or any, when the default restricts them for this app), so
//! a tenant without such policies costs no request; the list itself needs no
//! app id and is read with the other lookups.
//!
//! What applies decides the new secret's lifetime: without
//! `--secret-expiry`, the longest both the policy and the guide's 24 months
//! allow, said in the output; a `--secret-expiry` beyond the policy is a
//! usage error (exit 2), and a policy that blocks client secrets for the app
//! is exit 4, both before anything is written. A policy that cannot be read
//! (no Policy.Read.All) changes nothing: Graph's refusal of `addPassword`
//! is then mapped to the same message ([`refused`]).
//!
//! The policy read for this run is kept for the step that adds the secret
//! ([`end_for`]): one run, one policy.

use std::sync::Mutex;

use crate::error::{Failure, Kind};
use crate::graph::policies::{AppPolicy, PasswordRestriction, TenantPolicy};
use crate::graph::{Graph, graph_error};
use crate::output::Printer;
pub(crate) use crate::report::{PolicyInfo as CredentialPolicy, PolicySource as Source};
use crate::settings::SecretSpec;

impl CredentialPolicy {
    /// "the tenant's policy" / "the app's policy \"name\"", for sentences.
    pub(crate) fn named(&self) -> String {
        let whose = match self.source {
            Source::TenantDefault => "the tenant's app management policy",
            Source::App => "the app management policy assigned to the app",
        };
        match &self.display_name {
            Some(name) => format!("{whose} \"{name}\" ({})", self.id),
            None => format!("{whose} ({})", self.id),
        }
    }

    /// The latest a secret made at `now` may expire.
    fn latest_end(&self, now: jiff::Timestamp) -> Option<jiff::Timestamp> {
        let span: jiff::Span = self.max_lifetime.as_deref()?.parse().ok()?;
        now.to_zoned(jiff::tz::TimeZone::UTC)
            .checked_add(span)
            .ok()
            .map(|z| z.timestamp())
    }
}

/// What was read, before it is judged.
pub(crate) struct Raw {
    default: Option<anyhow::Result<TenantPolicy>>,
    /// The tenant's app management policies (not the default).
    others: Option<anyhow::Result<Vec<AppPolicy>>>,
}

/// What this run knows of the policy.
#[derive(Debug, Clone)]
pub(crate) enum Known {
    /// Read: `None` when nothing restricts client secrets.
    Read(Option<CredentialPolicy>),
    /// Not read (why): Graph's own refusal is mapped ([`refused`]).
    Unreadable(String),
}

impl Known {
    /// The policy, when it was read and restricts client secrets.
    pub(crate) fn policy(&self) -> Option<CredentialPolicy> {
        match self {
            Known::Read(p) => p.clone(),
            Known::Unreadable(_) => None,
        }
    }
}

/// This run's policy, for the step that adds the secret: kept in the run's
/// [`super::Ctx`] ([`settle`]'s answer, set by the caller).
pub(crate) type ThisRun = Mutex<Option<Known>>;

/// Reads the default policy and, when the app may exist already (`app_known`:
/// the record names it), the tenant's other policies, together. `wanted`: a
/// new secret may be asked for (else nothing is read).
pub(crate) async fn read(graph: &Graph, app_known: bool, wanted: bool) -> Raw {
    if !wanted {
        return Raw {
            default: None,
            others: None,
        };
    }
    let (default, others) = tokio::join!(graph.default_app_management_policy(), async {
        if app_known {
            Some(graph.app_management_policies().await)
        } else {
            None
        }
    });
    Raw {
        default: Some(default),
        others,
    }
}

/// Judges what [`read`] found for the app (`None`: it is about to be made,
/// and no policy can be assigned to it yet), reading the tenant's other
/// policies first if that was not done before (and the default was
/// readable), and which of them applies to the app: the caller keeps it
/// for the run ([`ThisRun`]; [`announce`] says it).
pub(crate) async fn settle(
    graph: &Graph,
    mut raw: Raw,
    app: Option<&crate::graph::types::Application>,
) -> Option<Known> {
    let default = raw.default.take()?;
    let created = app
        .and_then(|a| a.created_date_time.as_deref())
        .and_then(|c| c.parse::<jiff::Timestamp>().ok())
        .unwrap_or_else(|| graph.clock().now());
    let known = match default {
        Err(e) => Known::Unreadable(why_unreadable(&e)),
        Ok(default) => {
            let others = match (raw.others.take(), app) {
                (Some(read), _) => Some(read),
                (None, Some(_)) => Some(graph.app_management_policies().await),
                (None, None) => None,
            };
            match others {
                None => Known::Read(effective(&default, &[], created)),
                Some(Err(e)) => Known::Unreadable(why_unreadable(&e)),
                Some(Ok(others)) => {
                    let app_id = app.map_or("", |a| a.id.as_str());
                    match assigned(graph, &default, others, app_id, created).await {
                        Ok(assigned) => Known::Read(effective(&default, &assigned, created)),
                        Err(e) => Known::Unreadable(why_unreadable(&e)),
                    }
                }
            }
        }
    };
    if let Known::Unreadable(why) = &known {
        // As before the policy was read: Graph's refusal, if any, says it.
        tracing::info!("the credential policy was not read: {why}");
    }
    Some(known)
}

/// The enabled policies among `others` assigned to the app (object id
/// `app_object_id`), asking `appliesTo` only of those that could change
/// what applies to it: one that restricts client secrets itself, or any,
/// when the default restricts them for this app (then one assigned to the
/// app may exempt it). None such: no request.
async fn assigned(
    graph: &Graph,
    default: &TenantPolicy,
    others: Vec<AppPolicy>,
    app_object_id: &str,
    created: jiff::Timestamp,
) -> anyhow::Result<Vec<AppPolicy>> {
    if app_object_id.is_empty() {
        return Ok(Vec::new());
    }
    let default_restricts = effective(default, &[], created).is_some();
    let candidates: Vec<AppPolicy> = others
        .into_iter()
        .filter(|p| p.is_enabled && (default_restricts || restricts(p, created)))
        .collect();
    let targets = join_all(
        candidates
            .iter()
            .map(|p| graph.app_management_policy_applies_to(&p.id))
            .collect(),
    )
    .await;
    let mut out = Vec::new();
    for (policy, targets) in candidates.into_iter().zip(targets) {
        if targets?
            .iter()
            .any(|id| id.eq_ignore_ascii_case(app_object_id))
        {
            out.push(policy);
        }
    }
    Ok(out)
}

/// Whether an app management policy, were it assigned to an app created at
/// `created`, would restrict its client secrets.
fn restricts(policy: &AppPolicy, created: jiff::Timestamp) -> bool {
    effective(
        &TenantPolicy::default(),
        std::slice::from_ref(policy),
        created,
    )
    .is_some()
}

/// Awaits all of `futures` together (the requests go out at once).
async fn join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    use std::task::Poll;
    let mut futures: Vec<std::pin::Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut done: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, out) in futures.iter_mut().zip(done.iter_mut()) {
            if out.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(v) => *out = Some(v),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    done.into_iter().flatten().collect()
}

fn why_unreadable(err: &anyhow::Error) -> String {
    match graph_error(err) {
        Some(g) if g.is_denied() => {
            "reading it needs Policy.Read.All; a policy that refuses the secret is reported when the secret is added".into()
        }
        _ => format!("{err:#}"),
    }
}

/// The policy that applies to an app created at `created`: one assigned to
/// it (enabled) takes the tenant default's place; a restriction counts
/// when it is enabled and the app was created after its date.
pub(crate) fn effective(
    default: &TenantPolicy,
    assigned: &[AppPolicy],
    created: jiff::Timestamp,
) -> Option<CredentialPolicy> {
    let (source, id, name, restrictions) = match assigned.iter().find(|p| p.is_enabled) {
        Some(p) => (Source::App, &p.id, &p.display_name, &p.restrictions),
        None if default.is_enabled => (
            Source::TenantDefault,
            &default.id,
            &default.display_name,
            &default.application_restrictions,
        ),
        None => return None,
    };
    let applies = |r: &&PasswordRestriction| {
        r.enabled()
            && r.restrict_for_apps_created_after_date_time
                .as_deref()
                .and_then(|d| d.parse::<jiff::Timestamp>().ok())
                .is_none_or(|after| created > after)
    };
    let list = restrictions
        .as_ref()
        .map(|r| r.password_credentials.as_slice())
        .unwrap_or_default();
    let of = |kind: &str| {
        list.iter()
            .filter(applies)
            .find(|r| r.restriction_type.eq_ignore_ascii_case(kind))
    };
    let addition = of("passwordAddition");
    let lifetime = of("passwordLifetime").and_then(|r| r.max_lifetime.clone());
    if addition.is_none() && lifetime.is_none() {
        return None;
    }
    let max_days = lifetime.as_deref().and_then(|l| {
        let span: jiff::Span = l.parse().ok()?;
        let now = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC);
        let end = now.checked_add(span).ok()?;
        Some((end.timestamp().as_second() - now.timestamp().as_second()) / 86_400)
    });
    Some(CredentialPolicy {
        source,
        id: id.clone(),
        display_name: name.clone(),
        max_lifetime: lifetime,
        max_days,
        blocks_secrets: addition.is_some(),
        restricts_apps_created_after: addition
            .and_then(|r| r.restrict_for_apps_created_after_date_time.clone()),
    })
}

/// Says the policy that applies, when one restricts client secrets.
pub(crate) fn announce(printer: &Printer, policy: &CredentialPolicy) {
    printer.step("Credential policy", &describe(policy));
}

/// One line for people.
pub(crate) fn describe(p: &CredentialPolicy) -> String {
    let whose = match p.source {
        Source::TenantDefault => "the tenant's policy",
        Source::App => "the app's own policy",
    };
    if p.blocks_secrets {
        return format!("{whose} does not allow client secrets for this app");
    }
    match p.max_days {
        Some(days) => format!("{whose} caps client secrets at {days} days"),
        None => format!("{whose} allows client secrets"),
    }
}

/// The policy this run read, if it read one.
pub(crate) fn this_run(run: &ThisRun) -> Option<CredentialPolicy> {
    run.lock().ok()?.as_ref()?.policy()
}

/// When the new secret expires, within this run's policy: the plan's
/// expiry, or without `--secret-expiry` the latest the policy allows when
/// that is sooner. A secret the policy does not allow is refused here,
/// before it is asked for: exit 4 (blocked), exit 2 (`--secret-expiry`
/// beyond the policy).
pub(crate) fn end_for(
    run: &ThisRun,
    spec: &SecretSpec,
    app_object_id: &str,
    now: jiff::Timestamp,
) -> anyhow::Result<jiff::Timestamp> {
    decide(this_run(run).as_ref(), spec, app_object_id, now)
}

/// [`end_for`], on what was read.
pub(crate) fn decide(
    policy: Option<&CredentialPolicy>,
    spec: &SecretSpec,
    app_object_id: &str,
    now: jiff::Timestamp,
) -> anyhow::Result<jiff::Timestamp> {
    let wanted = spec.expiry.timestamp();
    let Some(policy) = policy else {
        return Ok(wanted);
    };
    if policy.blocks_secrets {
        return Err(blocked(policy, app_object_id));
    }
    let Some(latest) = policy.latest_end(now) else {
        return Ok(wanted);
    };
    // `90d` under a 90-day policy is within it: the expiry was reckoned a
    // moment ago (and rounded to the second); it is sent as the policy's
    // latest at the most.
    if wanted <= latest + jiff::SignedDuration::from_secs(60) {
        return Ok(wanted.min(latest));
    }
    let days = policy.max_days.unwrap_or_default();
    if spec.expiry_given {
        return Err(Failure::new(
            Kind::Usage,
            format!(
                "--secret-expiry is beyond {}: client secrets may live at most {days} days ({}); nothing was changed",
                policy.named(),
                policy.max_lifetime.as_deref().unwrap_or_default()
            ),
        )
        .with_hint(format!(
            "give --secret-expiry {days}d or less, or leave it out: the secret then gets the longest the policy allows"
        ))
        .into());
    }
    Ok(latest)
}

/// The policy blocks client secrets for this app: exit 4, saying what an
/// admin can do.
fn blocked(policy: &CredentialPolicy, app_object_id: &str) -> anyhow::Error {
    let since = policy
        .restricts_apps_created_after
        .as_deref()
        .map(|d| format!(" (password addition is restricted for apps created after {d})"))
        .unwrap_or_default();
    Failure::new(
        Kind::Privileges,
        format!(
            "{} does not allow client secrets for this app{since}; nothing was changed",
            policy.named()
        ),
    )
    .with_hint(exemption_hint(app_object_id))
    .into()
}

/// What an admin can do about a policy that blocks client secrets.
fn exemption_hint(app_object_id: &str) -> String {
    let app = if app_object_id.is_empty() {
        "{app-object-id}"
    } else {
        app_object_id
    };
    format!(
        "an admin holding Policy.ReadWrite.ApplicationConfiguration can exempt this app: an app management policy that allows client secrets, assigned to it (Graph: POST /policies/appManagementPolicies, then POST /applications/{app}/appManagementPolicies/$ref), or in the Microsoft Entra admin center, Entra ID > Enterprise apps > Application policies; then run again"
    )
}

/// Graph refused `addPassword` for a policy this run could not read: the
/// same message as when it is read first. `None`: not a policy refusal.
pub(crate) fn refused(err: &anyhow::Error, app_object_id: &str) -> Option<Failure> {
    let g = graph_error(err)?;
    if g.has_code("CredentialTypeNotAllowedAsPerAppPolicy") {
        return Some(
            Failure::new(
                Kind::Privileges,
                format!(
                    "the tenant's app management policy does not allow client secrets for this app ({}); nothing else was changed",
                    g.message
                ),
            )
            .with_hint(exemption_hint(app_object_id)),
        );
    }
    if g.has_code("CredentialInvalidLifetimeAsPerAppPolicy") {
        return Some(
            Failure::new(
                Kind::Failed,
                format!(
                    "the tenant's app management policy refuses a client secret that lives this long ({})",
                    g.message
                ),
            )
            .with_hint("run again with a shorter --secret-expiry (for example 6mo or 12mo), or give the identity Policy.Read.All so that the policy's limit is read first; the app is kept and will be reused"),
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::policies::Restrictions;

    fn restriction(kind: &str, max: Option<&str>, after: Option<&str>) -> PasswordRestriction {
        PasswordRestriction {
            restriction_type: kind.into(),
            state: Some("enabled".into()),
            max_lifetime: max.map(str::to_owned),
            restrict_for_apps_created_after_date_time: after.map(str::to_owned),
        }
    }

    fn tenant(list: Vec<PasswordRestriction>) -> TenantPolicy {
        TenantPolicy {
            id: "t".into(),
            display_name: Some("Default".into()),
            is_enabled: true,
            application_restrictions: Some(Restrictions {
                password_credentials: list,
            }),
        }
    }

    fn spec(expiry: &str, given: bool) -> SecretSpec {
        SecretSpec {
            description: "d".into(),
            expiry: crate::validate::expiry(expiry, jiff::Timestamp::now()).unwrap(),
            show: false,
            file: None,
            rotate: false,
            keep_on_failure: false,
            expiry_given: given,
            keep_previous: false,
        }
    }

    #[test]
    fn the_default_is_capped_a_longer_given_expiry_refused_and_a_block_is_exit_4() {
        let now = jiff::Timestamp::now();
        let p = effective(
            &tenant(vec![restriction("passwordLifetime", Some("P90D"), None)]),
            &[],
            now,
        )
        .unwrap();
        assert_eq!(p.max_days, Some(90));
        assert_eq!(
            describe(&p),
            "the tenant's policy caps client secrets at 90 days"
        );
        let capped = decide(Some(&p), &spec("24 months", false), "o", now).unwrap();
        assert_eq!(capped.as_second() - now.as_second(), 90 * 86_400);
        let err = decide(Some(&p), &spec("24mo", true), "o", now).unwrap_err();
        assert_eq!(crate::error::kind(&err), Kind::Usage);
        assert!(err.to_string().contains("at most 90 days"), "{err}");
        let fine = decide(Some(&p), &spec("30d", true), "o", now).unwrap();
        assert!(fine < capped);

        let block = effective(
            &tenant(vec![restriction(
                "passwordAddition",
                None,
                Some("2019-01-01T00:00:00Z"),
            )]),
            &[],
            now,
        )
        .unwrap();
        let err = decide(Some(&block), &spec("24 months", false), "o", now).unwrap_err();
        assert_eq!(crate::error::kind(&err), Kind::Privileges);
        let hint = crate::error::failure(&err).unwrap().hint.clone().unwrap();
        assert!(
            hint.contains("Policy.ReadWrite.ApplicationConfiguration"),
            "{hint}"
        );
    }

    #[test]
    fn an_app_created_before_the_date_or_an_app_policy_exempts_it() {
        let default = tenant(vec![restriction(
            "passwordAddition",
            None,
            Some("2024-01-01T00:00:00Z"),
        )]);
        let old: jiff::Timestamp = "2023-06-01T00:00:00Z".parse().unwrap();
        assert!(effective(&default, &[], old).is_none());
        let exempt = AppPolicy {
            id: "a".into(),
            display_name: Some("Exempt".into()),
            is_enabled: true,
            restrictions: Some(Restrictions::default()),
        };
        assert!(effective(&default, &[exempt], jiff::Timestamp::now()).is_none());
        let disabled = TenantPolicy {
            is_enabled: false,
            ..default
        };
        assert!(effective(&disabled, &[], jiff::Timestamp::now()).is_none());
    }
}
