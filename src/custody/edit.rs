//! Every write of the app's tags: on a fresh read, keeping what other runs
//! wrote and what a replica behind lacks ([`Custody::edit_tags_on`]), and
//! the hand-offs built on it: an intent before `addPassword`, a held or
//! handed tag after, the intent's end.

use crate::graph::Graph;

use super::custodian::Custody;
use super::tag::{Pending, Tag, check_bound, check_tags, handed_tag, held_tag, retag};

/// Reads of a just-created app before its tags are written anyway.
const READ_ATTEMPTS: u32 = 40;

/// Whether a pending tag is about `key`.
fn pending_for(tag: &str, key: &str) -> bool {
    Pending::parse(tag).is_some_and(|p| p.key.as_deref() == Some(key))
}

/// A connection holds a secret: what [`Custody::held_by`] writes.
pub struct Holding<'a> {
    pub connection: &'a str,
    pub key: &'a str,
    /// Connections that no longer exist: their tags go.
    pub gone: &'a [&'a str],
    /// The run whose intent this ends (its pending tags go with the same
    /// write), unless an answer was lost on the way.
    pub settles: Option<&'a str>,
}

impl Custody {
    /// Reads the app's tags afresh, changes them, and writes them back when
    /// they changed: other runs (and the admin) may have tagged it since, and
    /// a write built on an older read would drop their tags (tags are written
    /// whole, and Graph offers no ETag for applications). A read that may come
    /// from a replica behind this run's own last write keeps the tags this run
    /// wrote and has not taken off since. Returns the tags as written.
    pub async fn edit_tags(
        &self,
        graph: &Graph,
        app_object_id: &str,
        change: impl Fn(&[String]) -> Vec<String>,
    ) -> anyhow::Result<Vec<String>> {
        self.edit_tags_on(graph, app_object_id, None, change).await
    }

    /// [`Custody::edit_tags`], on `read` when the caller read the tags a moment ago
    /// ([`read_tags`](super::custodian::read_tags), made while something else was done) rather than now.
    pub async fn edit_tags_on(
        &self,
        graph: &Graph,
        app_object_id: &str,
        read: Option<Option<Vec<String>>>,
        change: impl Fn(&[String]) -> Vec<String>,
    ) -> anyhow::Result<Vec<String>> {
        // Always on a read (never skipped because this run's last view says
        // nothing changes: another run may have written since, dropping a tag
        // of ours that this write must put back).
        let known = self.known_tags(app_object_id);
        let mut tags_read = match read {
            Some(read) => read,
            None => graph.get_application(app_object_id).await?.map(|a| a.tags),
        };
        let mut n = 0;
        while tags_read.is_none() && known.is_none() && n < READ_ATTEMPTS {
            // Just created: not readable everywhere yet.
            tokio::time::sleep(graph.poll_delay(n)).await;
            tags_read = graph.get_application(app_object_id).await?.map(|a| a.tags);
            n += 1;
        }
        // What the service showed: a write is needed whenever the wanted tags
        // differ from it (not from this run's view).
        let raw = tags_read.clone();
        let tags = match (tags_read, known) {
            (Some(mut read), Some(known)) => {
                for mine in self.with_app(app_object_id, |v| v.own.clone()) {
                    if known.contains(&mine) && !read.contains(&mine) {
                        read.push(mine);
                    }
                }
                // A tag this run took off, still on a replica behind: not
                // written back.
                let gone = self.with_app(app_object_id, |v| v.removed.clone());
                read.retain(|t| !gone.contains(t));
                read
            }
            (Some(read), None) => read,
            (None, Some(known)) => known,
            (None, None) => {
                anyhow::bail!("the app {app_object_id} could not be read to tag it")
            }
        };
        let wanted = change(&tags);
        check_tags(&wanted)?;
        check_bound(app_object_id, &tags, &wanted)?;
        if raw.as_ref() != Some(&wanted) {
            graph
                .update_application(app_object_id, &serde_json::json!({ "tags": wanted }))
                .await?;
        }
        self.note_own_tags(app_object_id, &tags, &wanted);
        self.remember_tags(app_object_id, &wanted);
        Ok(wanted)
    }

    /// This run's intent to add a secret, as of now: written in the body of
    /// an app this run creates (its tags), so that the app exists with the
    /// intent on it and [`Custody::intend`] has nothing to write.
    pub fn new_intent(&self) -> Pending {
        Pending {
            run: self.run_id().to_owned(),
            since: jiff::Timestamp::now().as_second(),
            key: None,
        }
    }

