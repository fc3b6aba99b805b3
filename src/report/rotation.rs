//! A secret's renewal (`rotate --if-expiring-within`) and a rotation in two
//! phases (`rotate --keep-previous`, `--finish`), as a result reports them.

use serde::Serialize;

use super::dates::when;
use super::lines::row;

/// Whether the secret a connection holds is due for renewal
/// (`rotate --if-expiring-within`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RenewalInfo {
    /// It expires within the window: the run rotates it.
    pub due: bool,
    /// The window, as given (`30d`).
    pub window: String,
    /// When the secret the connection holds expires (ISO 8601), if known.
    pub expires: Option<String>,
    /// Whole days until then.
    pub days_left: Option<i64>,
}

/// Where a rotation made with `--keep-previous` stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum RotationState {
    /// Both connections and both secrets work: the platform admin connects
    /// the new one, then `rotate --finish`.
    InProgress,
    /// The previous connection and its secret are gone.
    Finished,
}

/// One side of a rotation: a connection and the secret it holds.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RotationSide {
    pub connection_id: String,
    pub connection_name: Option<String>,
    pub key_id: Option<String>,
    /// ISO 8601.
    pub expires: Option<String>,
    pub days_left: Option<i64>,
}

/// A rotation in two phases (`rotate --keep-previous`, `--finish`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RotationInfo {
    pub state: RotationState,
    /// The connection replaced, and its secret.
    pub previous: RotationSide,
    /// The new connection, and its secret.
    pub current: Option<RotationSide>,
    /// In progress: what the platform admin must do.
    pub admin_action: Option<String>,
    /// The platform, where the admin does it.
    pub platform: String,
}

impl RotationInfo {
    /// The lines for people.
    pub(crate) fn human(&self, lines: &mut Vec<String>) {
        let state = match self.state {
            RotationState::InProgress => "IN PROGRESS: both connections and both secrets work",
            RotationState::Finished => "finished: the previous connection and its secret are gone",
        };
        row(lines, "Rotation", state);
        let side = |s: &RotationSide| {
            format!(
                "\"{}\" ({}), secret {} expires {}",
                s.connection_name.as_deref().unwrap_or("?"),
                s.connection_id,
                s.key_id.as_deref().unwrap_or("?"),
                s.expires.as_deref().map_or("unknown".into(), when)
            )
        };
        if let Some(current) = &self.current {
            row(lines, "New", &side(current));
        }
        row(lines, "Previous", &side(&self.previous));
        if self.state == RotationState::InProgress {
            row(lines, "Platform", &self.platform);
        }
    }
}
