//! Checks of given values that settings makes usage errors of (exit 2):
//! `--resource` ([`resource_arg`]) and a file the run will create
//! ([`check_new_file`]).

use std::path::Path;

use crate::error::usage;
use crate::validate;

/// `--resource`: an absolute URI (see [`validate::resource`]).
pub(super) fn resource_arg(value: Option<&str>) -> anyhow::Result<Option<String>> {
    value
        .map(|r| validate::resource(r).map_err(usage))
        .transpose()
}

/// A file the run will create: it must not exist, and its folder must.
pub(crate) fn check_new_file(what: &str, path: &Path) -> anyhow::Result<()> {
    if path.exists() {
        return Err(usage(format!(
            "{what} {} exists already; secrets are never written over an existing file",
            path.display()
        )));
    }
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !parent.is_dir() {
        return Err(usage(format!(
            "{what} {}: the folder {} does not exist",
            path.display(),
            parent.display()
        )));
    }
    Ok(())
}
