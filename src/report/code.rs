//! The stable codes of a result's `changes`, `unchanged`, `warnings` and
//! `nextSteps` (`--output json`): part of the contract, each listed with
//! its meaning in the command's JSON Schema (`src/schema/run.json`'s
//! `$defs/changeCode`, `unchangedCode`, `warningCode`, `nextStepCode`;
//! `src/schema/remove.json`'s changes). A test below holds this list and
//! the schemas to the same codes; the end-to-end suite fails on a code a
//! document carries that its schema lacks.

/// Where a code appears in a result.
#[cfg(test)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// `changes[]` of setup, register, rotate, connect.
    Change,
    /// `changes[]` of remove.
    Removal,
    /// `unchanged[]`.
    Unchanged,
    /// `warnings[]`.
    Warning,
    /// `nextSteps[]`.
    NextStep,
}

macro_rules! codes {
    ($($variant:ident = $code:literal, $($place:ident)+;)*) => {
        /// A result code. The same code may appear in more than one place
        /// (`consent.grant` is a change and a next step).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum Code {
            $($variant,)*
        }

        impl Code {
            /// Every code with where it appears, in the schemas' order.
            #[cfg(test)]
            pub(crate) const ALL: &[(Code, &[Place])] = &[$((Code::$variant, &[$(Place::$place),+]),)*];

            /// The code as the JSON carries it.
            pub(crate) fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $code,)*
                }
            }
        }
    };
}

codes! {
    AppCreate = "app.create", Change;
    AppUpdate = "app.update", Change;
    ServicePrincipalCreate = "service-principal.create", Change;
    AppTagHeldSecret = "app.tag-held-secret", Change;
    SecretCreate = "secret.create", Change;
    ConsentGrant = "consent.grant", Change NextStep;
    ConnectionCreate = "connection.create", Change;
    ConnectionReplace = "connection.replace", Change;
    RotationFinish = "rotation.finish", Change;

    ConnectionDelete = "connection.delete", Removal;
    AppDelete = "app.delete", Removal;

    AppKeep = "app.keep", Unchanged;
    SecretKeep = "secret.keep", Unchanged;
    ConsentKeep = "consent.keep", Unchanged;
    ConnectionKeep = "connection.keep", Unchanged;

    AppSecondHeld = "app.second-held", Warning;
    AppSecondNotRemoved = "app.second-not-removed", Warning;
    AppTagFailed = "app.tag-failed", Warning;
    ConnectionPreviousNotDeleted = "connection.previous-not-deleted", Warning;
    ConnectionStrayNotDeleted = "connection.stray-not-deleted", Warning;
    RotationInProgress = "rotation.in-progress", Warning;
    RotationNotFinished = "rotation.not-finished", Warning;
    RotationNotRecorded = "rotation.not-recorded", Warning;
    SecretKept = "secret.kept", Warning;
    SecretPreviousNotRemoved = "secret.previous-not-removed", Warning;
    SecretPreviousUnknown = "secret.previous-unknown", Warning;

    PlatformConnect = "platform.connect", NextStep;
    PlatformFinishConnection = "platform.finish-connection", NextStep;
    PlatformFix = "platform.fix", NextStep;
    SecretRotate = "secret.rotate", NextStep;
    RunAgain = "run-again", NextStep;
}

impl From<Code> for &'static str {
    fn from(code: Code) -> &'static str {
        code.as_str()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn schema(text: &str) -> serde_json::Value {
        serde_json::from_str(text).expect("a schema is JSON")
    }

    /// The codes a `oneOf` of `const` + `description` lists; each has a
    /// description.
    fn listed(one_of: &serde_json::Value) -> BTreeSet<String> {
        let items = one_of["oneOf"].as_array().expect("a oneOf of codes");
        items
            .iter()
            .map(|item| {
                let code = item["const"].as_str().expect("a const code");
                assert!(
                    item["description"].as_str().is_some_and(|d| !d.is_empty()),
                    "{code} has no description"
                );
                code.to_owned()
            })
            .collect()
    }

    fn ours(kind: Place) -> BTreeSet<String> {
        Code::ALL
            .iter()
            .filter(|(_, places)| places.contains(&kind))
            .map(|(c, _)| c.as_str().to_owned())
            .collect()
    }

    #[test]
    fn the_schemas_list_exactly_these_codes() {
        let run = schema(include_str!("../schema/run.json"));
        let remove = schema(include_str!("../schema/remove.json"));
        for (def, kind) in [
            ("changeCode", Place::Change),
            ("unchangedCode", Place::Unchanged),
            ("warningCode", Place::Warning),
            ("nextStepCode", Place::NextStep),
        ] {
            assert_eq!(
                listed(&run["$defs"][def]),
                ours(kind),
                "run.json $defs/{def}"
            );
        }
        assert_eq!(
            listed(&remove["properties"]["changes"]["items"]["properties"]["code"]),
            ours(Place::Removal),
            "remove.json changes"
        );
        let distinct: BTreeSet<&str> = Code::ALL.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(distinct.len(), Code::ALL.len(), "a code listed twice");
    }

    #[test]
    fn codes_are_lowercase_dotted_words() {
        for (code, _) in Code::ALL {
            let s = code.as_str();
            assert!(
                s.split('.').all(|part| !part.is_empty()
                    && part
                        .split('-')
                        .all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase()))),
                "{s}"
            );
        }
    }
}
