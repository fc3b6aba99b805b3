//! The directory's clock. When a secret expires is Entra's call, made on
//! Entra's clock: every Graph answer's `Date` header says what time it is
//! there, and [`Clock::now`] is this machine's time moved by what the latest
//! answer said (clock skew, or an emulator whose clock a test moved). Before
//! any answer, this machine's clock.
//!
//! It never moves for less than [`SLACK_SECS`]: a second's rounding or a
//! slow answer is not skew.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use reqwest::header::HeaderMap;

/// Differences smaller than this are not skew.
const SLACK_SECS: i64 = 120;

/// One directory's clock, as its answers tell it. The [`Graph`] client that
/// talks to the directory holds it (and observes every answer); whoever
/// judges an expiry reads it through that client ([`Graph::clock`]). Clones
/// share the reading: a run's steps see what its client last heard.
///
/// [`Graph`]: super::Graph
/// [`Graph::clock`]: super::Graph::clock
#[derive(Clone, Debug, Default)]
pub(crate) struct Clock {
    /// Seconds the directory's clock runs ahead of this machine's (behind,
    /// if negative).
    skew: Arc<AtomicI64>,
}

impl Clock {
    /// Notes the directory's time from an answer's `Date` header.
    pub(crate) fn observe(&self, headers: &HeaderMap) {
        let Some(date) = headers
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok())
        else {
            return;
        };
        let Ok(at) = jiff::fmt::rfc2822::parse(date).map(|z| z.timestamp()) else {
            return;
        };
        let skew = at.as_second() - jiff::Timestamp::now().as_second();
        self.skew.store(
            if skew.abs() < SLACK_SECS { 0 } else { skew },
            Ordering::Relaxed,
        );
    }

    /// Now, on the directory's clock.
    pub(crate) fn now(&self) -> jiff::Timestamp {
        let skew = self.skew.load(Ordering::Relaxed);
        jiff::Timestamp::now()
            .checked_add(jiff::SignedDuration::from_secs(skew))
            .unwrap_or_else(|_| jiff::Timestamp::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_date_header_moves_the_clock_and_small_differences_do_not() {
        let clock = Clock::default();
        let mut headers = HeaderMap::new();
        let ahead = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 41);
        let date = ahead.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string();
        headers.insert(reqwest::header::DATE, date.parse().unwrap());
        clock.observe(&headers);
        let moved = clock.now().as_second() - jiff::Timestamp::now().as_second();
        assert!((moved - 41 * 86_400).abs() < 5, "{moved}");
        let close = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(30);
        let date = close.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string();
        headers.insert(reqwest::header::DATE, date.parse().unwrap());
        clock.observe(&headers);
        assert_eq!(clock.skew.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn clones_share_the_reading_and_another_clock_does_not() {
        let clock = Clock::default();
        let shared = clock.clone();
        let other = Clock::default();
        let mut headers = HeaderMap::new();
        let ahead = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 10);
        let date = ahead.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string();
        headers.insert(reqwest::header::DATE, date.parse().unwrap());
        clock.observe(&headers);
        assert_eq!(
            shared.skew.load(Ordering::Relaxed),
            clock.skew.load(Ordering::Relaxed)
        );
        assert_eq!(other.skew.load(Ordering::Relaxed), 0);
    }
}
