//! The emulator's clock: the machine's, moved forward by
//! [`EmulatorConfig::clock_offset_secs`](crate::EmulatorConfig) (`PATCH
//! /_emulator/config`, `POST /_emulator/clock`, [`Emulator::advance_clock`](crate::Emulator::advance_clock)),
//! so that a test sees a secret expire, or a policy's date pass, in seconds.
//!
//! Every handler works on the state under its lock, synchronously: taking the lock
//! sets this thread's offset from the state ([`enter`]), and [`now`] reads it. Several
//! emulators in one process (the test suite) each keep their own clock.

use std::cell::Cell;

thread_local! {
    static OFFSET: Cell<i64> = const { Cell::new(0) };
}

/// The clock of the emulator whose state this thread holds: `offset` seconds ahead.
pub(crate) fn enter(offset: i64) {
    OFFSET.with(|o| o.set(offset));
}

/// Now, on the emulated services' clock.
pub(crate) fn now() -> jiff::Timestamp {
    let offset = OFFSET.with(Cell::get);
    jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_secs(offset))
        .unwrap_or_else(|_| jiff::Timestamp::now())
}

/// An HTTP date (`Sun, 06 Dec 2026 17:36:45 GMT`), as services send in `Date`.
pub(crate) fn http_date(at: jiff::Timestamp) -> String {
    at.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_offset_moves_now_forward_on_this_thread_only() {
        super::enter(86_400);
        let ahead = super::now().duration_since(jiff::Timestamp::now());
        assert!(ahead.as_secs() >= 86_399, "{ahead:?}");
        let other = std::thread::spawn(|| super::now().duration_since(jiff::Timestamp::now()))
            .join()
            .unwrap();
        assert!(other.as_secs() < 5, "{other:?}");
        super::enter(0);
    }
}
