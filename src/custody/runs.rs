//! Runs, as other runs see them: each run's lock under the state directory
//! ([`RunLock`]), and whether the run behind an intent is still alive
//! ([`alive`]): its lock on this machine, its lease seen from another.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::tag::Pending;

/// A run's lock under the state directory (`runs/<run>.lock`): held
/// while the run lives, by the operating system's file lock on every
/// shipped OS (`flock` on Unix, `LockFileEx` on Windows: the standard
/// library's [`std::fs::File::try_lock`]), so that it is let go however
/// the process ends. A run that ends (its [`Custody`](super::Custody) dropped) records
/// `runs/<run>.ended` first, then unlocks and deletes its lock file: the
/// next run here still tells a finished run from a live one at once.
/// A killed run leaves its lock file, free: gone as well. Markers and free
/// lock files older than the lease say nothing the lease does not, and
/// are deleted by the next run.
#[derive(Debug)]
pub struct RunLock {
    pub run: String,
    dir: PathBuf,
    // Keeps the lock while the run lives; the OS lets go of it at exit.
    file: Option<std::fs::File>,
}

impl RunLock {
    /// A new run id, locked (a run that cannot lock still works: other
    /// runs then fall back to the lease for it). What runs before it left
    /// and no longer tells anything (older than `lease`) is tidied.
    pub fn acquire(state_dir: &Path, lease: Duration) -> RunLock {
        let run = format!("{:012x}", rand::random::<u64>() & 0xffff_ffff_ffff);
        let dir = runs_dir(state_dir);
        tidy(&dir, lease);
        let file = std::fs::create_dir_all(&dir)
            .ok()
            .and_then(|()| std::fs::File::create(dir.join(format!("{run}.lock"))).ok())
            .filter(lock);
        RunLock { run, dir, file }
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        let Some(file) = self.file.take() else {
            return;
        };
        // "Ended" first, so that no one sees the run neither locked nor
        // ended; then the lock goes (closed before it is deleted, as
        // Windows requires).
        let ended = std::fs::File::create(self.dir.join(format!("{}.ended", self.run))).is_ok();
        drop(file);
        if ended {
            let _ = std::fs::remove_file(self.dir.join(format!("{}.lock", self.run)));
        }
    }
}

/// Deletes the `.ended` markers and free lock files older than `lease`:
/// by then the lease alone says those runs are gone.
fn tidy(dir: &Path, lease: Duration) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > lease);
        if !old {
            continue;
        }
        match path.extension().and_then(|e| e.to_str()) {
            Some("ended") => {
                let _ = std::fs::remove_file(&path);
            }
            Some("lock") => {
                let free = std::fs::File::open(&path).is_ok_and(|f| lock(&f));
                if free {
                    let _ = std::fs::remove_file(&path);
                }
            }
            _ => {}
        }
    }
}

fn runs_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("runs")
}

/// Takes the file's lock without waiting: false when another process
/// holds it (or locks are not supported there).
fn lock(file: &std::fs::File) -> bool {
    file.try_lock().is_ok()
}

/// Is run `run` alive? On this machine its lock says (an ended run's
/// marker, or a free lock: gone; a held lock: alive); a run this machine
/// does not know is judged by its lease.
pub fn alive(state_dir: &Path, pending: &Pending, now: i64, lease: Duration) -> bool {
    let dir = runs_dir(state_dir);
    if dir.join(format!("{}.ended", pending.run)).exists() {
        return false;
    }
    if let Ok(file) = std::fs::File::open(dir.join(format!("{}.lock", pending.run))) {
        // Locked by someone else: alive. Free: the run is gone.
        return !lock(&file);
    }
    let age = now.saturating_sub(pending.since);
    u64::try_from(age).is_ok_and(|age| age < lease.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::custody::DEFAULT_LEASE;

    const T0: i64 = 1_800_000_000;

    #[test]
    fn a_run_is_alive_while_its_lock_is_held_and_a_stranger_by_its_lease() {
        let dir = tempfile::tempdir().unwrap();
        let lock = RunLock::acquire(dir.path(), DEFAULT_LEASE);
        let mine = Pending {
            run: lock.run.clone(),
            since: T0,
            key: None,
        };
        assert!(alive(dir.path(), &mine, T0 + 10_000, Duration::ZERO));
        // A killed run leaves its lock file, unlocked: gone at once.
        let killed = Pending {
            run: "killed".into(),
            since: T0,
            key: None,
        };
        std::fs::write(dir.path().join("runs").join("killed.lock"), "").unwrap();
        assert!(!alive(dir.path(), &killed, T0, Duration::from_secs(60)));
        // A run that ends records so and deletes its lock file: gone at
        // once, not after its lease.
        let runs = dir.path().join("runs");
        drop(lock);
        assert!(!runs.join(format!("{}.lock", mine.run)).exists());
        assert!(runs.join(format!("{}.ended", mine.run)).exists());
        assert!(!alive(dir.path(), &mine, T0, DEFAULT_LEASE));
        let stranger = Pending {
            run: "elsewhere".into(),
            since: T0,
            key: None,
        };
        assert!(alive(
            dir.path(),
            &stranger,
            T0 + 59,
            Duration::from_secs(60)
        ));
        assert!(!alive(
            dir.path(),
            &stranger,
            T0 + 60,
            Duration::from_secs(60)
        ));
    }

    #[test]
    fn what_ended_and_killed_runs_left_is_tidied_once_the_lease_says_as_much() {
        let dir = tempfile::tempdir().unwrap();
        let runs = dir.path().join("runs");
        std::fs::create_dir_all(&runs).unwrap();
        let old = std::time::SystemTime::now() - Duration::from_secs(7_200);
        for name in [
            "old.ended",
            "old-killed.lock",
            "new.ended",
            "new-killed.lock",
        ] {
            let file = std::fs::File::create(runs.join(name)).unwrap();
            if name.starts_with("old") {
                file.set_modified(old).unwrap();
            }
        }
        // A live run's lock, however old, is never deleted.
        let live = RunLock::acquire(dir.path(), DEFAULT_LEASE);
        let live_lock = runs.join(format!("{}.lock", live.run));
        std::fs::File::options()
            .write(true)
            .open(&live_lock)
            .unwrap()
            .set_modified(old)
            .unwrap();
        let next = RunLock::acquire(dir.path(), Duration::from_secs(3_600));
        let left: std::collections::BTreeSet<String> = std::fs::read_dir(&runs)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            !left.contains("old.ended") && !left.contains("old-killed.lock"),
            "{left:?}"
        );
        assert!(
            left.contains("new.ended") && left.contains("new-killed.lock"),
            "{left:?}"
        );
        assert!(live_lock.exists() && left.contains(&format!("{}.lock", next.run)));
    }
}
