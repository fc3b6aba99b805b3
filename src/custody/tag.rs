//! The grammar of this tool's tags on its app ([`Tag`]), Graph's rules for
//! them, and what a list of tags says: who holds which secret, and which
//! runs meant to add one ([`Pending`]). Parsed and written only here.

use super::{SKEW_SECS, WINDOW};

/// The tag that marks an app as this tool's (`aad-setup`).
pub const OWNER: &str = crate::guide::APP_TAG;

/// The prefix every other tag of this tool begins with.
const PREFIX: &str = "aad-setup:";

/// Graph's rules for one tag: 1 to 256 characters, no whitespace.
pub const TAG_MAX: usize = 256;

/// A tag of this tool on its app: the one grammar, parsed and written
/// only here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tag {
    /// `aad-setup`: the app is this tool's.
    Owner,
    /// `aad-setup:pending-secret:<run>:<unix>[:<keyId>]`: a secret in flight.
    Pending(Pending),
    /// `aad-setup:connection-secret:<connectionId>:<keyId>`: that
    /// connection holds `<keyId>`.
    Held { connection: String, key: String },
    /// `aad-setup:handed-secret:<keyId>`: a person was handed `<keyId>`.
    Handed { key: String },
    /// `aad-setup:previous-connection:<connectionId>`: the connection a
    /// rotation in progress replaced (issue 17's renewal).
    Previous { connection: String },
}

const HELD: &str = "connection-secret:";
const HANDED: &str = "handed-secret:";
const PENDING: &str = "pending-secret:";
const PREVIOUS: &str = "previous-connection:";

impl Tag {
    /// A tag of this tool, or `None` for anyone else's (or a malformed one).
    pub fn parse(tag: &str) -> Option<Tag> {
        if tag == OWNER {
            return Some(Tag::Owner);
        }
        let rest = tag.strip_prefix(PREFIX)?;
        if let Some(rest) = rest.strip_prefix(PENDING) {
            let mut parts = rest.split(':');
            let run = parts.next().filter(|r| !r.is_empty())?.to_owned();
            let since = parts.next()?.parse().ok()?;
            let key = parts.next().filter(|k| !k.is_empty()).map(str::to_owned);
            if parts.next().is_some() {
                return None;
            }
            return Some(Tag::Pending(Pending { run, since, key }));
        }
        if let Some(rest) = rest.strip_prefix(HELD) {
            let (connection, key) = rest.rsplit_once(':')?;
            if connection.is_empty() || key.is_empty() {
                return None;
            }
            return Some(Tag::Held {
                connection: connection.to_owned(),
                key: key.to_owned(),
            });
        }
        if let Some(key) = rest.strip_prefix(HANDED) {
            return (!key.is_empty()).then(|| Tag::Handed {
                key: key.to_owned(),
            });
        }
        let connection = rest.strip_prefix(PREVIOUS)?;
        (!connection.is_empty()).then(|| Tag::Previous {
            connection: connection.to_owned(),
        })
    }

    /// This tag, checked against Graph's rules for a tag (1 to 256
    /// characters, no whitespace): what a write of it would be refused for.
    pub fn checked(self) -> anyhow::Result<Tag> {
        check_tag(&self.to_string())?;
        Ok(self)
    }

    /// The key id this tag names, if any.
    pub fn key(&self) -> Option<&str> {
        match self {
            Tag::Pending(p) => p.key.as_deref(),
            Tag::Held { key, .. } | Tag::Handed { key } => Some(key),
            Tag::Owner | Tag::Previous { .. } => None,
        }
    }
}

impl std::fmt::Display for Tag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Tag::Owner => f.write_str(OWNER),
            Tag::Pending(Pending {
                run,
                since,
                key: Some(k),
            }) => write!(f, "{PREFIX}{PENDING}{run}:{since}:{k}"),
            Tag::Pending(Pending {
                run,
                since,
                key: None,
            }) => write!(f, "{PREFIX}{PENDING}{run}:{since}"),
            Tag::Held { connection, key } => write!(f, "{PREFIX}{HELD}{connection}:{key}"),
            Tag::Handed { key } => write!(f, "{PREFIX}{HANDED}{key}"),
            Tag::Previous { connection } => write!(f, "{PREFIX}{PREVIOUS}{connection}"),
        }
    }
}

