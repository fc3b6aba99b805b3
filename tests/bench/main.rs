//! Figures for the whole binary against the built-in emulator: wall time
//! and peak memory of the commands an admin runs, and how many HTTP
//! requests each makes. A report, not a test: nothing here passes or fails.
//!
//!   cargo bench --bench cli                 # 10 runs of each
//!   AAD_SETUP_BENCH_RUNS=50 cargo bench --bench cli
//!
//! The first table runs the emulator without replication delay, latency or
//! throttling, and the tool's backoff scaled to zero, so its figures are the
//! tool's own cost (plus loopback HTTP), not Entra's.
//!
//! Then two figures that are about the services' time, not the tool's:
//! - sequential round trips: the same command with every answer delayed by a
//!   latency L, against none: (wall with L - wall without) / L is how many
//!   requests the command makes one after another (overlapping requests count
//!   once);
//! - replication overshoot: a fresh setup with new objects invisible for 5 s
//!   (the app before its service principal and secret can be made, the secret
//!   before it signs in: a floor of about 10 s), with the tool's real backoff,
//!   against the same run without replication.

#![allow(clippy::print_stdout)] // a report on stdout is what it is for

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aad_setup_emulator::{Credentials, Emulator, EmulatorConfig};

const BIN: &str = env!("CARGO_BIN_EXE_aad-setup");

/// One measured run of the binary.
struct Sample {
    wall: Duration,
    /// Peak resident set (VmHWM), KiB, where /proc has it.
    peak_kib: Option<u64>,
    /// HTTP requests the run made to the emulator, where it is ours to count.
    requests: Option<usize>,
}

struct Env {
    /// Serves the emulator for as long as the `Env` lives.
    _rt: tokio::runtime::Runtime,
    emu: Emulator,
    creds: Credentials,
    home: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env::with(EmulatorConfig::default())
    }

    fn with(config: EmulatorConfig) -> Env {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let emu = rt.block_on(Emulator::start(config)).expect("emulator");
        let creds = emu.credentials();
        Env {
            _rt: rt,
            emu,
            creds,
            home: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home.path())
            .env("AAD_SETUP_STATE_DIR", self.home.path().join("state"))
            .env("AAD_SETUP_BACKOFF_SCALE", "0")
            .env("NO_COLOR", "1")
            .env("AAD_SETUP_LOGIN_URL", self.emu.login_url())
            .env("AAD_SETUP_GRAPH_URL", self.emu.graph_url())
            .env("AAD_SETUP_PLATFORM_URL", self.emu.platform_url())
            .env("AZURE_TENANT_ID", &self.creds.tenant_id)
            .env("AZURE_CLIENT_ID", &self.creds.admin_client_id)
            .env("AZURE_CLIENT_SECRET", &self.creds.admin_client_secret)
            .env("CATALYTIC_TOKEN", &self.creds.platform_admin_token)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        cmd
    }

    fn requests(&self) -> usize {
        let state = serde_json::to_value(self.emu.snapshot()).expect("snapshot");
        let log = &state["requests"];
        log.as_array()
            .or_else(|| log["log"].as_array())
            .map_or(0, Vec::len)
    }

    /// Runs `args` once and measures it; a failed run stops the report.
    fn measure(&self, args: &[&str]) -> Sample {
        let before = self.requests();
        let sample = run(self.cmd(args));
        Sample {
            requests: Some(self.requests() - before),
            ..sample
        }
    }
}

