//! Salesforce-shaped record ids: 15 characters (key prefix, pod, counter in base 62) plus the
//! 3-character case-safe suffix, as real 18-character ids have.
//!
//! Ids come from a counter, so they are unique, stable across restarts (the counter is
//! persisted) and sort in creation order. No I/O here.

/// Key prefix of data connections (`0ln...`).
pub(crate) const CONNECTION_PREFIX: &str = "0ln";
/// Key prefix of data streams (`1ds...`).
pub(crate) const DATA_STREAM_PREFIX: &str = "1ds";
/// Key prefix of organizations.
pub(crate) const ORG_PREFIX: &str = "00D";
/// Key prefix of users.
pub(crate) const USER_PREFIX: &str = "005";

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const SUFFIX: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
/// The pod part of every id the emulator makes.
const POD: &str = "3A0";

/// The 18-character id of record `number` with a 3-character key `prefix`.
pub(crate) fn record_id(prefix: &str, number: u64) -> String {
    let mut digits = [b'0'; 9];
    let mut rest = number;
    for slot in digits.iter_mut().rev() {
        *slot = BASE62[(rest % 62) as usize];
        rest /= 62;
    }
    let mut id = String::with_capacity(18);
    id.push_str(prefix);
    id.push_str(POD);
    id.extend(digits.iter().map(|digit| char::from(*digit)));
    let suffix = case_safe_suffix(&id);
    id.push_str(&suffix);
    id
}

/// The record number inside an id this module made, if it is one.
pub(crate) fn record_number(id: &str) -> Option<u64> {
    let digits = id.get(6..15)?;
    digits.bytes().try_fold(0_u64, |number, byte| {
        let digit = BASE62.iter().position(|candidate| *candidate == byte)?;
        number.checked_mul(62)?.checked_add(digit as u64)
    })
}

/// Salesforce's 15-to-18 suffix: for each 5-character chunk, a bit per upper-case letter.
fn case_safe_suffix(id15: &str) -> String {
    id15.as_bytes()
        .chunks(5)
        .take(3)
        .map(|chunk| {
            let flags = chunk
                .iter()
                .enumerate()
                .filter(|(_, byte)| byte.is_ascii_uppercase())
                .fold(0_usize, |flags, (bit, _)| flags | (1 << bit));
            char::from(SUFFIX[flags])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_salesforce_shape_and_round_trip() {
        let id = record_id(CONNECTION_PREFIX, 1);
        assert_eq!(id.len(), 18);
        assert!(id.starts_with("0ln"));
        assert_eq!(record_number(&id), Some(1));
        assert_eq!(
            record_number(&record_id(DATA_STREAM_PREFIX, 987_654_321)),
            Some(987_654_321)
        );
        assert!(record_id(CONNECTION_PREFIX, 61) < record_id(CONNECTION_PREFIX, 62));
    }

    #[test]
    fn suffix_matches_a_known_salesforce_id() {
        // 001A0000006Vm9r -> 001A0000006Vm9rIAC (a published example).
        assert_eq!(case_safe_suffix("001A0000006Vm9r"), "IAC");
    }
}
