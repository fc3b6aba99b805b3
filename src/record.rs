//! The local record of what a run created: ids only (and `connect`'s
//! fingerprint of its values), never a secret.
//!
//! It lets an interrupted or repeated run find its app even while Entra's
//! listing has not caught up (replication), and know which secret the
//! platform connection holds. One JSON file per tenant and app name under the
//! state directory.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct Record {
    pub tenant_id: String,
    pub app_name: String,
    pub app_object_id: Option<String>,
    pub app_id: Option<String>,
    /// The secret the platform connection holds.
    pub secret_key_id: Option<String>,
    /// Secrets handed to a person from this machine (`--secret-file`,
    /// `--show-secret`, `--keep-secret-on-failure`): never swept, even if
    /// a late write on the app lost their tag.
    pub handed_key_ids: Vec<String>,
    pub connection_id: Option<String>,
    pub integration_id: Option<String>,
    pub team: Option<String>,
    /// The Resource the connection was given (`rotate` gives it again).
    pub resource: Option<String>,
    /// `connect`: a fingerprint of the values the connection was given (a
    /// SHA-256 over the connection id and the values, the secret among
    /// them; never the secret itself), so that the same values again reuse
    /// it.
    pub connection_values: Option<String>,
    pub updated_at: Option<String>,
}

pub(crate) struct Store {
    path: PathBuf,
}

impl Store {
    pub(crate) fn new(state_dir: &Path, tenant_id: &str, app_name: &str) -> Store {
        let safe: String = app_name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        Store {
            path: state_dir.join(tenant_id).join(format!("{safe}.json")),
        }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The record, or an empty one (a missing or unreadable record is not an
    /// error: the run falls back to looking things up).
    pub(crate) fn load(&self, tenant_id: &str, app_name: &str) -> Record {
        let record = std::fs::read_to_string(&self.path)
            .ok()
            .and_then(|s| serde_json::from_str::<Record>(&s).ok())
            .filter(|r| r.tenant_id == tenant_id && r.app_name == app_name);
        record.unwrap_or_else(|| Record {
            tenant_id: tenant_id.to_owned(),
            app_name: app_name.to_owned(),
            ..Record::default()
        })
    }

    /// Writes the record atomically (temp file + rename).
    pub(crate) fn save(&self, record: &Record) -> anyhow::Result<()> {
        let dir = self
            .path
            .parent()
            .context("the record path has no folder")?;
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating the state folder {}", dir.display()))?;
        let mut record = record.clone();
        record.updated_at = Some(jiff::Timestamp::now().to_string());
        let tmp = self.path.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(&record)?)
            .with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &self.path)
            .with_context(|| format!("writing {}", self.path.display()))?;
        Ok(())
    }

    pub(crate) fn remove(&self) -> anyhow::Result<()> {
        match std::fs::remove_file(&self.path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_record_loads_back_only_for_its_tenant_and_app() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path(), "t1", "my app/x");
        let mut record = store.load("t1", "my app/x");
        assert_eq!(record.app_object_id, None);
        record.app_object_id = Some("obj".into());
        store.save(&record).unwrap();
        assert_eq!(
            store.load("t1", "my app/x").app_object_id.as_deref(),
            Some("obj")
        );
        assert!(store.path().ends_with("t1/my_app_x.json"));
        store.remove().unwrap();
        assert_eq!(store.load("t1", "my app/x").app_object_id, None);
    }
}
