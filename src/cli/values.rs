//! Parsers of flag values several commands share: durations (`30s`), the mass-delete
//! limit (`25%`, `5`), and an apply's parallelism (`auto`, `8`; the API
//! reserve parses itself, `apply::Reserve::parse`). Each refuses with the words clap shows
//! after the flag.

use std::time::Duration;

use crate::apply::Parallelism;
use crate::plan::DeleteLimit;

/// `--max-delete-fraction`: `0.25` or `25%` is a share, a whole number `5` a count.
pub(crate) fn parse_delete_limit(text: &str) -> Result<DeleteLimit, String> {
    let text = text.trim();
    let refused = || format!("`{text}` is neither a share such as `0.25` or `25%` nor a count such as `5`");
    if let Some(percent) = text.strip_suffix('%') {
        return match percent.trim().parse::<f64>() {
            Ok(percent) if (0.0..=100.0).contains(&percent) => Ok(DeleteLimit::Fraction(percent / 100.0)),
            _ => Err(refused()),
        };
    }
    if let Ok(count) = text.parse::<usize>() {
        return Ok(DeleteLimit::Count(count));
    }
    match text.parse::<f64>() {
        Ok(share) if (0.0..=1.0).contains(&share) => Ok(DeleteLimit::Fraction(share)),
        _ => Err(refused()),
    }
}

/// Parses `0`, `500ms`, `30s`, `5m`, `1h`.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as `30s` or `5m`"))?;
    let seconds = |n: u64| Duration::from_secs(n);
    match unit {
        "" | "s" => Ok(seconds(number)),
        "ms" => Ok(Duration::from_millis(number)),
        "m" => Ok(seconds(number.saturating_mul(60))),
        "h" => Ok(seconds(number.saturating_mul(3600))),
        other => Err(format!("unknown unit `{other}` in `{text}`: use ms, s, m or h")),
    }
}

/// `--interval` of `watch`: a duration of at least 100 ms.
pub(crate) fn parse_interval(text: &str) -> Result<Duration, String> {
    let interval = parse_duration(text)?;
    if interval < Duration::from_millis(100) {
        return Err(format!("`{text}` is too short: the interval is at least 100ms"));
    }
    Ok(interval)
}

pub(crate) fn parse_parallelism(text: &str) -> Result<Parallelism, String> {
    if text.eq_ignore_ascii_case("auto") {
        return Ok(Parallelism::Auto);
    }
    match text.parse::<u16>() {
        Ok(n @ 1..=256) => Ok(Parallelism::Fixed(n)),
        _ => Err(format!("`{text}` is neither `auto` nor a number from 1 to 256")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_parse_with_their_unit_and_are_at_least_100_ms() {
        assert_eq!(parse_interval("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_interval("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_interval("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_interval("1h"), Ok(Duration::from_secs(3600)));
        assert!(parse_interval("50ms").is_err_and(|e| e.contains("at least 100ms")));
        assert!(parse_interval("5d").is_err_and(|e| e.contains("unknown unit")));
        assert!(parse_interval("soon").is_err());
    }
}