/// Runs a command to its end, sampling its peak memory from /proc while it
/// runs (VmHWM only grows, so the last reading is the peak so far).
fn run(mut cmd: Command) -> Sample {
    let start = Instant::now();
    let mut child = cmd.spawn().expect("the binary starts");
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kib = None;
    let status = loop {
        if let Some(kib) = vm_hwm(Path::new(&status_path)) {
            peak_kib = Some(kib);
        }
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    let wall = start.elapsed();
    assert!(status.success(), "{cmd:?} failed: {status}");
    Sample {
        wall,
        peak_kib,
        requests: None,
    }
}

fn vm_hwm(path: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn report(name: &str, samples: &mut [Sample]) {
    samples.sort_by_key(|s| s.wall);
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |q: f64| {
        let i = ((samples.len() - 1) as f64 * q).round() as usize;
        ms(samples[i].wall)
    };
    let peak = samples.iter().filter_map(|s| s.peak_kib).max();
    let requests = samples
        .iter()
        .filter_map(|s| s.requests)
        .max()
        .map_or_else(|| "n/a".into(), |n| n.to_string());
    println!(
        "{name:<34} {:>4} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {:>9} {:>9}",
        samples.len(),
        at(0.0),
        at(0.5),
        at(0.95),
        at(1.0),
        peak.map_or_else(|| "n/a".into(), |k| format!("{:.1}", k as f64 / 1024.0)),
        requests
    );
}

fn main() {
    // `cargo bench` passes libtest-style flags (`--bench`); there are none to take.
    let runs: usize = std::env::var("AAD_SETUP_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(10);
    println!(
        "{:<34} {:>4} {:>8} {:>8} {:>8} {:>8} {:>9} {:>9}",
        "command (against the emulator)",
        "runs",
        "min ms",
        "p50 ms",
        "p95 ms",
        "max ms",
        "peak MiB",
        "requests"
    );

    // A fresh tenant each time: the whole guide, made and verified.
    let mut fresh: Vec<Sample> = (0..runs)
        .map(|_| Env::new().measure(&["setup", "--no-input"]))
        .collect();
    report("setup (fresh tenant)", &mut fresh);

    let env = Env::new();
    env.measure(&["setup", "--no-input"]);
    let mut again: Vec<Sample> = (0..runs)
        .map(|_| env.measure(&["setup", "--no-input"]))
        .collect();
    report("setup (again: nothing to do)", &mut again);

    let mut dry: Vec<Sample> = (0..runs)
        .map(|_| env.measure(&["setup", "--no-input", "--dry-run", "--rotate"]))
        .collect();
    report("setup --dry-run --rotate", &mut dry);

    let mut status: Vec<Sample> = (0..runs)
        .map(|_| env.measure(&["status", "--no-input"]))
        .collect();
    report("status", &mut status);

    let mut rotate: Vec<Sample> = (0..runs)
        .map(|_| env.measure(&["rotate", "--no-input"]))
        .collect();
    report("rotate", &mut rotate);

    // The README's first command, emulator start-up included.
    let mut demo: Vec<Sample> = (0..runs)
        .map(|_| run(env.cmd(&["demo", "--no-faults"])))
        .collect();
    report("demo --no-faults", &mut demo);
    println!(
        "\nrequests: the most HTTP requests one run made (demo runs an emulator of its own, not counted)"
    );

    round_trips(runs.min(5));
    replication_overshoot(runs.min(5));
}

/// Median wall time of `runs` runs of `args`, each in a fresh tenant when
/// `fresh`, else against one tenant set up first.
fn median_wall(config: &EmulatorConfig, args: &[&str], fresh: bool, runs: usize) -> Duration {
    let mut walls: Vec<Duration> = if fresh {
        (0..runs)
            .map(|_| Env::with(config.clone()).measure(args).wall)
            .collect()
    } else {
        let env = Env::with(config.clone());
        env.measure(&["setup", "--no-input"]);
        (0..runs).map(|_| env.measure(args).wall).collect()
    };
    walls.sort();
    walls[walls.len() / 2]
}

fn round_trips(runs: usize) {
    const LATENCY_MS: u64 = 100;
    let slow = EmulatorConfig {
        latency_millis: LATENCY_MS,
        ..EmulatorConfig::default()
    };
    println!(
        "\n{:<34} {:>12} {:>12} {:>12}",
        "sequential round trips", "no latency", "+100 ms", "round trips"
    );
    let cases: [(&str, &[&str], bool); 4] = [
        ("setup (fresh tenant)", &["setup", "--no-input"], true),
        (
            "setup (again: nothing to do)",
            &["setup", "--no-input"],
            false,
        ),
        ("status", &["status", "--no-input"], false),
        ("rotate", &["rotate", "--no-input"], false),
    ];
    for (name, args, fresh) in cases {
        let base = median_wall(&EmulatorConfig::default(), args, fresh, runs);
        let with = median_wall(&slow, args, fresh, runs);
        let trips = (with.as_secs_f64() - base.as_secs_f64()) / (LATENCY_MS as f64 / 1000.0);
        println!(
            "{name:<34} {:>9.0} ms {:>9.0} ms {:>12.1}",
            base.as_secs_f64() * 1000.0,
            with.as_secs_f64() * 1000.0,
            trips
        );
    }
}

fn replication_overshoot(runs: usize) {
    const FLOOR_SECS: f64 = 10.0;
    let timed = |config: EmulatorConfig| {
        let env = Env::with(config);
        let mut cmd = env.cmd(&["setup", "--no-input"]);
        // The tool's real waits: replication is a matter of seconds.
        cmd.env("AAD_SETUP_BACKOFF_SCALE", "1");
        run(cmd).wall.as_secs_f64()
    };
    // The polls are jittered: several runs, the median and the worst.
    let mut more: Vec<f64> = (0..runs)
        .map(|_| {
            let without = timed(EmulatorConfig::default());
            let with = timed(EmulatorConfig {
                replication: aad_setup_emulator::ReplicationConfig {
                    requests: 0,
                    millis: 5_000,
                },
                ..EmulatorConfig::default()
            });
            with - without
        })
        .collect();
    more.sort_by(f64::total_cmp);
    let median = more[more.len() / 2];
    let worst = more[more.len() - 1];
    println!(
        "\nreplication (5 s per new object; floor about {FLOOR_SECS:.0} s), setup with against without, {runs} runs: \
         {median:.2} s more (median; worst {worst:.2} s): {:.2} s over the floor ({:.0} %; worst {:.0} %)",
        median - FLOOR_SECS,
        (median - FLOOR_SECS) / FLOOR_SECS * 100.0,
        (worst - FLOOR_SECS) / FLOOR_SECS * 100.0
    );
}
