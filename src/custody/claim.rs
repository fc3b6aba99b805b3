//! Whose a platform connection of the tool's name is: this tool's only when
//! a tag on the app or the local record says so ([`claim`]); before anything
//! is written, every such connection must be ([`claim_all`]); and which
//! other run, still in flight, made one ([`Custody::in_flight_maker`]).

use super::custodian::Custody;
use super::runs::alive;
use super::tag::{Pending, holders};

/// Why a platform connection of the tool's name is this tool's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The local record names its id.
    Recorded,
    /// A held tag on the app names its id.
    Tagged,
    /// It was made within the window of an intent on the app (a run that
    /// stopped between making it and tagging it): the run named.
    Intent(String),
}

/// Is the connection `id`, made at `created_at` (as the platform says),
/// provably this tool's? Only a tag on the app (a held tag naming its id,
/// or an intent whose window it was made in) or the local record says so;
/// a name says nothing, since anyone can give a connection the tool's name.
pub fn claim(
    id: &str,
    created_at: Option<&str>,
    tags: &[String],
    recorded: Option<&str>,
) -> Option<Claim> {
    if recorded == Some(id) {
        return Some(Claim::Recorded);
    }
    if holders(tags).iter().any(|(c, _)| c == id) {
        return Some(Claim::Tagged);
    }
    let made = created_at?.parse::<jiff::Timestamp>().ok()?.as_second();
    tags.iter()
        .filter_map(|t| Pending::parse(t))
        .find(|p| p.explains(made))
        .map(|p| Claim::Intent(p.run))
}

/// Before anything is written (`setup`, `rotate`, `remove`): every platform
/// connection of the tool's name `base` (or one a rotation gave it) must be
/// provably this tool's ([`claim`]). One that merely has the name is
/// someone's: the run stops (exit 2) naming it, unless `replace`
/// (`--replace`) takes it over. `tags`: the app's tags as found (none when
/// there is no app yet); `recorded`: the connection the local record names.
pub fn claim_all(
    base: &str,
    connections: &[crate::platform::types::Connection],
    tags: &[String],
    recorded: Option<&str>,
    replace: bool,
) -> anyhow::Result<()> {
    if replace {
        return Ok(());
    }
    let foreign: Vec<&crate::platform::types::Connection> = connections
        .iter()
        .filter(|c| crate::platform::naming::is_ours(&c.name, base))
        .filter(|c| claim(&c.id, c.created_at.as_deref(), tags, recorded).is_none())
        .collect();
    let Some(first) = foreign.first() else {
        return Ok(());
    };
    let named = foreign
        .iter()
        .map(|c| format!("\"{}\" ({})", c.name, c.id))
        .collect::<Vec<_>>()
        .join(", ");
    Err(crate::error::Failure::new(
        crate::error::Kind::Usage,
        format!(
            "the platform has a connection named {named} that this tool cannot tell it made (no tag on the app and no local record names it): it may be someone's own, so nothing was changed"
        ),
    )
    .with_hint(format!(
        "pass --replace to take it over ({} is then replaced or deleted like the tool's own), or choose another --connection-name",
        if foreign.len() == 1 { first.id.as_str() } else { "each" }
    ))
    .into())
}

impl Custody {
    /// The run, other than this one and still in flight (alive here, or within
    /// its lease elsewhere, and not reclaimed), whose intent on the app explains
    /// a connection made at `created_at`: that run's to hand its secret to.
    pub fn in_flight_maker(
        &self,
        tags: &[String],
        created_at: Option<&str>,
        reclaim: &[String],
    ) -> Option<String> {
        let made = created_at?.parse::<jiff::Timestamp>().ok()?.as_second();
        let own = self.run_id().to_owned();
        let now = jiff::Timestamp::now().as_second();
        let state_dir = self.state_dir.as_path();
        tags.iter()
            .filter_map(|t| Pending::parse(t))
            .filter(|p| p.run != own && !reclaim.contains(&p.run) && p.explains(made))
            .find(|p| alive(state_dir, p, now, self.lease))
            .map(|p| p.run)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::custody::tag::held_tag;

    const T0: i64 = 1_800_000_000;

    fn at(secs: i64) -> String {
        jiff::Timestamp::from_second(secs).unwrap().to_string()
    }

    #[test]
    fn a_connection_is_ours_only_when_a_tag_or_the_record_names_it() {
        let intent = Pending {
            run: "r".into(),
            since: T0,
            key: None,
        };
        let tags = vec![held_tag("c-tagged", "k"), intent.tag()];
        assert_eq!(
            claim("c-rec", None, &[], Some("c-rec")),
            Some(Claim::Recorded)
        );
        assert_eq!(claim("c-tagged", None, &tags, None), Some(Claim::Tagged));
        assert_eq!(
            claim("c-new", Some(&at(T0 + 60)), &tags, None),
            Some(Claim::Intent("r".into()))
        );
        // Made long after the intent's window, or with no tag at all: someone's.
        assert_eq!(claim("c-late", Some(&at(T0 + 7_200)), &tags, None), None);
        assert_eq!(claim("c-x", Some(&at(T0)), &[], None), None);
    }
}
