//! Figures for many targets from one file (README "Many targets from one
//! file", its bench): a fleet file of 100 targets (10 tenants × 10
//! platform teams, one emulator fleet behind one address), each new object
//! invisible for 5 s (the app before its service principal and secret can
//! be made, the new secret before it signs in), the tool's real backoff,
//! `--jobs 8`. A report, not a test: nothing here passes or fails.
//!
//!   cargo bench --bench fleet
//!   AAD_SETUP_BENCH_TARGETS=40 AAD_SETUP_BENCH_JOBS=8 cargo bench --bench fleet
//!
//! It reports: one target's wall time alone (measured first, in the same
//! run), the 100's wall time against 1.15 × ceil(100 / 8) × that, the peak
//! memory of the whole run (the fleet process, and it with its running
//! targets' processes at the worst moment), and a re-run of the converged
//! 100: its time and its writes (there must be none).

#![allow(clippy::print_stdout)] // a report on stdout is what it is for

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aad_setup_emulator::{EmulatorConfig, Fleet, ReplicationConfig, fleet_configs};

const BIN: &str = env!("CARGO_BIN_EXE_aad-setup");

fn main() {
    let targets: usize = var("AAD_SETUP_BENCH_TARGETS").unwrap_or(100);
    let jobs: usize = var("AAD_SETUP_BENCH_JOBS").unwrap_or(8);
    let side = (targets as f64).sqrt().ceil() as usize;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let base = EmulatorConfig {
        replication: ReplicationConfig {
            requests: 0,
            millis: 5_000,
        },
        ..EmulatorConfig::default()
    };
    let fleet = rt
        .block_on(Fleet::start(fleet_configs(side, side, &base), 0))
        .expect("the emulator fleet");
    let home = tempfile::tempdir().expect("temp dir");
    let file = write_file(&fleet, home.path(), targets, side);
    let cmd = |args: &[&str]| {
        let mut cmd = Command::new(BIN);
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home.path())
            .env("AAD_SETUP_STATE_DIR", home.path().join("state"))
            .env("NO_COLOR", "1")
            .arg("setup")
            .arg("--file")
            .arg(&file)
            .args(args)
            .args(["--output", "json"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        cmd
    };
    println!(
        "fleet bench: {targets} targets ({side} tenants x {side} teams), 5 s replication, real backoff, --jobs {jobs}"
    );

    let one = run(cmd(&["--target", "t0", "--jobs", "1"]));
    println!(
        "one target alone:                {:>8.2} s   peak {:.1} MiB",
        one.wall.as_secs_f64(),
        mib(one.peak_self_kib)
    );
    let others: Vec<String> = (1..targets).map(|i| format!("t{i}")).collect();
    let mut args: Vec<&str> = vec!["--jobs"];
    let jobs_text = jobs.to_string();
    args.push(&jobs_text);
    for name in &others {
        args.push("--target");
        args.push(name);
    }
    // The other targets, fresh; t0 is converged already and would be a
    // free ride, so it is left out and the count is targets - 1.
    let all = run(cmd(&args));
    let n = targets - 1;
    let bound = 1.15 * (n as f64 / jobs as f64).ceil() * one.wall.as_secs_f64();
    println!(
        "{n} targets, --jobs {jobs}:          {:>8.2} s   bound 1.15 x ceil({n}/{jobs}) x {:.2} s = {bound:.2} s: {}",
        all.wall.as_secs_f64(),
        one.wall.as_secs_f64(),
        if all.wall.as_secs_f64() <= bound {
            "within"
        } else {
            "OVER"
        }
    );
    println!(
        "  peak memory: the fleet process {:.1} MiB; with its running targets' processes {:.1} MiB resident ({:.1} MiB PSS: the shared binary counted once); each target's own process at most {:.1} MiB",
        mib(all.peak_self_kib),
        mib(all.peak_tree_kib),
        mib(all.peak_tree_pss_kib),
        mib(all.peak_child_kib)
    );
    println!("  exit {}; {}", all.code, summary(&all.stdout));

    let writes_before = writes(&fleet);
    let again = run(cmd(&["--jobs", &jobs_text]));
    let written = writes(&fleet) - writes_before;
    println!(
        "re-run of {targets} converged:       {:>8.2} s   writes: {written}   peak {:.1} MiB (with its targets {:.1} MiB resident, {:.1} MiB PSS); exit {}; {}",
        again.wall.as_secs_f64(),
        mib(again.peak_self_kib),
        mib(again.peak_tree_kib),
        mib(again.peak_tree_pss_kib),
        again.code,
        summary(&again.stdout)
    );
    rt.block_on(fleet.shutdown());
}

fn var(name: &str) -> Option<usize> {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// The summary of a fleet document, in a few words.
fn summary(stdout: &str) -> String {
    let doc: serde_json::Value = serde_json::from_str(stdout).unwrap_or_default();
    format!(
        "{} succeeded, {} failed, {} changed",
        doc["summary"]["succeeded"], doc["summary"]["failed"], doc["summary"]["changed"]
    )
}

/// Writes (not sign-ins, not reads) every world has served.
fn writes(fleet: &Fleet) -> usize {
    (0..fleet.len())
        .map(|w| {
            fleet
                .snapshot(w)
                .requests
                .log
                .iter()
                .filter(|r| r.method != "GET" && !r.path.contains("/oauth2/"))
                .count()
        })
        .sum()
}

/// Target i: tenant i / side, team i % side; secrets as files.
fn write_file(fleet: &Fleet, dir: &Path, targets: usize, side: usize) -> std::path::PathBuf {
    let mut text = format!(
        "[defaults]\nauth = \"client-secret\"\nlogin-url = \"{}\"\ngraph-url = \"{}\"\nplatform-url = \"{}\"\n",
        fleet.login_url(),
        fleet.graph_url(),
        fleet.platform_url()
    );
    for w in 0..fleet.len() {
        let c = fleet.credentials(w);
        std::fs::write(
            dir.join(format!("tenant{w}.secret")),
            &c.admin_client_secret,
        )
        .unwrap();
        std::fs::write(dir.join(format!("team{w}.token")), &c.platform_admin_token).unwrap();
    }
    for i in 0..targets {
        let (tenant, team) = (i / side, i % side);
        let c = fleet.credentials(tenant);
        text.push_str(&format!(
            "\n[[target]]\nname = \"t{i}\"\ntenant = \"{}\"\nclient-id = \"{}\"\nclient-secret-file = \"{}\"\nplatform-token-file = \"{}\"\napp-name = \"Workflow (team{team})\"\nconnection-name = \"Azure AD (tenant{tenant})\"\n",
            c.tenant_id,
            c.admin_client_id,
            dir.join(format!("tenant{tenant}.secret")).display(),
            dir.join(format!("team{team}.token")).display(),
        ));
    }
    let path = dir.join("aad-setup.toml");
    std::fs::write(&path, text).unwrap();
    path
}

struct Sample {
    wall: Duration,
    code: i32,
    stdout: String,
    peak_self_kib: u64,
    peak_child_kib: u64,
    peak_tree_kib: u64,
    /// The same, shared pages (the binary's code) counted once: PSS.
    peak_tree_pss_kib: u64,
}

/// Runs the fleet to its end, sampling every 5 ms its own peak (VmHWM) and
/// the resident memory of it and its children together.
fn run(mut cmd: Command) -> Sample {
    let start = Instant::now();
    let mut child = cmd.spawn().expect("the binary starts");
    let pid = child.id();
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut s).ok();
        s
    });
    let (mut peak_self, mut peak_child, mut peak_tree, mut peak_pss) = (0, 0, 0, 0);
    let status = loop {
        peak_self = peak_self.max(field(pid, "VmHWM:").unwrap_or(0));
        let children = children(pid);
        let rss: Vec<u64> = children
            .iter()
            .filter_map(|c| field(*c, "VmRSS:"))
            .collect();
        for c in &children {
            peak_child = peak_child.max(field(*c, "VmHWM:").unwrap_or(0));
        }
        peak_tree = peak_tree.max(field(pid, "VmRSS:").unwrap_or(0) + rss.iter().sum::<u64>());
        let pss: u64 = std::iter::once(pid)
            .chain(children.iter().copied())
            .filter_map(pss)
            .sum();
        peak_pss = peak_pss.max(pss);
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Sample {
        wall: start.elapsed(),
        code: status.code().unwrap_or(-1),
        stdout: reader.join().unwrap_or_default(),
        peak_self_kib: peak_self,
        peak_child_kib: peak_child,
        peak_tree_kib: peak_tree,
        peak_tree_pss_kib: peak_pss,
    }
}

fn field(pid: u32, name: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find(|l| l.starts_with(name))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Proportional set size (KiB): shared pages split among their users.
fn pss(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    let line = text.lines().find(|l| l.starts_with("Pss:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn children(pid: u32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}
