//! The sweep of what earlier runs left on an app (see the module doc):
//! decided on what the app shows ([`plan_sweep`]), then done by the run's
//! custodian on a second read ([`Custody::sweep`]).

use std::time::Duration;

use crate::graph::Graph;
use crate::graph::types::Application;

use super::custodian::Custody;
use super::runs::alive;
use super::tag::{Pending, Tag, held_tag, holders, is_held, is_named, retag};

/// What [`plan_sweep`] decided: secrets to remove, and the app's tags after.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sweep {
    pub remove: Vec<String>,
    /// The app's tags after, [`Sweep::add`] included.
    pub tags: Vec<String>,
    /// Tags to add: a connection an interrupted run made holds the one
    /// secret that run made.
    pub add: Vec<String>,
    /// What was found, in the user's words.
    pub notes: Vec<String>,
    /// Secrets kept because something may hold them after all (a
    /// connection the interrupted run made, not tagged): what to do, with
    /// the key id. The run ends "needs attention".
    pub doubts: Vec<String>,
}

/// What the sweep sees besides the app: our secrets' description, the
/// connections held tags name that the platform no longer has, and the
/// platform's connections of the tool's name.
#[derive(Debug, Default)]
pub struct Seen<'a> {
    pub description: &'a str,
    pub deleted: &'a [String],
    /// The platform's connections of the tool's name: id, and when it was
    /// made (Unix seconds, as the platform says).
    pub connections: &'a [(String, Option<i64>)],
    /// What this machine's record says a connection holds (connection,
    /// key): as good as a held tag (a read from a replica behind may lack
    /// the tag).
    pub recorded: &'a [(String, String)],
}

/// The sweep, decided on what the app shows: pending secrets of runs that
/// are gone (`alive` says), secrets of deleted connections (`deleted`
/// lists them), stale tags. `description` is our secrets' description: an
/// intent without a key explains only secrets of that description, made
/// after it, that no tag names.
///
/// Before a secret that a dead run's keyless intent explains is removed,
/// the platform is cross-checked (`seen.connections`): a connection of the
/// tool's name made within that intent's window, which no held tag names,
/// may hold it (the run was stopped after making the connection, before
/// tagging it). One such connection and one such secret: the connection
/// holds it, and the tag now says so. More, or secrets without such a
/// connection being clear: kept, and said ([`Sweep::doubts`]).
pub fn plan_sweep(app: &Application, seen: &Seen<'_>, alive: impl Fn(&Pending) -> bool) -> Sweep {
    let judge = Judge::new(app, seen, &alive);
    let mut out = Sweep::default();
    let mut drop_tags: Vec<String> = Vec::new();
    for tag in &app.tags {
        let stale = if let Some(p) = Pending::parse(tag) {
            !alive(&p) && judge.dead_intent(&p, &mut out)
        } else {
            match Tag::parse(tag) {
                Some(Tag::Held { connection, key }) => judge.held(&connection, &key, &mut out),
                Some(Tag::Handed { key }) => !judge.exists(&key),
                _ => false,
            }
        };
        if stale {
            drop_tags.push(tag.clone());
        }
    }
    out.tags = retag(&app.tags, &out.add, |t| drop_tags.iter().any(|d| d == t));
    out
}

/// What [`plan_sweep`] judges each tag against: the app, what else was
/// seen, and what holds or may soon hold a secret.
struct Judge<'a> {
    app: &'a Application,
    seen: &'a Seen<'a>,
    /// (connection, key) that held tags, or this machine's record, name.
    held: Vec<(String, String)>,
    /// Intents of runs still alive, without a key: a secret made after one
    /// of them may be that run's, about to be tagged.
    live: Vec<Pending>,
}

impl<'a> Judge<'a> {
    fn new(app: &'a Application, seen: &'a Seen<'a>, alive: impl Fn(&Pending) -> bool) -> Self {
        let mut held = holders(&app.tags);
        held.extend(seen.recorded.iter().cloned());
        let live = app
            .tags
            .iter()
            .filter_map(|t| Pending::parse(t))
            .filter(|p| p.key.is_none() && alive(p))
            .collect();
        Judge {
            app,
            seen,
            held,
            live,
        }
    }

    fn exists(&self, key: &str) -> bool {
        self.app
            .password_credentials
            .iter()
            .any(|c| c.key_id == key)
    }

