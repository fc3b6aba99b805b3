//! `setup --save PATH`: after a setup, the target it set up is added to
//! the fleet file at PATH (or the target of the same tenant, app and
//! platform is updated), so that `setup --file PATH` repeats it without
//! questions. The file's comments and layout are kept (toml_edit). Secrets
//! are named, never written: a token file's path or name as it was given,
//! else the variables the run read them from.

use std::path::Path;

use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, value};

use crate::cli::{Flag, SetupArgs};
use crate::env::{self, Environment};

use super::file::{self, CLIENT_SECRET_ENV, PLATFORM_TOKEN_ENV};

/// The keys and values to save for this run: the flags that were typed,
/// else their variables (not the defaults: those stay the tool's).
pub(crate) fn entries(args: &SetupArgs, env: &Environment) -> Vec<(String, toml_edit::Value)> {
    let mut out: Vec<(String, toml_edit::Value)> = Vec::new();
    // A flag's value as typed, else its variable's (from the flag table),
    // else the `also` variables the run falls back to.
    let mut text = |flag: Flag, typed: Option<String>, also: &[&str]| {
        let found = typed.or_else(|| flag.variable().iter().chain(also).find_map(|v| env.var(v)));
        if let Some(v) = found {
            out.push((flag.name().to_owned(), v.into()));
        }
    };
    let m = &args.microsoft;
    let p = &args.platform;
    let a = &args.app;
    let s = &args.secret;
    let path = |p: &Option<std::path::PathBuf>| p.as_ref().map(|p| p.display().to_string());
    let auth = m
        .auth
        .and_then(|c| clap::ValueEnum::to_possible_value(&c))
        .map(|v| v.get_name().to_owned());
    let cloud = m
        .cloud
        .and_then(|c| clap::ValueEnum::to_possible_value(&c))
        .map(|v| v.get_name().to_owned());
    text(Flag::Tenant, m.tenant.clone(), &[env::AZURE_TENANT_ID]);
    text(Flag::Auth, auth, &[]);
    text(Flag::ClientId, m.client_id.clone(), &[env::AZURE_CLIENT_ID]);
    text(Flag::ClientSecretFile, path(&m.client_secret_file), &[]);
    text(Flag::GraphTokenFile, path(&m.graph_token_file), &[]);
    text(Flag::Cloud, cloud, &[]);
    text(Flag::LoginUrl, m.login_url.clone(), &[]);
    text(Flag::GraphUrl, m.graph_url.clone(), &[]);
    text(Flag::PlatformUrl, p.target.platform_url.clone(), &[]);
    text(
        Flag::PlatformTokenFile,
        p.target.platform_token_file.clone(),
        &[],
    );
    text(Flag::Integration, p.target.integration.clone(), &[]);
    text(Flag::ConnectionName, p.target.connection_name.clone(), &[]);
    text(Flag::Resource, p.resource.clone(), &[]);
    text(Flag::AppName, a.app_name.clone(), &[]);
    text(Flag::AppId, a.app_id.clone(), &[]);
    text(Flag::RedirectUri, a.redirect_uri.clone(), &[]);
    text(Flag::Api, a.api.clone(), &[]);
    text(Flag::Permission, a.permission.clone(), &[]);
    text(Flag::SecretDescription, s.secret_description.clone(), &[]);
    text(Flag::SecretExpiry, s.secret_expiry.clone(), &[]);
    let has = |out: &[(String, toml_edit::Value)], flag: Flag| {
        out.iter().any(|(key, _)| key == flag.name())
    };
    if !has(&out, Flag::PlatformTokenFile) && env.var(env::CATALYTIC_TOKEN).is_some() {
        out.push((PLATFORM_TOKEN_ENV.to_owned(), env::CATALYTIC_TOKEN.into()));
    }
    if !has(&out, Flag::ClientSecretFile) && env.var(env::AZURE_CLIENT_SECRET).is_some() {
        out.push((
            CLIENT_SECRET_ENV.to_owned(),
            env::AZURE_CLIENT_SECRET.into(),
        ));
    }
    if !p.fields.is_empty() {
        let list: toml_edit::Array = p.fields.iter().map(String::as_str).collect();
        out.push((Flag::Field.name().to_owned(), list.into()));
    }
    for (flag, on) in [
        (Flag::AdminConsent, args.admin_consent),
        (Flag::Adopt, a.adopt),
        (Flag::KeepSecretOnFailure, s.keep_secret_on_failure),
    ] {
        if on || flag.variable().is_some_and(|var| env.flag(var)) {
            out.push((flag.name().to_owned(), true.into()));
        }
    }
    out
}

/// The keys that say which target a run is: a saved run updates the target
/// they match (case aside), else adds one.
const IDENTITY: [&str; 4] = ["tenant", "app-name", "platform-url", "connection-name"];

