//! FHIR date, dateTime and instant values as ranges of epoch microseconds (UTC, both
//! bounds inclusive) at the precision they are written to: `2020` covers the whole year.
//! A value without a zone is taken as UTC.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

/// One microsecond less than the next unit, the way inclusive high bounds are made.
const MICRO: i64 = 1;

/// The range `text` covers, or `None` when it is not a valid FHIR date/dateTime/instant.
/// Minutes without seconds (`2020-01-01T10:00`) are accepted, as search values use them.
pub fn date_range(text: &str) -> Option<(i64, i64)> {
    let (date, time) = match text.split_once('T') {
        Some((date, time)) => (date, Some(time)),
        None => (text, None),
    };
    match time {
        None => date_only(date),
        Some(time) => with_time(date, time),
    }
}

fn date_only(date: &str) -> Option<(i64, i64)> {
    let parts: Vec<&str> = date.split('-').collect();
    let year = number(parts.first()?, 4)?;
    let (low, next) = match parts.len() {
        1 => (ymd(year, 1, 1)?, ymd(year + 1, 1, 1)?),
        2 => {
            let month = number(parts[1], 2)?;
            let low = ymd(year, month, 1)?;
            (low, low.checked_add_months(chrono::Months::new(1))?)
        }
        3 => {
            let low = ymd(year, number(parts[1], 2)?, number(parts[2], 2)?)?;
            (low, low.succ_opt()?)
        }
        _ => return None,
    };
    Some((micros(low.and_time(NaiveTime::MIN)), micros(next.and_time(NaiveTime::MIN)) - MICRO))
}

fn with_time(date: &str, time: &str) -> Option<(i64, i64)> {
    let day = ymd(
        number(date.get(0..4)?, 4)?,
        number(date.get(5..7)?, 2)?,
        number(date.get(8..10)?, 2)?,
    )?;
    if date.len() != 10 || &date[4..5] != "-" || &date[7..8] != "-" {
        return None;
    }
    let (clock, offset) = split_zone(time)?;
    let (seconds_of_day, fraction_micros, width) = clock_parts(clock)?;
    let start = micros(day.and_time(NaiveTime::MIN)) + seconds_of_day * 1_000_000 + fraction_micros;
    let low = start - offset * 1_000_000;
    Some((low, low + width - MICRO))
}

/// Splits `10:00:00+01:00` into the clock and the zone's offset in seconds (UTC if none).
fn split_zone(time: &str) -> Option<(&str, i64)> {
    if let Some(clock) = time.strip_suffix('Z') {
        return Some((clock, 0));
    }
    let Some(at) = time.rfind(['+', '-']) else { return Some((time, 0)) };
    let (clock, zone) = time.split_at(at);
    let sign = if zone.starts_with('-') { -1 } else { 1 };
    let (hours, minutes) = zone[1..].split_once(':')?;
    let (hours, minutes) = (number(hours, 2)?, number(minutes, 2)?);
    if hours > 14 || minutes > 59 {
        return None;
    }
    Some((clock, sign * i64::from(hours * 3600 + minutes * 60)))
}

/// Seconds since midnight, the fraction in microseconds, and the width of the precision.
fn clock_parts(clock: &str) -> Option<(i64, i64, i64)> {
    let (whole, fraction) = match clock.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (clock, None),
    };
    let parts: Vec<&str> = whole.split(':').collect();
    let (hour, minute) = (number(parts.first()?, 2)?, number(parts.get(1)?, 2)?);
    let second = match parts.get(2) {
        Some(s) => Some(number(s, 2)?),
        None if fraction.is_none() && parts.len() == 2 => None,
        None => return None,
    };
    if parts.len() > 3 || hour > 23 || minute > 59 || second.unwrap_or(0) > 60 {
        return None;
    }
    let seconds = i64::from(hour * 3600 + minute * 60 + second.unwrap_or(0));
    let Some(second_fraction) = fraction else {
        let width = if second.is_some() { 1_000_000 } else { 60_000_000 };
        return Some((seconds, 0, width));
    };
    let (micros, width) = fraction_micros(second_fraction)?;
    Some((seconds, micros, width))
}

/// `.5` -> 500000 µs wide 100000; digits past the sixth are below the index's resolution.
fn fraction_micros(digits: &str) -> Option<(i64, i64)> {
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let kept = &digits[..digits.len().min(6)];
    let scale = 10_i64.pow(6 - u32::try_from(kept.len()).ok()?);
    Some((kept.parse::<i64>().ok()? * scale, scale))
}

fn number(text: &str, width: usize) -> Option<u32> {
    let digits = text.len() == width && text.chars().all(|c| c.is_ascii_digit());
    digits.then(|| text.parse().ok()).flatten()
}

fn ymd(year: u32, month: u32, day: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
}

fn micros(at: NaiveDateTime) -> i64 {
    at.and_utc().timestamp_micros()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(text).expect("rfc3339").timestamp_micros()
    }

    #[test]
    fn a_year_covers_the_whole_year() {
        let (low, high) = date_range("2020").expect("valid");
        assert_eq!(low, at("2020-01-01T00:00:00Z"));
        assert_eq!(high, at("2020-12-31T23:59:59.999999Z"));
    }

    #[test]
    fn a_month_ends_on_its_last_day_leap_years_included() {
        let (low, high) = date_range("2020-02").expect("valid");
        assert_eq!(low, at("2020-02-01T00:00:00Z"));
        assert_eq!(high, at("2020-02-29T23:59:59.999999Z"));
    }

    #[test]
    fn a_day_without_zone_is_a_utc_day() {
        let (low, high) = date_range("1974-12-25").expect("valid");
        assert_eq!(low, at("1974-12-25T00:00:00Z"));
        assert_eq!(high, at("1974-12-25T23:59:59.999999Z"));
    }

    #[test]
    fn a_time_with_offset_is_moved_to_utc_at_second_precision() {
        let (low, high) = date_range("2013-04-03T15:30:10+01:00").expect("valid");
        assert_eq!(low, at("2013-04-03T14:30:10Z"));
        assert_eq!(high, at("2013-04-03T14:30:10.999999Z"));
    }

    #[test]
    fn milliseconds_give_a_millisecond_wide_range() {
        let (low, high) = date_range("2019-11-01T09:29:23.356+11:00").expect("valid");
        assert_eq!(low, at("2019-10-31T22:29:23.356Z"));
        assert_eq!(high, at("2019-10-31T22:29:23.356999Z"));
    }

    #[test]
    fn minutes_without_seconds_cover_the_minute() {
        let (low, high) = date_range("2013-01-14T10:00Z").expect("valid");
        assert_eq!(low, at("2013-01-14T10:00:00Z"));
        assert_eq!(high, at("2013-01-14T10:00:59.999999Z"));
    }

    #[test]
    fn malformed_dates_are_rejected() {
        for bad in [
            "",
            "20",
            "2020-13",
            "2020-02-30",
            "2020-1-1",
            "2020-01-01T25:00",
            "abc",
            "2020-01-01T10",
        ] {
            assert_eq!(date_range(bad), None, "{bad}");
        }
    }
}
