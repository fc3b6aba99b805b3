//! Runs the targets' jobs, `parallel` at once, each as its own process of
//! this binary; collects each one's exit code and JSON document. A
//! spinner at a terminal names the running targets; a line per finished
//! target (plain lines in CI).

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::output::{Printer, Spinner};

use super::jobs::Job;
use super::result::Done;

/// What the spinner shows: how many are done, which are running.
struct Progress {
    total: usize,
    done: usize,
    running: Vec<String>,
}

impl Progress {
    fn message(&self) -> String {
        let mut running = self.running.join(", ");
        if running.len() > 60 {
            running.truncate(57);
            running.push('…');
        }
        format!(
            "{}/{} targets done; running: {running}",
            self.done, self.total
        )
    }
}

/// Runs every job, at most `parallel` at once; the results in the jobs'
/// order.
pub(crate) async fn run_all(jobs: Vec<Job>, parallel: usize, printer: &Printer) -> Vec<Done> {
    let total = jobs.len();
    let spinner = Arc::new(printer.spinner(&format!(
        "running {total} target{}, {} at a time",
        if total == 1 { "" } else { "s" },
        parallel.min(total.max(1))
    )));
    let progress = Arc::new(Mutex::new(Progress {
        total,
        done: 0,
        running: Vec::new(),
    }));
    let permits = Arc::new(tokio::sync::Semaphore::new(parallel.max(1)));
    let mut set = tokio::task::JoinSet::new();
    for (index, job) in jobs.into_iter().enumerate() {
        let permits = Arc::clone(&permits);
        let spinner = Arc::clone(&spinner);
        let progress = Arc::clone(&progress);
        let printer = printer.clone();
        set.spawn(async move {
            let _permit = permits.acquire_owned().await;
            if crate::stop::Stop::process().requested() {
                let done = failed(
                    job.name,
                    Instant::now(),
                    "not started: the run was interrupted".into(),
                );
                let done = Done { code: 130, ..done };
                spinner.println(&line(&done));
                return (index, done);
            }
            update(&progress, &spinner, |p| p.running.push(job.name.clone()));
            let done = run_one(job, &printer).await;
            update(&progress, &spinner, |p| {
                p.running.retain(|n| n != &done.name);
                p.done += 1;
            });
            spinner.println(&line(&done));
            (index, done)
        });
    }
    let mut results: Vec<Option<Done>> = vec![None; total];
    while let Some(joined) = set.join_next().await {
        if let Ok((index, done)) = joined {
            for command in &done.workflow_commands {
                printer.aside(command);
            }
            results[index] = Some(done);
        }
    }
    drop(spinner);
    results.into_iter().flatten().collect()
}

fn update(progress: &Mutex<Progress>, spinner: &Spinner, change: impl FnOnce(&mut Progress)) {
    if let Ok(mut p) = progress.lock() {
        change(&mut p);
        spinner.set_message(&p.message());
    }
}

/// The line for a finished target.
fn line(done: &Done) -> String {
    let seconds = done.elapsed.as_secs_f64();
    let what = super::result::status_of(done);
    let mark = if done.code == 0 { "✓" } else { "✗" };
    format!(
        "{mark} {}: {what} (exit {}, {seconds:.1} s)",
        done.name, done.code
    )
}

/// One run of this binary; with a shared sign-in, its token on stdin.
async fn run_one(job: Job, printer: &Printer) -> Done {
    let started = Instant::now();
    let token = match &job.shared {
        Some(shared) => shared.token(printer).await,
        None => None,
    };
    let argv = match &token {
        Some(_) => super::signin::with_token(&job.argv),
        None => job.argv.clone(),
    };
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => return failed(job.name, started, format!("cannot find this program: {e}")),
    };
    let mut cmd = tokio::process::Command::new(exe);
    cmd.args(&argv)
        .stdin(if token.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for name in &job.remove {
        cmd.env_remove(name);
    }
    for (name, value) in &job.set {
        cmd.env(name, value);
    }
    let child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => return failed(job.name, started, format!("could not start its run: {e}")),
    };
    let output = match hand_token(child, token).await {
        Ok(output) => output,
        Err(e) => return failed(job.name, started, format!("its run failed: {e}")),
    };
    let code = output.status.code().unwrap_or(1);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let workflow_commands = stderr
        .lines()
        .filter_map(|l| {
            if l.starts_with("::add-mask::") {
                Some(l.to_owned())
            } else {
                ["::error::", "::warning::"]
                    .iter()
                    .find_map(|c| l.strip_prefix(c).map(|m| format!("{c}{}: {m}", job.name)))
            }
        })
        .collect();
    let document = serde_json::from_slice::<serde_json::Value>(&output.stdout).ok();
    let error = if document.is_none() {
        Some(
            stderr
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("its run printed no result")
                .trim()
                .to_owned(),
        )
    } else {
        None
    };
    Done {
        name: job.name,
        code: if code == 0 && document.is_none() {
            1
        } else {
            code
        },
        document,
        error,
        elapsed: started.elapsed(),
        workflow_commands,
    }
}

/// Writes the shared token to the run's stdin (then closes it), and waits
/// for the run.
async fn hand_token(
    mut child: tokio::process::Child,
    token: Option<secrecy::SecretString>,
) -> std::io::Result<std::process::Output> {
    use secrecy::ExposeSecret as _;
    use tokio::io::AsyncWriteExt as _;
    if let (Some(token), Some(mut stdin)) = (token, child.stdin.take()) {
        // A run that ends before it reads is its own error, reported by it.
        let _ = stdin.write_all(token.expose_secret().as_bytes()).await;
        drop(stdin);
    }
    child.wait_with_output().await
}

fn failed(name: String, started: Instant, message: String) -> Done {
    Done {
        name,
        code: 1,
        document: None,
        error: Some(message),
        elapsed: started.elapsed(),
        workflow_commands: Vec::new(),
    }
}