/// Graph's rules for one tag (1 to 256 characters, no whitespace).
fn check_tag(tag: &str) -> anyhow::Result<()> {
    let n = tag.chars().count();
    if n == 0 || n > TAG_MAX || tag.chars().any(char::is_whitespace) {
        anyhow::bail!(
            "the tag {tag:?} breaks Graph's rules for a tag (1 to {TAG_MAX} characters, no whitespace), so it cannot be written"
        );
    }
    Ok(())
}

/// Graph's rules for an app's tags: each tag's, and no duplicates.
pub fn check_tags(tags: &[String]) -> anyhow::Result<()> {
    for (i, t) in tags.iter().enumerate() {
        check_tag(t)?;
        if tags[..i].contains(t) {
            anyhow::bail!("the tag {t:?} appears twice, which Graph refuses");
        }
    }
    Ok(())
}

/// The most tags of this tool (besides [`OWNER`]) an app may carry: one
/// per connection that holds a secret, one per secret handed to a person,
/// and the intents of runs in flight. A write that would add one past it is
/// refused (the run stops; before `addPassword`, nothing is added), and the
/// error says how to make room: the tags of secrets removed in the portal
/// go with the next run's sweep.
pub const MAX_OWN_TAGS: usize = 64;

/// The bound on the app's tags of this tool ([`MAX_OWN_TAGS`]): a write
/// from `before` to `after` that grows them past it is refused; one that
/// shrinks them (or keeps their number) never is.
pub fn check_bound(app_object_id: &str, before: &[String], after: &[String]) -> anyhow::Result<()> {
    let ours = |tags: &[String]| parsed(tags).filter(|t| *t != Tag::Owner).count();
    let (was, now) = (ours(before), ours(after));
    if now > MAX_OWN_TAGS && now > was {
        anyhow::bail!(
            "the app {app_object_id} would carry {now} tags of this tool, more than the {MAX_OWN_TAGS} it allows itself: remove the client secrets no one uses in the Azure portal (App registrations > Certificates & secrets); the next run drops their tags"
        );
    }
    Ok(())
}

/// The app's tags of this tool, parsed.
pub fn parsed(tags: &[String]) -> impl Iterator<Item = Tag> + '_ {
    tags.iter().filter_map(|t| Tag::parse(t))
}

/// `aad-setup:connection-secret:<connection>:<key>`.
pub fn held_tag(connection: &str, key: &str) -> String {
    Tag::Held {
        connection: connection.to_owned(),
        key: key.to_owned(),
    }
    .to_string()
}

/// `aad-setup:handed-secret:<key>`.
pub fn handed_tag(key: &str) -> String {
    Tag::Handed {
        key: key.to_owned(),
    }
    .to_string()
}

/// `aad-setup:previous-connection:<connection>`.
pub fn previous_tag(connection: &str) -> String {
    Tag::Previous {
        connection: connection.to_owned(),
    }
    .to_string()
}

/// The connections the app's tags name as replaced by a rotation in
/// progress.
pub fn previous_ids(tags: &[String]) -> Vec<String> {
    parsed(tags)
        .filter_map(|t| match t {
            Tag::Previous { connection } => Some(connection),
            _ => None,
        })
        .collect()
}

/// Does `tag` name a connection held or handed secret (someone holds one)?
pub fn is_holding(tag: &str) -> bool {
    matches!(Tag::parse(tag), Some(Tag::Held { .. } | Tag::Handed { .. }))
}

/// Is `tag` the held tag of `connection` (any key)?
pub fn is_held_by(tag: &str, connection: &str) -> bool {
    matches!(Tag::parse(tag), Some(Tag::Held { connection: c, .. }) if c == connection)
}

/// A pending tag, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub run: String,
    /// When the run wrote its intent (Unix seconds).
    pub since: i64,
    /// The secret it added, once known.
    pub key: Option<String>,
}

impl Pending {
    pub fn parse(tag: &str) -> Option<Pending> {
        match Tag::parse(tag)? {
            Tag::Pending(p) => Some(p),
            _ => None,
        }
    }

    /// Was something made at `at` (Unix seconds) within this intent's
    /// window ([`WINDOW`])?
    pub fn explains(&self, at: i64) -> bool {
        let end = self
            .since
            .saturating_add(i64::try_from(WINDOW.as_secs()).unwrap_or(i64::MAX));
        at >= self.since - SKEW_SECS && at <= end
    }

    pub fn tag(&self) -> String {
        Tag::Pending(self.clone()).to_string()
    }
}

/// Does some tag say that someone holds `key`?
pub fn is_held(tags: &[String], key: &str) -> bool {
    parsed(tags)
        .any(|t| matches!(&t, Tag::Held { key: k, .. } | Tag::Handed { key: k } if k == key))
}

