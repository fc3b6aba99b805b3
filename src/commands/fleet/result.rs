//! A fleet run's result: one JSON document with each target's own
//! document and a summary (`src/schema/fleet.json`), or one table; and the
//! exit code, the worst target's.

use std::time::Duration;

use serde::Serialize;

use crate::error::{Failure, Kind};
use crate::report::Outcome;

/// One target's run, as it ended (the runner makes it).
#[derive(Debug, Clone)]
pub(crate) struct Done {
    pub name: String,
    pub code: i32,
    /// Its `--output json` document, as the single command printed it.
    pub document: Option<serde_json::Value>,
    /// Why it failed, when its document does not say (it could not start,
    /// or printed no document).
    pub error: Option<String>,
    pub elapsed: Duration,
    /// The GitHub Actions workflow commands it wrote (`::add-mask::…`,
    /// `::error::…`): passed on, or the runner would never see them.
    pub workflow_commands: Vec<String>,
}

/// The whole run.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Fleet {
    command: String,
    dry_run: bool,
    /// `done` (every target exit 0), `needs-attention` (the worst is 6),
    /// `failed` (a target failed).
    status: &'static str,
    exit_code: i32,
    seconds: f64,
    summary: Summary,
    targets: Vec<TargetResult>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary {
    targets: usize,
    succeeded: usize,
    needs_attention: usize,
    failed: usize,
    /// Targets whose run changed something (or, with --dry-run, would).
    changed: usize,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct TargetResult {
    name: String,
    exit_code: i32,
    /// In a few words, as the table shows it.
    status: String,
    seconds: f64,
    /// Why it failed when its run printed no document.
    error: Option<String>,
    /// The single command's `--output json` document, as it printed it.
    result: Option<serde_json::Value>,
}

/// How bad an exit code is: 0, then 6 (needs attention), then a failure
/// (1–5 and anything else, the higher the worse), then 130 (interrupted).
fn rank(code: i32) -> i64 {
    match code {
        0 => 0,
        6 => 1,
        130 => 1_000,
        c => 10 + i64::from(c.clamp(0, 255)),
    }
}

/// The exit code of the whole run: the worst target's.
pub(crate) fn worst(codes: impl IntoIterator<Item = i32>) -> i32 {
    codes.into_iter().max_by_key(|c| rank(*c)).unwrap_or(0)
}

/// Changes a document lists (not `keep`), else the things a run document
/// says it made, replaced or removed (not `reused`).
fn changes(doc: &serde_json::Value) -> usize {
    let listed = doc["changes"].as_array().map_or(0, |c| {
        c.iter()
            .filter(|c| c["op"].as_str() != Some("keep"))
            .count()
    });
    if listed > 0 {
        return listed;
    }
    [
        &doc["app"]["action"],
        &doc["app"]["servicePrincipalAction"],
        &doc["consent"]["action"],
        &doc["secret"]["action"],
        &doc["connection"]["status"],
    ]
    .into_iter()
    .filter_map(serde_json::Value::as_str)
    .filter(|a| *a != "reused")
    .count()
}

/// A target's result in a few words.
pub(crate) fn status_of(done: &Done) -> String {
    let Some(doc) = &done.document else {
        return format!("failed: {}", done.error.as_deref().unwrap_or("no result"));
    };
    let status = doc["status"].as_str().unwrap_or("?");
    match status {
        "error" => format!(
            "{}: {}",
            doc["error"]["kind"].as_str().unwrap_or("failed"),
            doc["error"]["message"].as_str().unwrap_or("")
        ),
        "healthy" => "healthy".to_owned(),
        "needs-attention" if doc.get("checks").is_some() => {
            let codes: Vec<&str> = doc["checks"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|c| c["result"] == "attention")
                .filter_map(|c| c["code"].as_str())
                .collect();
            format!("needs attention: {}", codes.join(", "))
        }
        _ => match (changes(doc), status) {
            (0, "dry-run") => "dry run: nothing to change".to_owned(),
            (n, "dry-run") => format!("dry run: {n} change{}", plural(n)),
            (0, s) => format!("{s}: nothing changed"),
            (n, s) => format!("{s}: {n} change{}", plural(n)),
        },
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

impl Fleet {
    pub(crate) fn new(command: &str, dry_run: bool, done: Vec<Done>, elapsed: Duration) -> Fleet {
        let exit_code = worst(done.iter().map(|d| d.code));
        let summary = Summary {
            targets: done.len(),
            succeeded: done.iter().filter(|d| d.code == 0).count(),
            needs_attention: done.iter().filter(|d| d.code == 6).count(),
            failed: done.iter().filter(|d| d.code != 0 && d.code != 6).count(),
            changed: done
                .iter()
                .filter(|d| d.document.as_ref().is_some_and(|doc| changes(doc) > 0))
                .count(),
        };
        let targets = done
            .into_iter()
            .map(|d| TargetResult {
                status: status_of(&d),
                name: d.name,
                exit_code: d.code,
                seconds: round(d.elapsed),
                error: d.error,
                result: d.document,
            })
            .collect();
        Fleet {
            command: command.to_owned(),
            dry_run,
            status: match exit_code {
                0 => "done",
                6 => "needs-attention",
                _ => "failed",
            },
            exit_code,
            seconds: round(elapsed),
            summary,
            targets,
        }
    }

    /// Ok when every target ended 0; else the worst target's exit code,
    /// with the targets that did not.
    pub(crate) fn into_exit(self, _json: bool) -> anyhow::Result<()> {
        if self.exit_code == 0 {
            return Ok(());
        }
        let kind = match self.exit_code {
            2 => Kind::Usage,
            3 => Kind::SignIn,
            4 => Kind::Privileges,
            5 => Kind::Partial,
            6 => Kind::NeedsAttention,
            130 => Kind::Interrupted,
            _ => Kind::Failed,
        };
        let named: Vec<String> = self
            .targets
            .iter()
            .filter(|t| t.exit_code != 0)
            .map(|t| format!("{} (exit {})", t.name, t.exit_code))
            .collect();
        let message = if self.exit_code == 6 {
            format!(
                "{} of {} targets need attention: {}",
                named.len(),
                self.summary.targets,
                named.join(", ")
            )
        } else {
            format!(
                "{} of {} targets did not succeed: {}",
                named.len(),
                self.summary.targets,
                named.join(", ")
            )
        };
        Err(Failure::new(kind, message).into())
    }
}

fn round(d: Duration) -> f64 {
    (d.as_secs_f64() * 100.0).round() / 100.0
}

impl Outcome for Fleet {
    fn human(&self, _color: bool) -> Vec<String> {
        let width = self
            .targets
            .iter()
            .map(|t| t.name.chars().count())
            .max()
            .unwrap_or(6)
            .max(6);
        let mut lines = vec![format!("{:<width$}  EXIT  RESULT", "TARGET")];
        for t in &self.targets {
            lines.push(format!(
                "{:<width$}  {:<4}  {}",
                t.name, t.exit_code, t.status
            ));
        }
        let s = &self.summary;
        lines.push(String::new());
        lines.push(format!(
            "{}{}: {} target{}, {} succeeded, {} need attention, {} failed, {} {} ({:.1} s).",
            self.command,
            if self.dry_run { " (dry run)" } else { "" },
            s.targets,
            plural(s.targets),
            s.succeeded,
            s.needs_attention,
            s.failed,
            s.changed,
            if self.dry_run {
                "would change"
            } else {
                "changed"
            },
            self.seconds
        ));
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_exit_code_wins() {
        assert_eq!(worst([0, 0]), 0);
        assert_eq!(worst([0, 6, 0]), 6);
        assert_eq!(worst([6, 1, 0]), 1);
        assert_eq!(worst([3, 5, 6]), 5);
        assert_eq!(worst([130, 5]), 130);
        assert_eq!(worst([]), 0);
    }
}
