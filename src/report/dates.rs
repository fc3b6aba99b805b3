//! Timestamps for people: a date and how far it is ("30 Nov 2028, in 24
//! months"), and whole days left. The JSON keeps the ISO form.

/// A timestamp for people: "30 Nov 2028, in 24 months" (the JSON keeps the
/// ISO form). Anything that does not parse is shown as it is.
pub(crate) fn when(iso: &str) -> String {
    when_from(iso, jiff::Timestamp::now())
}

fn when_from(iso: &str, now: jiff::Timestamp) -> String {
    let Ok(at) = iso.parse::<jiff::Timestamp>() else {
        return iso.to_owned();
    };
    let date = at.strftime("%-d %b %Y").to_string();
    let days = (at.as_second() - now.as_second()).div_euclid(86_400);
    let relative = match days {
        ..-1 => format!("{} days ago", -days),
        -1 => "yesterday".to_owned(),
        0 => "today".to_owned(),
        1 => "tomorrow".to_owned(),
        2..60 => format!("in {days} days"),
        _ => format!("in {} months", (days as f64 / 30.44).round() as i64),
    };
    format!("{date}, {relative}")
}

/// Whole days from now until `iso` (negative once past).
pub(crate) fn days_left(iso: &str) -> Option<i64> {
    days_left_at(iso, jiff::Timestamp::now())
}

/// Whole days from `now` until `iso` (negative once past).
pub(crate) fn days_left_at(iso: &str, now: jiff::Timestamp) -> Option<i64> {
    let at = iso.parse::<jiff::Timestamp>().ok()?;
    Some((at.as_second() - now.as_second()).div_euclid(86_400))
}

/// [`when`], seen from `now` (the directory's clock).
pub(crate) fn when_at(iso: &str, now: jiff::Timestamp) -> String {
    when_from(iso, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_for_people() {
        let now: jiff::Timestamp = "2026-11-30T13:05:12Z".parse().unwrap();
        assert_eq!(
            when_from("2028-11-30T13:05:12Z", now),
            "30 Nov 2028, in 24 months"
        );
        assert_eq!(
            when_from("2026-12-10T13:05:12Z", now),
            "10 Dec 2026, in 10 days"
        );
        assert_eq!(
            when_from("2026-12-01T14:00:00Z", now),
            "1 Dec 2026, tomorrow"
        );
        assert_eq!(
            when_from("2026-11-20T13:05:12Z", now),
            "20 Nov 2026, 10 days ago"
        );
        assert_eq!(when_from("not a date", now), "not a date");
    }
}
