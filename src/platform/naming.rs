//! The connection-naming rule, in one place: the name a new connection
//! gets, and which names are the configured one or one a rotation gave it.
//! The steps that create connections and the ones that look them up both
//! read it here (a name alone never makes a connection this tool's: see
//! `crate::custody::claim`).

use super::types::Connection;

/// What a rotation adds to the configured name while the old connection
/// still holds it: `<base> (rotated <UTC time>)`.
const ROTATED: &str = " (rotated ";

/// Is `name` the connection name `base`, or one a rotation gave it?
pub fn is_ours(name: &str, base: &str) -> bool {
    name == base
        || name
            .strip_prefix(base)
            .is_some_and(|rest| rest.starts_with(ROTATED) && rest.ends_with(')'))
}

/// The name for a new connection: `base` when no connection of the
/// integration has it, else `base (rotated <UTC time>)`, so that the new
/// connection can exist beside the one it replaces.
pub fn replacement_name(base: &str, taken: &[Connection]) -> String {
    if !taken.iter().any(|c| c.name.eq_ignore_ascii_case(base)) {
        return base.to_owned();
    }
    let now = jiff::Timestamp::now().strftime("%Y-%m-%d %H:%M:%S");
    let mut name = format!("{base}{ROTATED}{now})");
    let mut n = 2;
    while taken.iter().any(|c| c.name.eq_ignore_ascii_case(&name)) {
        name = format!("{base}{ROTATED}{now} #{n})");
        n += 1;
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(name: &str) -> Connection {
        Connection {
            name: name.into(),
            ..Connection::default()
        }
    }

    #[test]
    fn a_replacement_gets_a_name_of_its_own_while_the_old_one_exists() {
        let base = "Azure AD (aad-setup)";
        assert_eq!(replacement_name(base, &[]), base);
        let rotated = replacement_name(base, &[conn(base)]);
        assert!(
            rotated.starts_with("Azure AD (aad-setup) (rotated "),
            "{rotated}"
        );
        assert!(is_ours(&rotated, base) && is_ours(base, base));
        assert!(!is_ours("Azure AD (aad-setup) copy", base));
        assert!(!is_ours("Azure AD (aad-setup) (rotated soon", base));
        // Back to the plain name once it is free.
        assert_eq!(replacement_name(base, &[conn(&rotated)]), base);
        let again = replacement_name(base, &[conn(base), conn(&rotated)]);
        assert_ne!(again, rotated);
    }
}