    /// Before `addPassword`: the intent, on the app, so that a run that is
    /// killed, or whose answer is lost, is explained to the next one. An
    /// intent of this run without a key already on the app as last read or
    /// written (the app was created with it: [`Custody::new_intent`]) is that intent:
    /// it is durable, and nothing is written.
    ///
    /// `read`: the app's tags as this run has just read them (see
    /// [`Custody::edit_tags_on`]), when it read them a moment ago.
    pub async fn intend(
        &self,
        graph: &Graph,
        app_object_id: &str,
        read: Option<Vec<String>>,
    ) -> anyhow::Result<Pending> {
        let own = self.run_id();
        if let Some(written) = self
            .known_tags(app_object_id)
            .unwrap_or_default()
            .iter()
            .filter_map(|t| Pending::parse(t))
            .find(|p| p.run == own && p.key.is_none())
        {
            return Ok(written);
        }
        let pending = self.new_intent();
        let tag = pending.tag();
        self.edit_tags_on(graph, app_object_id, read.map(Some), |tags| {
            retag(tags, std::slice::from_ref(&tag), |_| false)
        })
        .await
        .map_err(|e| {
            e.context(
                "could not record on the app that a secret is about to be added; nothing was added",
            )
        })?;
        Ok(pending)
    }

    /// A connection holds `key`: its held tag replaces the pending ones (and
    /// the tags of the connections in `gone`, which no longer exist). `read`:
    /// see [`Custody::edit_tags_on`].
    pub async fn held_by(
        &self,
        graph: &Graph,
        app_object_id: &str,
        holding: &Holding<'_>,
        read: Option<Option<Vec<String>>>,
    ) -> anyhow::Result<Vec<String>> {
        let Holding {
            connection,
            key,
            gone,
            settles,
        } = *holding;
        let tag = held_tag(connection, key);
        self.edit_tags_on(graph, app_object_id, read, |tags| {
            retag(tags, std::slice::from_ref(&tag), |t| {
                pending_for(t, key)
                    || Pending::parse(t).is_some_and(|p| Some(p.run.as_str()) == settles)
                    || matches!(Tag::parse(t), Some(Tag::Held { connection: c, key: k })
                    if (c == connection && k != key) || gone.contains(&c.as_str()))
            })
        })
        .await
    }

    /// A person was handed `key`: its tag replaces the pending ones, and this
    /// run's intent ends with the same write (unless an answer to its
    /// `addPassword` was lost: see [`Custody::answer_lost`]).
    pub async fn handed(
        &self,
        graph: &Graph,
        app_object_id: &str,
        key: &str,
    ) -> anyhow::Result<()> {
        let tag = handed_tag(key);
        let settles = self.settled_run(app_object_id);
        let settles = settles.as_deref();
        self.edit_tags(graph, app_object_id, |tags| {
            retag(tags, std::slice::from_ref(&tag), |t| {
                pending_for(t, key)
                    || Pending::parse(t).is_some_and(|p| Some(p.run.as_str()) == settles)
            })
        })
        .await
        .map(|_| ())
    }

    /// `key` was removed (or never handed on): its pending tag goes.
    pub async fn released(
        &self,
        graph: &Graph,
        app_object_id: &str,
        key: &str,
    ) -> anyhow::Result<()> {
        self.edit_tags(graph, app_object_id, |tags| {
            retag(tags, &[], |t| pending_for(t, key))
        })
        .await
        .map(|_| ())
    }

    /// Everything this run's intent left, when the run ends with its secret
    /// handed on or removed: the intent tags of this run go (a lost answer's
    /// intent stays for the next run: see [`Custody::held_by`]).
    pub async fn settle(&self, graph: &Graph, app_object_id: &str, keep_intent: bool) {
        if keep_intent {
            return;
        }
        let run = self.run_id().to_owned();
        let _ = self
            .edit_tags(graph, app_object_id, |tags| {
                retag(tags, &[], |t| {
                    Pending::parse(t).is_some_and(|p| p.run == run)
                })
            })
            .await;
    }

    /// The end of a run that handed its secret to `connection`: the app's
    /// tags read back, this run's intent gone (unless an answer to its
    /// `addPassword` was lost: `keep_intent`), and the held tag written again
    /// if a concurrent write (another run's, built on a read from before this
    /// run's write or from a replica behind it) dropped it. Returns whether it
    /// had to be written again.
    pub async fn confirm_held(
        &self,
        graph: &Graph,
        app_object_id: &str,
        (connection, key): (&str, &str),
        keep_intent: bool,
    ) -> anyhow::Result<bool> {
        let run = self.run_id().to_owned();
        let held = held_tag(connection, key);
        let read = graph.get_application(app_object_id).await?.map(|a| a.tags);
        let dropped = read.as_ref().is_some_and(|tags| !tags.contains(&held));
        self.edit_tags_on(graph, app_object_id, Some(read), |tags| {
            let gone = |t: &str| !keep_intent && Pending::parse(t).is_some_and(|p| p.run == run);
            retag(tags, std::slice::from_ref(&held), gone)
        })
        .await?;
        Ok(dropped)
    }
}