/// Does some tag of this tool name `key` at all (held, handed or pending)?
pub(super) fn is_named(tags: &[String], key: &str) -> bool {
    parsed(tags).any(|t| t.key() == Some(key))
}

/// The connections the app's tags say hold a secret: (connection, key).
pub fn holders(tags: &[String]) -> Vec<(String, String)> {
    parsed(tags)
        .filter_map(|t| match t {
            Tag::Held { connection, key } => Some((connection, key)),
            _ => None,
        })
        .collect()
}

/// The app's tags with `add` added and every tag `gone` says removed.
pub fn retag(tags: &[String], add: &[String], gone: impl Fn(&str) -> bool) -> Vec<String> {
    let mut out: Vec<String> = tags.iter().filter(|t| !gone(t)).cloned().collect();
    for t in add {
        if !out.contains(t) {
            out.push(t.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_800_000_000;

    #[test]
    fn every_tag_round_trips_and_graphs_rules_are_checked() {
        let all = [
            Tag::Owner,
            Tag::Pending(Pending {
                run: "r".into(),
                since: T0,
                key: None,
            }),
            Tag::Pending(Pending {
                run: "r".into(),
                since: T0,
                key: Some("k".into()),
            }),
            Tag::Held {
                connection: "c".into(),
                key: "k".into(),
            },
            Tag::Handed { key: "k".into() },
            Tag::Previous {
                connection: "c".into(),
            },
        ];
        for tag in all {
            assert_eq!(Tag::parse(&tag.to_string()), Some(tag.clone()), "{tag}");
            assert!(tag.checked().is_ok());
        }
        assert_eq!(held_tag("c1", "k1"), "aad-setup:connection-secret:c1:k1");
        assert_eq!(handed_tag("k1"), "aad-setup:handed-secret:k1");
        assert_eq!(previous_tag("c1"), "aad-setup:previous-connection:c1");
        // Someone else's tags, and ours malformed, are not ours.
        for other in [
            "WindowsAzureActiveDirectoryIntegratedApp",
            "aad-setup:",
            "aad-setup:connection-secret:c",
            "aad-setup:handed-secret:",
            "aad-setup:previous-connection:",
            "aad-setup:something-else:x",
        ] {
            assert_eq!(Tag::parse(other), None, "{other}");
        }
        // Graph's rules: 1 to 256 characters, no whitespace, no duplicates.
        let long = Tag::Held {
            connection: "c".repeat(240),
            key: "k".repeat(36),
        };
        assert!(long.checked().is_err());
        let spaced = Tag::Handed { key: "a b".into() };
        assert!(spaced.checked().is_err());
        assert!(check_tags(&["a".into(), "b".into()]).is_ok());
        assert!(check_tags(&["a".into(), "a".into()]).is_err());
        assert!(check_tags(&[String::new()]).is_err());
    }

    #[test]
    fn the_tools_tags_on_an_app_are_bounded_but_never_kept_from_shrinking() {
        let many: Vec<String> = std::iter::once(OWNER.to_owned())
            .chain((0..MAX_OWN_TAGS).map(|i| handed_tag(&format!("k{i}"))))
            .collect();
        let mut one_more = many.clone();
        one_more.push(held_tag("c", "k"));
        assert!(check_bound("app", &many, &many).is_ok());
        let refused = check_bound("app", &many, &one_more)
            .unwrap_err()
            .to_string();
        assert!(refused.contains("Certificates & secrets"), "{refused}");
        // Past the bound already (an earlier version): any write that does
        // not grow them still goes through.
        assert!(check_bound("app", &one_more, &many).is_ok());
        assert!(check_bound("app", &one_more, &one_more).is_ok());
        // Someone else's tags do not count.
        let mut theirs = many.clone();
        theirs.push("team:x".into());
        assert!(check_bound("app", &many, &theirs).is_ok());
    }

    #[test]
    fn pending_tags_round_trip() {
        let p = Pending {
            run: "abc".into(),
            since: T0,
            key: Some("k1".into()),
        };
        assert_eq!(Pending::parse(&p.tag()), Some(p.clone()));
        let intent = Pending { key: None, ..p };
        assert_eq!(Pending::parse(&intent.tag()), Some(intent));
        assert_eq!(Pending::parse("aad-setup:pending-secret:"), None);
        assert_eq!(
            Pending::parse("aad-setup:pending-secret:r:notanumber"),
            None
        );
        assert_eq!(Pending::parse("aad-setup:connection-secret:c:k"), None);
    }
}