/// Adds or updates the target in the file at `path`; returns its name.
pub(crate) fn save(path: &Path, entries: &[(String, toml_edit::Value)]) -> anyhow::Result<String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => anyhow::bail!("cannot read {}: {e}", path.display()),
    };
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e| anyhow::anyhow!("{} is not valid TOML: {e}", path.display()))?;
    let defaults = Defaults::of(&doc);
    let identity = IDENTITY.map(|key| {
        entries
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.as_str().map(str::to_owned))
            .or_else(|| defaults.get(key))
    });
    // The file's trailing comment goes with the first target, above it.
    let trailing = if doc.get("target").is_none() {
        let t = doc.trailing().as_str().unwrap_or_default().to_owned();
        doc.set_trailing("");
        t
    } else {
        String::new()
    };
    let targets = doc
        .entry("target")
        .or_insert(Item::ArrayOfTables(ArrayOfTables::new()))
        .as_array_of_tables_mut()
        .ok_or_else(|| anyhow::anyhow!("{}: `target` is not [[target]] tables", path.display()))?;
    let same = |t: &Table| {
        IDENTITY.iter().zip(&identity).all(|(k, want)| {
            let have = t
                .get(k)
                .and_then(Item::as_str)
                .map(str::to_owned)
                .or_else(|| defaults.get(k));
            have.map(|h| h.to_ascii_lowercase()) == want.as_ref().map(|w| w.to_ascii_lowercase())
        })
    };
    let names: Vec<String> = targets
        .iter()
        .filter_map(|t| t.get("name").and_then(Item::as_str).map(str::to_owned))
        .collect();
    let found = targets.iter().position(same);
    let name = match found.and_then(|i| targets.get_mut(i)) {
        Some(table) => defaults.update(table, entries),
        None => {
            let name = new_name(identity[0].as_deref(), &names);
            targets.push(defaults.new_target(&name, entries, &trailing));
            name
        }
    };
    let text = doc.to_string();
    file::parse(path, &text)?;
    std::fs::write(path, text)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    Ok(name)
}

/// The file's `[defaults]`: a target leaves out what they say.
struct Defaults(Vec<(String, String)>);

impl Defaults {
    fn of(doc: &DocumentMut) -> Defaults {
        Defaults(
            doc.get("defaults")
                .and_then(Item::as_table_like)
                .map(|t| {
                    t.iter()
                        .filter_map(|(k, v)| v.as_str().map(|v| (k.to_owned(), v.to_owned())))
                        .collect()
                })
                .unwrap_or_default(),
        )
    }

    fn get(&self, key: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }

    /// Is `key = v` what the defaults say already?
    fn says(&self, key: &str, v: &toml_edit::Value) -> bool {
        self.0
            .iter()
            .any(|(k, d)| k == key && Some(d.as_str()) == v.as_str())
    }

    /// The target found, with this run's entries (one the defaults now say
    /// is taken off it); returns its name.
    fn update(&self, table: &mut Table, entries: &[(String, toml_edit::Value)]) -> String {
        for (key, v) in entries {
            if self.says(key, v) {
                table.remove(key);
            } else {
                table[key.as_str()] = value(v.clone());
            }
        }
        table
            .get("name")
            .and_then(Item::as_str)
            .unwrap_or_default()
            .to_owned()
    }

    /// A new target `name` with this run's entries, but for what the
    /// defaults say; `trailing`: a comment to put above it.
    fn new_target(
        &self,
        name: &str,
        entries: &[(String, toml_edit::Value)],
        trailing: &str,
    ) -> Table {
        let mut table = Table::new();
        if !trailing.trim().is_empty() {
            table.decor_mut().set_prefix(trailing.to_owned());
        }
        table["name"] = value(name.to_owned());
        for (key, v) in entries {
            if !self.says(key, v) {
                table[key.as_str()] = value(v.clone());
            }
        }
        table
    }
}

/// A name for a new target: the tenant's first label (or its id's first
/// part), made unique.
fn new_name(tenant: Option<&str>, taken: &[String]) -> String {
    let base: String = tenant
        .and_then(|t| t.split(['.', '-']).next())
        .unwrap_or("target")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect::<String>()
        .to_ascii_lowercase();
    let base = if base.is_empty() {
        "target".to_owned()
    } else {
        base
    };
    let mut name = base.clone();
    let mut n = 2;
    while taken.iter().any(|t| t == &name) {
        name = format!("{base}-{n}");
        n += 1;
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_target_keeps_the_files_comments_and_is_updated_in_place() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("aad-setup.toml");
        std::fs::write(
            &path,
            "# our tenants\n[defaults]\nplatform-url = \"https://p.example\"\n\n# the first\n[[target]]\nname = \"contoso\"\ntenant = \"contoso.onmicrosoft.com\"\n",
        )
        .expect("write");
        let entries = vec![
            ("tenant".to_owned(), "fabrikam.onmicrosoft.com".into()),
            ("platform-url".to_owned(), "https://p.example".into()),
            ("platform-token-env".to_owned(), "CATALYTIC_TOKEN".into()),
        ];
        assert_eq!(save(&path, &entries).expect("saved"), "fabrikam");
        let mut again = entries.clone();
        again.push(("secret-expiry".to_owned(), "90d".into()));
        assert_eq!(save(&path, &again).expect("saved"), "fabrikam");
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.starts_with("# our tenants\n"), "{text}");
        assert!(text.contains("# the first"), "{text}");
        let file = file::parse(&path, &text).expect("valid");
        assert_eq!(file.targets.len(), 2, "{text}");
        assert_eq!(file.targets[1].text("secret-expiry"), Some("90d"));
        assert_eq!(text.matches("platform-url").count(), 1, "{text}");
    }
}