    /// The intent of a run that is gone: its secret goes unless someone
    /// holds it. Returns whether the intent's tag goes too.
    fn dead_intent(&self, p: &Pending, out: &mut Sweep) -> bool {
        match &p.key {
            Some(k) if is_held(&self.app.tags, k) => {}
            Some(k) if self.exists(k) => {
                out.remove.push(k.clone());
                out.notes.push(format!(
                    "removed the secret {k} that an interrupted run added and no one holds"
                ));
            }
            Some(_) => {}
            None => return self.keyless_intent(p, out),
        }
        true
    }

    /// A gone run's intent without a key: the secrets it explains go, or
    /// the one connection it may have made holds the one secret it made, or
    /// (more of either) both are kept, and the intent with them, for the
    /// next run to judge again. Returns whether the intent's tag goes.
    fn keyless_intent(&self, p: &Pending, out: &mut Sweep) -> bool {
        let explained = self.explained(p, &out.remove);
        match (self.made_by(p).as_slice(), explained.as_slice()) {
            (_, []) => {}
            ([], keys) => {
                for k in keys {
                    out.remove.push((*k).to_owned());
                    out.notes.push(format!(
                        "removed the secret {k} that an interrupted run added (its answer was lost) and no one holds"
                    ));
                }
            }
            ([connection], [key]) => {
                out.add.push(held_tag(connection, key));
                out.notes.push(format!(
                    "the connection {connection} that an interrupted run made holds the secret {key} it added: the app's tag now says so"
                ));
            }
            (connections, keys) => {
                for k in keys {
                    out.doubts.push(format!(
                        "the secret {k} was kept: an interrupted run (run {}) added it, and the connection(s) {} it may also have made could hold it; if none of them does, remove the secret in the Azure portal, Certificates & secrets (key id {k})",
                        p.run,
                        connections.join(", ")
                    ));
                }
                return false;
            }
        }
        true
    }

    /// The secrets of our description that `p` explains: made within its
    /// window (an admin's secret of the guide's description, added long
    /// after a killed run, is not), not explained by a live run's intent,
    /// and named by no tag, no record and no removal already decided.
    fn explained(&self, p: &Pending, removing: &[String]) -> Vec<&'a str> {
        let tags = &self.app.tags;
        self.app
            .password_credentials
            .iter()
            .filter(|c| {
                let made = c
                    .start_date_time
                    .as_deref()
                    .and_then(|s| s.parse::<jiff::Timestamp>().ok())
                    .map(|t| t.as_second());
                let after = made.is_some_and(|t| p.explains(t));
                let a_live_runs = made.is_some_and(|t| self.live.iter().any(|l| l.explains(t)));
                c.display_name.as_deref() == Some(self.seen.description)
                    && after
                    && !a_live_runs
                    && !is_named(tags, &c.key_id)
                    && !self.seen.recorded.iter().any(|(_, k)| *k == c.key_id)
                    && !removing.contains(&c.key_id)
            })
            .map(|c| c.key_id.as_str())
            .collect()
    }

    /// The platform's side: connections of ours that `p`'s run may have
    /// made, which no tag says hold anything.
    fn made_by(&self, p: &Pending) -> Vec<&'a str> {
        self.seen
            .connections
            .iter()
            .filter(|(id, made)| {
                made.is_some_and(|t| p.explains(t))
                    && !self.held.iter().any(|(c, _)| c == id)
                    && !self.seen.deleted.contains(id)
            })
            .map(|(id, _)| id.as_str())
            .collect()
    }

    /// A held tag: its connection deleted on the platform, the secret goes
    /// with the tag; its secret gone (removed by hand, or expired and
    /// cleaned up), the tag names nothing. Returns whether the tag goes.
    fn held(&self, connection: &str, key: &str, out: &mut Sweep) -> bool {
        if !self.seen.deleted.iter().any(|d| d == connection) {
            return !self.exists(key);
        }
        if self.exists(key) && !out.remove.iter().any(|r| r == key) {
            out.remove.push(key.to_owned());
            out.notes.push(format!(
                "removed the secret {key} that the connection {connection}, deleted on the platform, held"
            ));
        }
        true
    }
}

