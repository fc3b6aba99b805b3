//! The release download path, run here against a local directory laid out
//! as GitHub's releases are: `install/install.sh` (and the Action's install
//! step, in action.rs) choose the archive for this machine, check its
//! SHA-256, refuse a mismatch without installing anything, and respect a
//! pinned version. The archives are made here from the test binary, named
//! and checksummed as the release workflow names them.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::Digest as _;

use crate::support::Run;

pub const INSTALL_SH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/install/install.sh");
const PACKAGE_SH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/.github/release/package.sh");

/// Every target the release workflow builds.
pub const TARGETS: [&str; 5] = [
    "x86_64-unknown-linux-musl",
    "aarch64-unknown-linux-musl",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-pc-windows-msvc",
];

/// The release target that runs on this machine.
pub fn host_target() -> &'static str {
    match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => TARGETS[0],
        ("linux", "aarch64") => TARGETS[1],
        ("macos", "x86_64") => TARGETS[2],
        ("macos", "aarch64") => TARGETS[3],
        other => panic!("no release target for {other:?}"),
    }
}

/// The old release's binary: a script that says which one it is.
pub const OLD_VERSION: &str = "v9.8.6";
pub const OLD_MARKER: &str = "aad-setup 9.8.6 (the pinned old release)";
/// The newest release: the real binary for this machine.
pub const NEW_VERSION: &str = "v9.8.7";

/// A directory of releases: `download/<tag>/<archive>` with `<archive>.sha256`
/// and `sha256sums.txt`, and `latest/download/` holding the newest.
pub struct Releases {
    pub dir: tempfile::TempDir,
}

impl Releases {
    /// A fresh copy of the releases (made once per test run: packing the
    /// binary is the slow part).
    pub fn new() -> Releases {
        static TEMPLATE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
        let template = TEMPLATE.get_or_init(|| {
            let at = Path::new(env!("CARGO_TARGET_TMPDIR")).join("install-releases");
            let _ = std::fs::remove_dir_all(&at);
            std::fs::create_dir_all(&at).unwrap();
            Releases::pack(&at);
            at
        });
        let dir = tempfile::tempdir().unwrap();
        copy_tree(template, dir.path());
        Releases { dir }
    }

    fn pack(dir: &Path) {
        let real = std::fs::read(env!("CARGO_BIN_EXE_aad-setup")).unwrap();
        let old = format!("#!/bin/sh\necho '{OLD_MARKER}'\n").into_bytes();
        for (tag, host_binary) in [(OLD_VERSION, &old), (NEW_VERSION, &real)] {
            let at = dir.join("download").join(tag);
            std::fs::create_dir_all(&at).unwrap();
            let mut sums = String::new();
            for target in TARGETS {
                // The other targets' archives hold a script that would
                // betray a wrong choice.
                let wrong = format!("#!/bin/sh\necho 'the {target} build: wrong archive'\n");
                let binary = if target == host_target() {
                    host_binary.as_slice()
                } else {
                    wrong.as_bytes()
                };
                let name = archive(&at, target, binary);
                let sum = hex(&sha2::Sha256::digest(
                    std::fs::read(at.join(&name)).unwrap(),
                ));
                // package.sh's checksum file is the archive's.
                let line = format!("{sum}  {name}\n");
                assert_eq!(
                    std::fs::read_to_string(at.join(format!("{name}.sha256"))).unwrap(),
                    line
                );
                sums.push_str(&line);
            }
            std::fs::write(at.join("sha256sums.txt"), sums).unwrap();
        }
        copy_tree(
            &dir.join("download").join(NEW_VERSION),
            &dir.join("latest/download"),
        );
    }

    /// The base URL, as AAD_SETUP_RELEASES_URL takes it.
    pub fn url(&self) -> String {
        format!("file://{}", self.dir.path().display())
    }

