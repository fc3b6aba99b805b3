//! Writing a secret to a file the user asked for: created new, mode 0600,
//! never over an existing file.

use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use secrecy::{ExposeSecret as _, SecretString};

pub(crate) fn write_new(path: &Path, secret: &SecretString) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("creating the secret file {}", path.display()))?;
    file.write_all(secret.expose_secret().as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing the secret file {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_private_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        write_new(&path, &SecretString::from("s3cret".to_owned())).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "s3cret\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        assert!(write_new(&path, &SecretString::from("other".to_owned())).is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "s3cret\n");
    }
}