impl Custody {
    /// The sweep of what earlier runs left (see the module doc): run on the
    /// app before anything else touches its secrets. `deleted` are the
    /// connections named by held tags that the platform says no longer exist.
    /// Returns what was done, for the summary.
    pub async fn sweep(
        &self,
        graph: &Graph,
        app: &mut Application,
        seen: &Seen<'_>,
        protected: &[String],
        reclaim: &[String],
    ) -> anyhow::Result<Swept> {
        self.remember_tags(&app.id, &app.tags);
        let now = jiff::Timestamp::now().as_second();
        let lease = self.lease;
        let state_dir = self.state_dir.as_path();
        let own = self.run_id().to_owned();
        // `--reclaim RUN`: the person knows that run is gone.
        let is_alive = |p: &Pending| {
            p.run == own || (!reclaim.contains(&p.run) && alive(state_dir, p, now, lease))
        };
        let mut plan = plan_sweep(app, seen, is_alive);
        let mut warnings: Vec<String> = in_flight(&app.tags, &own, is_alive, lease);
        if !plan.remove.is_empty() {
            // Never remove on a read that may be stale: the app is read again
            // and only what both reads judge unheld goes (a replica behind may
            // lack a held tag another run has just written).
            if let Some(again) = graph.get_application(&app.id).await? {
                let second = plan_sweep(&again, seen, is_alive);
                let doubted: Vec<String> = plan
                    .remove
                    .iter()
                    .filter(|k| !second.remove.contains(k))
                    .cloned()
                    .collect();
                for key in &doubted {
                    warnings.push(format!(
                    "the secret {key} was kept: one read of the app said no one holds it, another did not; run the same command again in a few minutes to judge it on a settled read (key id {key})"
                ));
                }
                plan.remove.retain(|k| !doubted.contains(k));
                plan.notes
                    .retain(|n| !doubted.iter().any(|k| n.contains(k.as_str())));
            }
        }
        // What this machine's record says someone holds stays, whatever the
        // tags say (a late write may have lost a tag).
        // (Not a secret whose connection was deleted: that one goes.)
        let of_deleted: Vec<String> = holders(&app.tags)
            .into_iter()
            .filter(|(c, _)| seen.deleted.contains(c))
            .map(|(_, k)| k)
            .collect();
        let kept: Vec<String> = plan
            .remove
            .iter()
            .filter(|k| protected.contains(k) && !of_deleted.contains(k))
            .cloned()
            .collect();
        plan.remove.retain(|k| !kept.contains(k));
        plan.notes
            .retain(|n| !kept.iter().any(|k| n.contains(k.as_str())));
        // A doubt about a key this machine's record says someone holds is
        // settled by the record: kept, nothing to say.
        warnings.extend(
            plan.doubts
                .iter()
                .filter(|d| !protected.iter().any(|k| d.contains(k.as_str())))
                .cloned(),
        );
        if plan.tags == app.tags && plan.remove.is_empty() {
            return Ok(Swept {
                notes: Vec::new(),
                warnings,
            });
        }
        for key in &plan.remove {
            self.remove(graph, &app.id, key).await?;
            app.password_credentials.retain(|c| &c.key_id != key);
        }
        let dropped: Vec<String> = app
            .tags
            .iter()
            .filter(|t| !plan.tags.contains(t))
            .cloned()
            .collect();
        app.tags = self
            .edit_tags(graph, &app.id, |tags| {
                retag(tags, &plan.add, |t| dropped.iter().any(|d| d == t))
            })
            .await?;
        Ok(Swept {
            notes: plan.notes,
            warnings,
        })
    }
}

/// What [`Custody::sweep`] did (`notes`) and what needs a person (`warnings`: the
/// run ends "needs attention").
#[derive(Debug, Default)]
pub struct Swept {
    pub notes: Vec<String>,
    pub warnings: Vec<String>,
}

/// Other runs' intents still within their lease (or alive on this
/// machine): their secrets are kept, and the run says so — which run, when
/// it began, when a run may reclaim it, and how to reclaim it at once.
fn in_flight(
    tags: &[String],
    own: &str,
    alive: impl Fn(&Pending) -> bool,
    lease: Duration,
) -> Vec<String> {
    tags.iter()
        .filter_map(|t| Pending::parse(t))
        .filter(|p| p.run != own && alive(p))
        .map(|p| {
            let at = |secs: i64| {
                jiff::Timestamp::from_second(secs)
                    .map_or_else(|_| secs.to_string(), |t| t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string())
            };
            let lease = i64::try_from(lease.as_secs()).unwrap_or(i64::MAX);
            format!(
                "another run (run {}) began adding a secret at {} and has not finished{}: what it added is kept. A run may reclaim it after {}; if that run is gone (a cancelled job, a killed process), run again with --reclaim {} to remove it now",
                p.run,
                at(p.since),
                p.key
                    .as_deref()
                    .map(|k| format!(" (key id {k})"))
                    .unwrap_or_default(),
                at(p.since.saturating_add(lease)),
                p.run
            )
        })
        .collect()
}