    /// The host's archive of a release (`latest` or a tag).
    pub fn host_archive(&self, version: &str) -> PathBuf {
        let at = match version {
            "latest" => self.dir.path().join("latest/download"),
            tag => self.dir.path().join("download").join(tag),
        };
        at.join(format!("aad-setup-{}.tar.gz", host_target()))
    }

    /// Replaces the host archive of a release with other bytes, leaving its
    /// checksum file saying what it said: a download that was tampered with.
    pub fn tamper(&self, version: &str) {
        let archive = self.host_archive(version);
        let staging = tempfile::tempdir().unwrap();
        let name = self::archive(
            staging.path(),
            host_target(),
            b"#!/bin/sh\necho 'tampered'\n",
        );
        std::fs::copy(staging.path().join(name), archive).unwrap();
    }
}

/// Packs `binary` with the release workflow's own packing script
/// (`.github/release/package.sh`) and returns the archive's file name; the
/// script writes its `.sha256` beside it.
fn archive(at: &Path, target: &str, binary: &[u8]) -> String {
    let staging = tempfile::tempdir().unwrap();
    let path = staging.path().join("binary");
    std::fs::write(&path, binary).unwrap();
    let out = Command::new("bash")
        .arg(PACKAGE_SH)
        .arg(target)
        .arg(&path)
        .arg(at)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "package.sh {target}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // It prints "<archive> <sha256>".
    let printed = String::from_utf8_lossy(&out.stdout);
    let (name, _) = printed.trim().split_once(' ').unwrap();
    name.to_owned()
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// PATH without any directory that holds an aad-setup (the developer's, or
/// the test binary's): the scripts must find none there.
pub fn path_without_aad_setup() -> std::ffi::OsString {
    let dirs = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .filter(|d| !d.join("aad-setup").exists())
        .collect::<Vec<_>>();
    std::env::join_paths(dirs).unwrap()
}

pub fn run(cmd: &mut Command) -> Run {
    let out = cmd
        .stdin(std::process::Stdio::null())
        .output()
        .expect("the script runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `sh install/install.sh ARGS` with a clean environment; dash where there
/// is one, as Debian's sh, which holds the script to POSIX.
fn install(releases: &Releases, home: &Path, args: &[&str]) -> Run {
    let shell = if Path::new("/bin/dash").exists() {
        "/bin/dash"
    } else {
        "sh"
    };
    run(Command::new(shell)
        .arg(INSTALL_SH)
        .args(args)
        .env_clear()
        .env("PATH", path_without_aad_setup())
        .env("HOME", home)
        .env("AAD_SETUP_RELEASES_URL", releases.url()))
}

fn version_of(binary: &Path) -> String {
    let out = Command::new(binary).arg("-V").output().unwrap();
    assert!(out.status.success(), "{} runs", binary.display());
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn the_install_script_installs_the_latest_archive_for_this_machine() {
    let releases = Releases::new();
    let home = tempfile::tempdir().unwrap();
    let run = install(&releases, home.path(), &[]);
    run.assert_code(0);
    let installed = home.path().join(".local/bin/aad-setup");
    assert_eq!(
        std::fs::read(&installed).unwrap(),
        std::fs::read(env!("CARGO_BIN_EXE_aad-setup")).unwrap(),
        "the real binary, from this machine's archive"
    );
    assert_eq!(
        version_of(&installed),
        format!("aad-setup {}", env!("CARGO_PKG_VERSION"))
    );
    assert!(run.stderr.contains("checksum ok"), "{}", run.stderr);
    assert!(run.stderr.contains(host_target()), "{}", run.stderr);
    // ~/.local/bin is not on this PATH: the script says how to add it.
    assert!(run.stderr.contains("not on PATH"), "{}", run.stderr);
}

#[test]
fn the_install_script_installs_a_pinned_version_where_it_is_told() {
    let releases = Releases::new();
    let home = tempfile::tempdir().unwrap();
    let to = home.path().join("tools");
    let run = install(
        &releases,
        home.path(),
        &["--version", OLD_VERSION, "--to", to.to_str().unwrap()],
    );
    run.assert_code(0);
    assert_eq!(version_of(&to.join("aad-setup")), OLD_MARKER);
    assert!(
        !home.path().join(".local").exists(),
        "only where it was told"
    );

    // The same as a bare number, replacing what is there.
    install(
        &releases,
        home.path(),
        &["--version", "9.8.7", "--to", to.to_str().unwrap()],
    )
    .assert_code(0);
    assert_eq!(
        version_of(&to.join("aad-setup")),
        format!("aad-setup {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn the_install_script_refuses_an_archive_whose_checksum_does_not_match() {
    let releases = Releases::new();
    releases.tamper("latest");
    let home = tempfile::tempdir().unwrap();
    let run = install(&releases, home.path(), &[]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("checksum mismatch") && run.stderr.contains("nothing installed"),
        "{}",
        run.stderr
    );
    assert!(
        !home.path().join(".local").exists(),
        "nothing installed, no directory made"
    );

    // Over an earlier install: it stays as it was.
    let to = home.path().join("tools");
    install(
        &releases,
        home.path(),
        &["--version", OLD_VERSION, "--to", to.to_str().unwrap()],
    )
    .assert_code(0);
    let run = install(&releases, home.path(), &["--to", to.to_str().unwrap()]);
    assert_ne!(run.code, 0);
    assert_eq!(version_of(&to.join("aad-setup")), OLD_MARKER);
    let left: Vec<_> = std::fs::read_dir(&to).unwrap().collect();
    assert_eq!(left.len(), 1, "no half-installed file beside it");
}

#[test]
fn the_install_script_refuses_a_release_without_its_checksum() {
    let releases = Releases::new();
    let archive = releases.host_archive(OLD_VERSION);
    std::fs::remove_file(archive.with_file_name(format!(
        "{}.sha256",
        archive.file_name().unwrap().to_str().unwrap()
    )))
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let run = install(&releases, home.path(), &["--version", OLD_VERSION]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("checksum"), "{}", run.stderr);
    assert!(!home.path().join(".local").exists());

    // A version that was never released: said so, nothing installed.
    let run = install(&releases, home.path(), &["--version", "v0.0.1"]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("v0.0.1"), "{}", run.stderr);
    assert!(!home.path().join(".local").exists());
}

/// What the tests above cannot run, read: the release workflow builds every
/// target the scripts download, packs with the script the tests use, and
/// writes its repository into the scripts it publishes.
#[test]
fn the_release_workflow_builds_and_names_what_the_scripts_download() {
    let read =
        |p: &str| std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(p)).unwrap();
    let yml = read(".github/workflows/release.yml");
    let mut built: Vec<&str> = yml
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- target: "))
        .collect();
    built.sort_unstable();
    let mut wanted = TARGETS.to_vec();
    wanted.sort_unstable();
    assert_eq!(built, wanted);
    assert!(yml.contains("tags: [\"v*\"]"));
    assert!(yml.contains("bash .github/release/package.sh ${{ matrix.target }}"));
    assert!(yml.contains("cat ./*.sha256 > sha256sums.txt"));
    assert_eq!(
        yml.matches("uses: actions/attest-build-provenance@")
            .count(),
        2
    );

    let sh = read("install/install.sh");
    let ps1 = read("install/install.ps1");
    assert!(yml.contains(r#"sed "s|ORG/aad-setup|${GITHUB_REPOSITORY}|""#));
    assert!(sh.contains(r#"repo="${AAD_SETUP_REPO:-ORG/aad-setup}""#));
    assert!(ps1.contains("else { 'ORG/aad-setup' }"));
    for target in TARGETS {
        let (cpu, rest) = target.split_once('-').unwrap();
        let picked = if target.contains("windows") {
            ps1.contains(&format!("$Target = '{target}'"))
        } else {
            sh.contains(&format!(r#"echo "$cpu-{rest}""#)) && ["x86_64", "aarch64"].contains(&cpu)
        };
        assert!(picked, "an install script picks {target}");
    }
}