/// The connections that held tags name and the platform no longer has:
/// not in `listed` (what the caller may see), and 404 when asked.
pub async fn deleted_connections(
    app: &Application,
    listed: &[String],
    platform: &crate::platform::Platform,
) -> anyhow::Result<Vec<String>> {
    let mut deleted = Vec::new();
    for (connection, _) in holders(&app.tags) {
        if listed.contains(&connection) || deleted.contains(&connection) {
            continue;
        }
        if platform.get_connection(&connection).await?.is_none() {
            deleted.push(connection);
        }
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::custody::DEFAULT_LEASE;
    use crate::custody::tag::handed_tag;
    use crate::graph::types::PasswordCredential;

    fn cred(key: &str, start: &str) -> PasswordCredential {
        PasswordCredential {
            key_id: key.into(),
            display_name: Some("pagerdutysecretkey".into()),
            start_date_time: Some(start.into()),
            end_date_time: Some("2099-01-01T00:00:00Z".into()),
            ..PasswordCredential::default()
        }
    }

    fn app(tags: &[String], creds: Vec<PasswordCredential>) -> Application {
        Application {
            id: "app".into(),
            tags: tags.to_vec(),
            password_credentials: creds,
            ..Application::default()
        }
    }

    const T0: i64 = 1_800_000_000;

    fn seen<'a>(deleted: &'a [String], connections: &'a [(String, Option<i64>)]) -> Seen<'a> {
        Seen {
            description: "pagerdutysecretkey",
            deleted,
            connections,
            recorded: &[],
        }
    }

    fn at(secs: i64) -> String {
        jiff::Timestamp::from_second(secs).unwrap().to_string()
    }
    #[test]
    fn a_dead_runs_pending_secret_goes_unless_someone_holds_it() {
        let orphan = Pending {
            run: "dead".into(),
            since: T0,
            key: Some("k-orphan".into()),
        };
        let handed_on = Pending {
            run: "dead2".into(),
            since: T0,
            key: Some("k-held".into()),
        };
        let live = Pending {
            run: "live".into(),
            since: T0,
            key: Some("k-live".into()),
        };
        let tags = vec![
            "aad-setup".to_owned(),
            orphan.tag(),
            handed_on.tag(),
            held_tag("c1", "k-held"),
            live.tag(),
        ];
        let a = app(
            &tags,
            vec![
                cred("k-orphan", &at(T0)),
                cred("k-held", &at(T0)),
                cred("k-live", &at(T0)),
            ],
        );
        let sweep = plan_sweep(&a, &seen(&[], &[]), |p| p.run == "live");
        assert_eq!(sweep.remove, ["k-orphan"]);
        assert_eq!(
            sweep.tags,
            ["aad-setup".to_owned(), held_tag("c1", "k-held"), live.tag()]
        );
    }

    #[test]
    fn an_intent_without_a_key_explains_only_unnamed_secrets_made_after_it() {
        let intent = Pending {
            run: "lost".into(),
            since: T0,
            key: None,
        };
        let tags = vec![
            intent.tag(),
            held_tag("c1", "k-held"),
            handed_tag("k-person"),
        ];
        let mut portal = cred("k-portal-old", &at(T0 - 3600));
        portal.display_name = Some("pagerdutysecretkey".into());
        let mut other = cred("k-other-description", &at(T0 + 5));
        other.display_name = Some("the admin's".into());
        let a = app(
            &tags,
            vec![
                portal,
                other,
                cred("k-held", &at(T0 + 1)),
                cred("k-person", &at(T0 + 2)),
                cred("k-lost", &at(T0 + 3)),
            ],
        );
        let sweep = plan_sweep(&a, &seen(&[], &[]), |_| false);
        assert_eq!(sweep.remove, ["k-lost"]);
        assert!(!sweep.tags.contains(&intent.tag()));
    }

    #[test]
    fn a_dead_intent_leaves_a_secret_a_live_runs_intent_could_explain() {
        // `dead` was stopped after its `addPassword`; `live` has just added
        // its own secret and is about to tag it: only the first goes.
        let dead = Pending {
            run: "dead".into(),
            since: T0,
            key: None,
        };
        let live = Pending {
            run: "live".into(),
            since: T0 + 600,
            key: None,
        };
        let tags = vec![dead.tag(), live.tag()];
        let a = app(
            &tags,
            vec![cred("k-dead", &at(T0 + 2)), cred("k-live", &at(T0 + 601))],
        );
        let sweep = plan_sweep(&a, &seen(&[], &[]), |p| p.run == "live");
        assert_eq!(sweep.remove, ["k-dead"]);
        assert_eq!(sweep.tags, [live.tag()]);
        // Once the live run is gone too, its secret is explained by nothing.
        let sweep = plan_sweep(&a, &seen(&[], &[]), |_| false);
        assert_eq!(sweep.remove, ["k-dead", "k-live"]);
    }

    #[test]
    fn an_intents_window_ends_and_a_connection_it_may_have_made_is_cross_checked() {
        let dead = Pending {
            run: "dead".into(),
            since: T0,
            key: None,
        };
        let tags = vec![dead.tag(), held_tag("c-old", "k-old")];
        let creds = vec![
            cred("k-old", &at(T0 - 86_400)),
            cred("k-run", &at(T0 + 3)),
            // The admin's own, by the portal's path, long after the run.
            cred("k-admin", &at(T0 + 7_200)),
        ];
        let a = app(&tags, creds.clone());
        // No connection the run made: its secret goes, the admin's stays.
        let sweep = plan_sweep(&a, &seen(&[], &[]), |_| false);
        assert_eq!(sweep.remove, ["k-run"]);
        // The run made a connection (untagged) within its window: that
        // connection holds its one secret, and the tag now says so.
        let made = [
            ("c-old".to_owned(), Some(T0 - 86_400)),
            ("c-run".to_owned(), Some(T0 + 5)),
        ];
        let sweep = plan_sweep(&a, &seen(&[], &made), |_| false);
        assert!(sweep.remove.is_empty(), "{sweep:?}");
        assert_eq!(sweep.add, [held_tag("c-run", "k-run")]);
        assert!(sweep.tags.contains(&held_tag("c-run", "k-run")));
        assert!(!sweep.tags.contains(&dead.tag()));
        // Two secrets it may have made (a lost answer): none is removed,
        // each is said, and the intent stays for the next run.
        let mut two = creds;
        two.push(cred("k-run-2", &at(T0 + 4)));
        let a = app(&tags, two);
        let sweep = plan_sweep(&a, &seen(&[], &made), |_| false);
        assert!(sweep.remove.is_empty() && sweep.add.is_empty(), "{sweep:?}");
        assert_eq!(sweep.doubts.len(), 2);
        assert!(sweep.doubts[0].contains("k-run") && sweep.doubts[0].contains("c-run"));
        assert!(sweep.tags.contains(&dead.tag()));
    }

    #[test]
    fn another_runs_live_intent_is_said_with_how_to_reclaim_it() {
        let live = Pending {
            run: "r1".into(),
            since: T0,
            key: None,
        };
        let tags = vec![live.tag(), "aad-setup".into()];
        let said = in_flight(&tags, "me", |_| true, Duration::from_secs(1800));
        assert_eq!(said.len(), 1);
        assert!(
            said[0].contains("run r1") && said[0].contains("--reclaim r1"),
            "{}",
            said[0]
        );
        assert!(in_flight(&tags, "r1", |_| true, DEFAULT_LEASE).is_empty());
        assert!(in_flight(&tags, "me", |_| false, DEFAULT_LEASE).is_empty());
    }

    #[test]
    fn a_deleted_connections_secret_goes_with_its_tag_and_stale_tags_are_dropped() {
        let tags = vec![
            held_tag("gone", "k1"),
            held_tag("here", "k2"),
            held_tag("here-too", "k-missing"),
            handed_tag("k-missing-2"),
        ];
        let a = app(&tags, vec![cred("k1", &at(T0)), cred("k2", &at(T0))]);
        let gone = ["gone".to_owned()];
        let sweep = plan_sweep(&a, &seen(&gone, &[]), |_| true);
        assert_eq!(sweep.remove, ["k1"]);
        assert_eq!(sweep.tags, [held_tag("here", "k2")]);
        assert!(is_held(&sweep.tags, "k2") && !is_held(&sweep.tags, "k1"));
    }
}
